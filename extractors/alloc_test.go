package extractors_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jwtgate/jwtgate/extractors"
)

// hotPathExtractor is the typical browser-and-API setup.
func hotPathExtractor() extractors.Extractor {
	return extractors.Exclusive(
		extractors.AuthorizationBearer(),
		extractors.Cookie("access_token"),
		extractors.Query("access_token"),
		extractors.Form("access_token"),
	)
}

// missRequest carries no token but other credentials, cookies and query
// parameters, so that every extractor has something to scan.
func missRequest() *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/items?page=2&sort=name&q=a%20b", nil)
	r.Header.Set("Authorization", "Basic dXNlcjpwYXNz")
	r.Header.Set("Cookie", "session=s1; theme=dark")
	return r
}

func bearerRequest() *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/items?page=2", nil)
	r.Header.Set("Authorization", "Bearer "+jwt)
	r.Header.Set("Cookie", "session=s1; theme=dark")
	return r
}

// TestNoAllocations is not parallel: testing.AllocsPerRun refuses to run
// in a parallel test, since other tests would add their allocations.
func TestNoAllocations(t *testing.T) {
	ex := hotPathExtractor()
	for _, tc := range []struct {
		name      string
		req       *http.Request
		wantToken string
	}{
		{name: "miss", req: missRequest()},
		{name: "bearer hit", req: bearerRequest(), wantToken: jwt},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var (
				token string
				err   error
			)
			allocs := testing.AllocsPerRun(100, func() {
				token, _, err = ex.Extract(extractors.FromHTTP(tc.req))
			})
			require.NoError(t, err)
			assert.Equal(t, tc.wantToken, token)
			assert.Zero(t, allocs, "allocations per Extract")
		})
	}
}

func BenchmarkExtract(b *testing.B) {
	ex := hotPathExtractor()
	cookieHit := missRequest()
	cookieHit.Header.Set("Authorization", "")
	cookieHit.Header.Add("Cookie", "access_token="+jwt)
	queryHit := missRequest()
	queryHit.Header.Del("Authorization")
	queryHit.URL.RawQuery += "&access_token=" + jwt
	twoMethods := bearerRequest()
	twoMethods.URL.RawQuery += "&access_token=" + jwt

	for _, bc := range []struct {
		name    string
		req     *http.Request
		wantErr bool
	}{
		{name: "miss", req: missRequest()},
		{name: "bearer-hit", req: bearerRequest()},
		{name: "cookie-hit", req: cookieHit},
		{name: "query-hit", req: queryHit},
		{name: "two-methods", req: twoMethods, wantErr: true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, _, err := ex.Extract(extractors.FromHTTP(bc.req))
				if (err != nil) != bc.wantErr {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkAuthorizationBearer measures the bare header extractor, without
// the other methods an Exclusive also scans.
func BenchmarkAuthorizationBearer(b *testing.B) {
	ex := extractors.AuthorizationBearer()
	for _, bc := range []struct {
		name      string
		req       *http.Request
		wantToken string
	}{
		{name: "miss", req: missRequest()},
		{name: "hit", req: bearerRequest(), wantToken: jwt},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				token, _, err := ex.Extract(extractors.FromHTTP(bc.req))
				if err != nil || token != bc.wantToken {
					b.Fatal(token, err)
				}
			}
		})
	}
}
