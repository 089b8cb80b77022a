// Echo v4's adapter, from go get github.com/jwtgate/jwtgate/echo@latest: one
// request with the token in TOKEN, one without.
package main

import (
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"

	"github.com/labstack/echo/v4"

	jwtgate "github.com/jwtgate/jwtgate/core"
	echojwt "github.com/jwtgate/jwtgate/echo"
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
	e := echo.New()
	e.GET("/", func(c echo.Context) error {
		t, _ := echojwt.Token(c)
		return c.String(http.StatusOK, t.Subject)
	}, echojwt.New(echojwt.Config{Authenticator: auth}))
	srv := httptest.NewServer(e)
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
