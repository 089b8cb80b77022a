// Gin's adapter, from go get github.com/jwtgate/jwtgate/gin@latest: one
// request with the token in TOKEN, one without.
package main

import (
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"

	"github.com/gin-gonic/gin"

	jwtgate "github.com/jwtgate/jwtgate/core"
	ginjwt "github.com/jwtgate/jwtgate/gin"
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
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.GET("/", ginjwt.New(ginjwt.Config{Authenticator: auth}), func(c *gin.Context) {
		t, _ := ginjwt.Token(c)
		c.String(http.StatusOK, t.Subject)
	})
	srv := httptest.NewServer(r)
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
