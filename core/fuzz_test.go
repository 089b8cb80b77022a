package jwtgate_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"testing"

	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/extractors"
)

// FuzzAuthenticate sends arbitrary Authorization headers and cookies through
// Authenticate. Whatever comes in: no panic, never a 5xx answer, every error of
// one of jwtgate's kinds, and nothing accepted that does not carry a genuine
// HS256 signature under the configured secret.
func FuzzAuthenticate(f *testing.F) {
	good := mint(testSecret, goodHeader, claimsJSON(""))
	f.Add("Bearer "+good, "")
	f.Add("bearer "+good, "")
	f.Add("", good)
	f.Add("Bearer "+good, good)
	f.Add("Bearer "+mint(testSecret, `{"alg":"HS256","alg":"none"}`, claimsJSON("")), "")
	f.Add("Bearer "+mint(testSecret, goodHeader, `{"exp":"1","sub":{"a":[1,2]}}`), "")
	f.Add("Bearer eyJhbGciOiJub25lIn0.e30.", "")
	f.Add("Basic dXNlcjpwYXNz", "")
	f.Add("Bearer "+strings.Repeat(".", 100), "")
	a := testAuth(f, func(c *jwtgate.Config) {
		c.Extractor = extractors.Exclusive(extractors.AuthorizationBearer(), extractors.Cookie("access_token"))
	})
	f.Fuzz(func(t *testing.T, authorization, cookie string) {
		r := &http.Request{Method: http.MethodGet, Header: http.Header{}}
		if authorization != "" {
			r.Header["Authorization"] = []string{authorization}
		}
		if cookie != "" {
			r.Header["Cookie"] = []string{"access_token=" + cookie}
		}
		tok, err := a.Authenticate(context.Background(), extractors.FromHTTP(r))
		if err != nil {
			if tok != nil {
				t.Fatal("token returned with an error")
			}
			kinds := 0
			for _, k := range []error{jwtgate.ErrTokenMissing, jwtgate.ErrInvalidRequest, jwtgate.ErrInvalidToken} {
				if errors.Is(err, k) {
					kinds++
				}
			}
			if kinds != 1 {
				t.Fatalf("error of %d kinds: %v", kinds, err)
			}
			if s := a.Response(err).Status; s != 400 && s != 401 {
				t.Fatalf("status %d for %v", s, err)
			}
			return
		}
		parts := strings.Split(tok.Raw, ".")
		if len(parts) != 3 || tok.Algorithm != "HS256" {
			t.Fatalf("accepted %q", tok.Raw)
		}
		m := hmac.New(sha256.New, testSecret)
		m.Write([]byte(parts[0] + "." + parts[1]))
		if base64.RawURLEncoding.EncodeToString(m.Sum(nil)) != parts[2] {
			t.Fatalf("accepted a token without a valid signature: %q", tok.Raw)
		}
	})
}
