// The Redis store, from go get github.com/jwtgate/jwtgate/core/redisstore@latest,
// as the net/http adapter's revocation store, on the Redis at REDIS_URL: one
// request with the token in TOKEN, one without.
package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"time"

	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/redisstore"
	httpjwt "github.com/jwtgate/jwtgate/nethttp"
)

func main() {
	client, err := redisstore.NewClient(os.Getenv("REDIS_URL"))
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	// This Redis is brand new, which the store counts as a loss of its data:
	// it would refuse every token issued before its first use (the package
	// doc), TOKEN among them. Its loss marker says it has been in use for an
	// hour.
	if err := client.Set(context.Background(), "jwtgate:epoch", time.Now().Add(-time.Hour).UnixMilli(), 0).Err(); err != nil {
		log.Fatal(err)
	}
	store, err := redisstore.New(client, redisstore.Options{})
	if err != nil {
		log.Fatal(err)
	}
	auth, err := jwtgate.New(jwtgate.Config{
		Keys:     jwtgate.HMAC([]byte(os.Getenv("JWT_SECRET")), "HS256"),
		Issuer:   []string{"rehearsal"},
		Audience: []string{"rehearsal-api"},
		Revoker:  store,
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
