// The OpenTelemetry observer, from
// go get github.com/jwtgate/jwtgate/otel@latest, on the net/http adapter and
// the global providers (which record nothing unless an application sets
// them): one request with the token in TOKEN, one without.
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
	jwtgateotel "github.com/jwtgate/jwtgate/otel"
)

func main() {
	obs, err := jwtgateotel.New()
	if err != nil {
		log.Fatal(err)
	}
	auth, err := jwtgate.New(jwtgate.Config{
		Keys:     jwtgate.HMAC([]byte(os.Getenv("JWT_SECRET")), "HS256"),
		Issuer:   []string{"rehearsal"},
		Audience: []string{"rehearsal-api"},
		Observer: obs,
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
