// Fiber v3's adapter, from go get github.com/jwtgate/jwtgate/fiberv3@latest:
// one request with the token in TOKEN, one without, through app.Test.
package main

import (
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"

	"github.com/gofiber/fiber/v3"

	jwtgate "github.com/jwtgate/jwtgate/core"
	fiberjwt "github.com/jwtgate/jwtgate/fiberv3"
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
	app := fiber.New()
	app.Get("/", fiberjwt.New(fiberjwt.Config{Authenticator: auth}), func(c fiber.Ctx) error {
		t, _ := fiberjwt.Token(c)
		return c.SendString(t.Subject)
	})
	get := func(token string) string {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := app.Test(req)
		if err != nil {
			log.Fatal(err)
		}
		return answer(res)
	}
	fmt.Println(get(os.Getenv("TOKEN")), get(""))
}

func answer(res *http.Response) string {
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
