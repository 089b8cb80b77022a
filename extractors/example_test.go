package extractors_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/jwtgate/jwtgate/extractors"
)

func ExampleAuthorizationBearer() {
	ex := extractors.AuthorizationBearer()
	for _, value := range []string{"Bearer abc.def.ghi", "Basic dXNlcjpwYXNz", "Bearer abc def"} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("Authorization", value)
		token, source, err := ex.Extract(extractors.FromHTTP(r))
		fmt.Printf("%q: token=%q source=%q err=%v\n", value, token, source, err)
	}
	// Output:
	// "Bearer abc.def.ghi": token="abc.def.ghi" source="header:Authorization" err=<nil>
	// "Basic dXNlcjpwYXNz": token="" source="" err=<nil>
	// "Bearer abc def": token="" source="" err=extractors: malformed credentials in header:Authorization
}

func ExampleParse() {
	ex, err := extractors.Parse("header:Authorization:Bearer ,cookie:access_token")
	if err != nil {
		panic(err)
	}

	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.AddCookie(&http.Cookie{Name: "access_token", Value: "abc.def.ghi"})
	token, source, err := ex.Extract(extractors.FromHTTP(r))
	fmt.Println(token, source, err)

	// The same token in the header too: refused, whatever the order of the
	// lookup items (RFC 6750 §2).
	r.Header.Set("Authorization", "Bearer abc.def.ghi")
	_, _, err = ex.Extract(extractors.FromHTTP(r))
	fmt.Println(errors.Is(err, extractors.ErrMultipleMethods))
	fmt.Println(err)

	_, err = extractors.Parse("cookie:access_token:Bearer ")
	fmt.Println(err)
	// Output:
	// abc.def.ghi cookie:access_token <nil>
	// true
	// extractors: token sent by more than one method: header:Authorization and cookie:access_token
	// extractors: lookup item "cookie:access_token:Bearer ": a prefix is allowed only for header
}

func ExampleExclusive() {
	ex := extractors.Exclusive(
		extractors.AuthorizationBearer(),
		extractors.Query("access_token"),
	)
	for _, target := range []string{
		"/events?access_token=abc",
		"/events?access_token=abc&access_token=abc",
		"/events?access_token=a%20b",
		"/events",
	} {
		token, source, err := ex.Extract(extractors.FromHTTP(httptest.NewRequest(http.MethodGet, target, nil)))
		switch {
		case err != nil:
			fmt.Println(target, "→ 400:", err)
		case token == "":
			fmt.Println(target, "→ 401: no token")
		default:
			fmt.Println(target, "→", token, "from", source)
		}
	}
	// Output:
	// /events?access_token=abc → abc from query:access_token
	// /events?access_token=abc&access_token=abc → 400: extractors: credentials repeated in query:access_token
	// /events?access_token=a%20b → 400: extractors: malformed credentials in query:access_token
	// /events → 401: no token
}

func ExampleChain() {
	// During a migration from a cookie to the Authorization header, accept
	// either, preferring the header. Prefer Exclusive otherwise.
	ex := extractors.Chain(extractors.AuthorizationBearer(), extractors.Cookie("jwt"))
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("Cookie", "jwt=old")
	r.Header.Set("Authorization", "Bearer new")
	token, source, _ := ex.Extract(extractors.FromHTTP(r))
	fmt.Println(token, source)
	// Output:
	// new header:Authorization
}

func ExampleFromHTTP() {
	r := httptest.NewRequest(http.MethodGet, "/?a=1&a=2", nil)
	r.Header.Add("Cookie", "session=x; theme=dark")
	r.Header.Add("Cookie", "session=y")
	req := extractors.FromHTTP(r)
	fmt.Println(req.Query("a"))
	fmt.Println(req.Cookie("session"))
	// Output:
	// 1 2
	// x 2
}
