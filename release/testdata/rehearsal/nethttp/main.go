// The core and its net/http adapter, from
// go get github.com/jwtgate/jwtgate@latest: one request with the token in
// TOKEN, one without; it prints each answer's status, and the subject the
// handler saw.
package main

import (
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"

	jwtgate "github.com/jwtgate/jwtgate/core"
	httpjwt "github.com/jwtgate/jwtgate/nethttp"
)

func main() {
	auth, err := jwtgate.New(jwtgate.Config{
		Keys:     jwtgate.HMAC([]byte(os.Getenv("JWT_SECRET")), "HS256"),
		Issuer:   []string{"rehearsal"},
		Audience: []string{"rehearsal-api"},
	})
	if err != nil {
		log.Fatal(err)
	}
	h := httpjwt.New(httpjwt.Config{Authenticator: auth})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t, _ := jwtgate.FromContext(r.Context())
		fmt.Fprint(w, t.Subject)
	}))
	srv := httptest.NewServer(h)
	defer srv.Close()
	fmt.Println(get(srv.URL, os.Getenv("TOKEN")), get(srv.URL, ""))
}

func get(url, token string) string {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		log.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Sprint(res.StatusCode)
	}
	body, err := io.ReadAll(res.Body)
	if err != nil {
		log.Fatal(err)
	}
	return fmt.Sprint(res.StatusCode, " ", string(body))
}
