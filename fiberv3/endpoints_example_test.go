package fiberjwt_test

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/gofiber/fiber/v3"

	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/issuing"
	fiberjwt "github.com/jwtgate/jwtgate/fiberv3"
)

// Login, refresh and logout in three lines, beside the protected routes.
func ExampleLoginHandler() {
	store := issuing.NewMemoryStore(nil)
	key := jwtgate.HMAC(secret, "HS256")
	issuer, err := issuing.New(issuing.Config{Key: key, Issuer: "https://id.example.com", Audience: []string{"orders-api"}, Store: store})
	if err != nil {
		panic(err)
	}
	auth, err := jwtgate.New(jwtgate.Config{Keys: key, Issuer: []string{"https://id.example.com"}, Audience: []string{"orders-api"}, Revoker: store})
	if err != nil {
		panic(err)
	}
	endpoints := &issuing.Endpoints{
		Issuer:        issuer,
		Authenticator: auth,
		CheckCredentials: func(ctx context.Context, l issuing.LoginRequest) (issuing.Grant, error) {
			// Look the user up and compare password hashes here.
			if l.Username != "alice" || subtle.ConstantTimeCompare([]byte(l.Password), []byte("alice-password")) != 1 {
				return issuing.Grant{}, issuing.ErrBadCredentials
			}
			return issuing.Grant{Subject: "alice", Scope: "orders:read"}, nil
		},
	}

	app := fiber.New()
	app.Post("/login", fiberjwt.LoginHandler(endpoints))
	app.Post("/refresh", fiberjwt.RefreshHandler(endpoints))
	app.Post("/logout", fiberjwt.LogoutHandler(endpoints))

	post := func(path, contentType, body, token string) (*http.Response, string) {
		r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
		r.Header.Set("Content-Type", contentType)
		if token != "" {
			r.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := app.Test(r, fiber.TestConfig{})
		if err != nil {
			panic(err)
		}
		b, _ := io.ReadAll(res.Body)
		return res, string(b)
	}

	res, body := post("/login", "application/json", `{"username":"alice","password":"alice-password"}`, "")
	var pair issuing.Pair
	_ = json.Unmarshal([]byte(body), &pair)
	fmt.Println(res.StatusCode, res.Header.Get("Cache-Control"), pair.TokenType, pair.ExpiresIn)

	res, body = post("/login", "application/json", `{"username":"alice","password":"guess"}`, "")
	fmt.Println(res.StatusCode, body)

	// What a cross-site HTML form can send is refused.
	res, body = post("/login", "application/x-www-form-urlencoded", "username=alice&password=alice-password", "")
	fmt.Println(res.StatusCode, body)

	res, _ = post("/logout", "", "", pair.AccessToken)
	fmt.Println(res.StatusCode)

	res, body = post("/refresh", "application/json", `{"refresh_token":"`+pair.RefreshToken+`"}`, "")
	fmt.Println(res.StatusCode, body)
	// Output:
	// 200 no-store Bearer 900
	// 401 {"error":"invalid_credentials","error_description":"Wrong username or password"}
	// 415 {"error":"invalid_request","error_description":"The request body must be application/json"}
	// 204
	// 401 {"error":"invalid_grant","error_description":"The refresh token is invalid, expired, revoked or already used"}
}
