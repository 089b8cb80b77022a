package issuing_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"

	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/issuing"
	"github.com/jwtgate/jwtgate/extractors"
)

var exampleSecret = []byte("an example secret of 32+ bytes!!")

// checkPassword is the example's user database.
func checkPassword(_ context.Context, l issuing.LoginRequest) (issuing.Grant, error) {
	if l.Username == "alice" && l.Password == "alice-password" { // compare password hashes in constant time
		return issuing.Grant{Subject: "alice", Scope: "read"}, nil
	}
	return issuing.Grant{}, issuing.ErrBadCredentials
}

// The Endpoints decide every answer; a framework without a jwtgate wrapper
// builds a Request and writes the Response. Over net/http, issuing.FromHTTP
// and Response.Write are that wrapper.
func ExampleEndpoints() {
	store := issuing.NewMemoryStore(nil)
	key := jwtgate.HMAC(exampleSecret, "HS256")
	issuer, _ := issuing.New(issuing.Config{Key: key, Issuer: "https://id.example.com", Audience: []string{"api"}, Store: store})
	auth, _ := jwtgate.New(jwtgate.Config{Keys: key, Issuer: []string{"https://id.example.com"}, Audience: []string{"api"}, Revoker: store})
	endpoints := &issuing.Endpoints{Issuer: issuer, Authenticator: auth, CheckCredentials: checkPassword}
	if err := endpoints.Validate(); err != nil {
		panic(err)
	}

	for _, body := range []string{
		`{"username":"alice","password":"alice-password"}`,
		`{"username":"alice","password":"guess"}`,
		`{"username":"alice"}`,
	} {
		r := httptest.NewRequest(http.MethodPost, "/login", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		resp := endpoints.HandleLogin(r.Context(), issuing.FromHTTP(r))
		fmt.Println(resp.Status, resp.Header.Get("Content-Type"), resp.Header.Get("Cache-Control"))
		if c := resp.Header.Get("WWW-Authenticate"); c != "" {
			fmt.Println(c)
		}
		if resp.Status != http.StatusOK {
			fmt.Println(string(resp.Body))
		}
	}
	// Output:
	// 200 application/json no-store
	// 401 application/json no-store
	// Bearer realm="jwtgate"
	// {"error":"invalid_credentials","error_description":"Wrong username or password"}
	// 400 application/json no-store
	// {"error":"invalid_request","error_description":"The request body is malformed or incomplete"}
}

// Cookie mode is on when the Issuer has Cookies: POST /login?mode=cookie
// sets the tokens in HttpOnly cookies and answers only the CSRF token the
// page sends back in X-CSRF-Token. Give the Authenticator the same Cookies
// and an extractor that reads the access cookie.
func ExampleEndpoints_cookieMode() {
	cookies := &jwtgate.Cookies{CSRFKey: []byte("a CSRF key of at least 32 bytes!")}
	store := issuing.NewMemoryStore(nil)
	key := jwtgate.HMAC(exampleSecret, "HS256")
	issuer, _ := issuing.New(issuing.Config{Key: key, Issuer: "https://id.example.com", Audience: []string{"api"}, Store: store, Cookies: cookies})
	auth, _ := jwtgate.New(jwtgate.Config{
		Keys: key, Issuer: []string{"https://id.example.com"}, Audience: []string{"api"}, Revoker: store, Cookies: cookies,
		Extractor: extractors.Exclusive(extractors.AuthorizationBearer(), extractors.Cookie("access_token")),
	})
	endpoints := &issuing.Endpoints{Issuer: issuer, Authenticator: auth, CheckCredentials: checkPassword}

	r := httptest.NewRequest(http.MethodPost, "/login?mode=cookie", strings.NewReader(`{"username":"alice","password":"alice-password"}`))
	r.Header.Set("Content-Type", "application/json")
	resp := endpoints.HandleLogin(r.Context(), issuing.FromHTTP(r))
	fmt.Println(resp.Status)
	var lines []string
	for _, c := range resp.Cookies {
		c.Value = "..."
		lines = append(lines, c.String())
	}
	sort.Strings(lines)
	fmt.Println(strings.Join(lines, "\n"))
	// Output:
	// 200
	// access_token=...; Path=/; Max-Age=900; HttpOnly; Secure; SameSite=Lax
	// csrf_token=...; Path=/; Max-Age=604800; Secure; SameSite=Lax
	// refresh_token=...; Path=/refresh; Max-Age=604800; HttpOnly; Secure; SameSite=Strict
}
