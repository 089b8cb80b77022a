package extractors_test

import (
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/jwtgate/jwtgate/extractors"
)

// b64token is RFC 6750's grammar, written independently of the package.
var b64token = regexp.MustCompile(`^[A-Za-z0-9\-._~+/]+=*$`)

// bearerOracle is the Authorization rule as one regular expression: a value
// that starts with "bearer" in any case must match it entirely.
var bearerOracle = regexp.MustCompile(`^(?i:bearer) +([A-Za-z0-9\-._~+/]+=*)$`)

func FuzzExtract(f *testing.F) {
	for _, seed := range [][3]string{
		{"Bearer " + jwt, "", ""},
		{"", "access_token=" + jwt, ""},
		{"", "", "access_token=" + jwt},
		{"bearer  abc==", "session=x", "page=2"},
		{"Bearer abc", "access_token=abc", ""},
		{"Bearer abc\nBearer abc", "", ""},
		{"Bearer\tabc", "", ""},
		{"Basic dXNlcjpwYXNz", `access_token="abc"; access_token=def`, "access_token=a%0D%0A"},
		{"Bearerabc", "access_token=", "access_token=&access%5Ftoken=b"},
		{"", "", "access_token=a+b%2B%zz"},
	} {
		f.Add(seed[0], seed[1], seed[2])
	}
	ex := extractors.Exclusive(
		extractors.AuthorizationBearer(),
		extractors.Cookie("access_token"),
		extractors.Query("access_token"),
	)
	bearer := extractors.AuthorizationBearer()
	// gofiber's default lookup with two more sources: Parse must build
	// exactly ex.
	parsed, err := extractors.Parse("header:Authorization, cookie:access_token, query:access_token")
	if err != nil {
		f.Fatal(err)
	}

	f.Fuzz(func(t *testing.T, authorization, cookie, rawQuery string) {
		// Build the request by hand: httptest.NewRequest panics on some
		// targets, and header values may hold anything here. A newline
		// separates header lines, to exercise repeats.
		h := http.Header{}
		if authorization != "" {
			h["Authorization"] = strings.Split(authorization, "\n")
		}
		if cookie != "" {
			h["Cookie"] = strings.Split(cookie, "\n")
		}
		r := &http.Request{Method: http.MethodGet, Header: h, URL: &url.URL{Path: "/", RawQuery: rawQuery}}
		req := extractors.FromHTTP(r)

		token, source, err := ex.Extract(req)
		checkResult(t, token, source, err)
		if err == nil && token != "" {
			switch source.String() {
			case "header:Authorization":
				if !strings.Contains(authorization, token) {
					t.Fatalf("token %q not in the header %q", token, authorization)
				}
			case "cookie:access_token":
				if !strings.Contains(cookie, token) {
					t.Fatalf("token %q not in the cookie %q", token, cookie)
				}
			case "query:access_token":
			default:
				t.Fatalf("unexpected source %q", source)
			}
		}

		pt, ps, perr := parsed.Extract(req)
		if pt != token || ps != source || (perr == nil) != (err == nil) || perr != nil && perr.Error() != err.Error() {
			t.Fatalf("Parse's extractor: (%q, %q, %v), Exclusive: (%q, %q, %v)", pt, ps, perr, token, source, err)
		}

		// AuthorizationBearer alone against the regular expression.
		token, source, err = bearer.Extract(req)
		checkResult(t, token, source, err)
		lines := h["Authorization"]
		switch {
		case len(lines) > 1:
			if !errors.Is(err, extractors.ErrRepeated) {
				t.Fatalf("%q: got (%q, %v), want ErrRepeated", lines, token, err)
			}
		case len(lines) == 0 || len(lines[0]) < 6 || !strings.EqualFold(lines[0][:6], "bearer"):
			if token != "" || err != nil {
				t.Fatalf("%q: got (%q, %v), want nothing", lines, token, err)
			}
		default:
			m := bearerOracle.FindStringSubmatch(lines[0])
			switch {
			case m == nil && !errors.Is(err, extractors.ErrMalformed):
				t.Fatalf("%q: got (%q, %v), want ErrMalformed", lines[0], token, err)
			case m != nil && (err != nil || token != m[1]):
				t.Fatalf("%q: got (%q, %v), want %q", lines[0], token, err, m[1])
			}
		}
	})
}

// checkResult checks what every Extract result must satisfy.
func checkResult(t *testing.T, token string, src extractors.Source, err error) {
	t.Helper()
	source := ""
	if !src.IsZero() {
		source = src.String()
	}
	if err != nil {
		if token != "" || source != "" {
			t.Fatalf("error %v with token %q source %q", err, token, source)
		}
		if !errors.Is(err, extractors.ErrMalformed) && !errors.Is(err, extractors.ErrRepeated) && !errors.Is(err, extractors.ErrMultipleMethods) {
			t.Fatalf("error %v wraps no sentinel", err)
		}
		return
	}
	if token == "" {
		if source != "" {
			t.Fatalf("source %q without token", source)
		}
		return
	}
	if !b64token.MatchString(token) {
		t.Fatalf("token %q is not a b64token", token)
	}
	if source == "" {
		t.Fatalf("token %q without source", token)
	}
}
