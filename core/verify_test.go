package jwtgate_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/adapt"
	"github.com/jwtgate/jwtgate/extractors"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	testNow    = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	testSecret = []byte("0123456789abcdef0123456789abcdef")
)

// mint signs raw header and payload JSON with HS256, byte for byte.
func mint(key []byte, header, payload string) string {
	si := base64.RawURLEncoding.EncodeToString([]byte(header)) + "." + base64.RawURLEncoding.EncodeToString([]byte(payload))
	m := hmac.New(sha256.New, key)
	m.Write([]byte(si))
	return si + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func testAuth(t testing.TB, modify func(*jwtgate.Config)) *jwtgate.Authenticator {
	t.Helper()
	cfg := jwtgate.Config{
		Keys:     jwtgate.HMAC(testSecret, "HS256"),
		Issuer:   []string{"https://issuer.example"},
		Audience: []string{"api://svc"},
		Leeway:   jwtgate.NoLeeway, // these tests are exact; TestDefaultLeeway takes the default
		Now:      func() time.Time { return testNow },
	}
	if modify != nil {
		modify(&cfg)
	}
	a, err := jwtgate.New(cfg)
	require.NoError(t, err)
	return a
}

const goodHeader = `{"alg":"HS256","typ":"JWT"}`

func claimsJSON(extra string) string {
	s := `{"iss":"https://issuer.example","sub":"user-1","aud":"api://svc","iat":1795867200,"exp":1795867500,"jti":"j-1","scope":"read write"`
	if extra != "" {
		s += "," + extra
	}
	return s + "}"
}

func bearer(tok string) extractors.Request {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	return extractors.FromHTTP(r)
}

func TestAuthenticateValid(t *testing.T) {
	t.Parallel()
	a := testAuth(t, nil)
	tok := mint(testSecret, goodHeader, claimsJSON(`"tenant":"acme"`))
	got, err := a.Authenticate(context.Background(), bearer(tok))
	require.NoError(t, err)
	assert.Equal(t, tok, got.Raw)
	assert.Equal(t, "header:Authorization", got.Source.String())
	assert.Equal(t, "HS256", got.Algorithm)
	assert.Equal(t, "JWT", got.Type)
	assert.Equal(t, "user-1", got.Subject)
	assert.Equal(t, "j-1", got.ID)
	assert.Equal(t, "https://issuer.example", got.Issuer)
	assert.Equal(t, time.Unix(1795867500, 0).UTC(), got.ExpiresAt)
	assert.Equal(t, []string{"read", "write"}, got.Scopes())
	assert.True(t, got.HasScope("write"))
	assert.False(t, got.HasScope("admin"))
	assert.False(t, got.SentInURL())

	c, ok := got.Claims.(*jwtgate.Claims)
	require.True(t, ok)
	assert.Equal(t, "user-1", c.Subject)
	var tenant string
	found, err := c.Get("tenant", &tenant)
	require.NoError(t, err)
	assert.True(t, found)
	assert.Equal(t, "acme", tenant)
	found, err = c.Get("nope", &tenant)
	assert.NoError(t, err)
	assert.False(t, found)
	assert.JSONEq(t, claimsJSON(`"tenant":"acme"`), string(c.Raw()))

	ctx := jwtgate.NewContext(context.Background(), got)
	fromCtx, ok := jwtgate.ClaimsFromContext[*jwtgate.Claims](ctx)
	require.True(t, ok)
	assert.Same(t, c, fromCtx)
	_, ok = jwtgate.ClaimsFromContext[*jwt.RegisteredClaims](ctx)
	assert.False(t, ok)
	_, ok = jwtgate.FromContext(context.Background())
	assert.False(t, ok)
}

// RFC 7515 Appendix A.1, the known-answer test; its exp is 2011-03-22T18:43:00Z.
const (
	rfcA1Key   = "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"
	rfcA1Token = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
)

func TestRFC7515A1(t *testing.T) {
	t.Parallel()
	key, err := base64.RawURLEncoding.DecodeString(rfcA1Key)
	require.NoError(t, err)
	auth := func(now int64) *jwtgate.Authenticator {
		return testAuth(t, func(c *jwtgate.Config) {
			c.Keys = jwtgate.HMAC(key, "HS256")
			c.Issuer = []string{"joe"}
			c.SkipAudienceCheck = true
			c.Now = func() time.Time { return time.Unix(now, 0) }
		})
	}
	tests := []struct {
		name  string
		now   int64
		token string
		cause error
	}{
		{name: "A.1 one second before exp", now: 1300819379, token: rfcA1Token},
		{name: "A.1 at exp", now: 1300819380, token: rfcA1Token, cause: jwt.ErrTokenExpired},
		{name: "A.1 today", now: testNow.Unix(), token: rfcA1Token, cause: jwt.ErrTokenExpired},
		{name: "N1 unused bits changed", now: 1300819379, token: rfcA1Token[:len(rfcA1Token)-1] + "l", cause: jwt.ErrTokenMalformed},
		{name: "N10 unknown crit", now: 1300819379, token: "eyJhbGciOiJIUzI1NiIsImNyaXQiOlsieC11bmtub3duIl0sIngtdW5rbm93biI6dHJ1ZX0.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.c3GtmpP-rqs4XbfvwGBkRHg17LGvW28QpkDr9NdGFs0", cause: jwtgate.ErrCriticalHeader},
		{name: "N11 same key as HS512", now: 1300819379, token: mint(key, `{"alg":"HS512"}`, "{}"), cause: jwtgate.ErrAlgorithmMismatch},
		{name: "A.5 alg none", now: 1300819379, token: "eyJhbGciOiJub25lIn0.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.", cause: jwtgate.ErrAlgorithmMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := auth(tt.now).Verify(context.Background(), tt.token)
			if tt.cause == nil {
				require.NoError(t, err)
				assert.Equal(t, "joe", got.Issuer)
				var root bool
				found, err := got.Claims.(*jwtgate.Claims).Get("http://example.com/is_root", &root)
				require.NoError(t, err)
				assert.True(t, found)
				assert.True(t, root)
				return
			}
			require.Error(t, err)
			assert.ErrorIs(t, err, jwtgate.ErrInvalidToken)
			assert.ErrorIs(t, err, tt.cause)
			assert.Nil(t, got)
		})
	}
}

func TestVerifyCauses(t *testing.T) {
	t.Parallel()
	a := testAuth(t, nil)
	tests := []struct {
		name  string
		token string
		cause error
	}{
		{name: "duplicate claim", token: mint(testSecret, goodHeader, `{"sub":"alice","sub":"admin","exp":1795867500,"iss":"https://issuer.example","aud":"api://svc"}`), cause: jwtgate.ErrClaimsInvalid},
		{name: "escaped duplicate claim", token: mint(testSecret, goodHeader, `{"sub":"alice","\u0073ub":"admin","exp":1795867500,"iss":"https://issuer.example","aud":"api://svc"}`), cause: jwtgate.ErrClaimsInvalid},
		{name: "case variant of exp", token: mint(testSecret, goodHeader, `{"EXP":1795867500,"iss":"https://issuer.example","aud":"api://svc"}`), cause: jwtgate.ErrClaimsInvalid},
		{name: "long s variant of sub", token: mint(testSecret, goodHeader, claimsJSON(`"ſub":"admin"`)), cause: jwtgate.ErrClaimsInvalid},
		{name: "exp as string", token: mint(testSecret, goodHeader, `{"exp":"1795867500","iss":"https://issuer.example","aud":"api://svc"}`), cause: jwtgate.ErrClaimsInvalid},
		{name: "exp beyond year 9999", token: mint(testSecret, goodHeader, `{"exp":1e20,"iss":"https://issuer.example","aud":"api://svc"}`), cause: jwtgate.ErrClaimsInvalid},
		{name: "exp one second past year 9999", token: mint(testSecret, goodHeader, `{"exp":253402300800,"iss":"https://issuer.example","aud":"api://svc"}`), cause: jwtgate.ErrClaimsInvalid},
		{name: "exp with a leading zero", token: mint(testSecret, goodHeader, `{"exp":01795867500,"iss":"https://issuer.example","aud":"api://svc"}`), cause: jwt.ErrTokenMalformed},
		{name: "negative iat", token: mint(testSecret, goodHeader, claimsJSON(`"nbf":-1`)), cause: jwtgate.ErrClaimsInvalid},
		{name: "invalid UTF-8", token: mint(testSecret, goodHeader, claimsJSON(`"name":"adm`+"\xff"+`in"`)), cause: jwtgate.ErrClaimsInvalid},
		{name: "duplicate header", token: mint(testSecret, `{"alg":"HS256","alg":"HS256"}`, claimsJSON("")), cause: jwtgate.ErrHeaderInvalid},
		{name: "jwk header", token: mint(testSecret, `{"alg":"HS256","jwk":{"kty":"oct","k":"AA"}}`, claimsJSON("")), cause: jwtgate.ErrHeaderInvalid},
		{name: "typ refresh", token: mint(testSecret, `{"alg":"HS256","typ":"refresh+jwt"}`, claimsJSON("")), cause: jwtgate.ErrTypeNotAllowed},
		{name: "nested cty", token: mint(testSecret, `{"alg":"HS256","cty":"JWT"}`, claimsJSON("")), cause: jwtgate.ErrHeaderInvalid},
		{name: "wrong secret", token: mint([]byte("ffffffffffffffffffffffffffffffff"), goodHeader, claimsJSON("")), cause: jwt.ErrTokenSignatureInvalid},
		{name: "unknown kid is fine for a key without ID", token: mint(testSecret, `{"alg":"HS256","kid":"x"}`, claimsJSON("")), cause: nil},
		{name: "too large", token: strings.Repeat("a", jwtgate.DefaultMaxTokenSize+1), cause: jwtgate.ErrTokenTooLarge},
		{name: "two segments", token: "abc.def", cause: jwtgate.ErrTokenShape},
		{name: "padding", token: mint(testSecret, goodHeader, claimsJSON("")) + "=", cause: jwtgate.ErrTokenShape},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := a.Verify(context.Background(), tt.token)
			if tt.cause == nil {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Nil(t, got)
			assert.ErrorIs(t, err, jwtgate.ErrInvalidToken)
			assert.ErrorIs(t, err, tt.cause)
		})
	}
}

type failingRevoker struct{ err error }

func (f failingRevoker) IsRevoked(context.Context, *jwtgate.Token) (bool, error) { return false, f.err }

func TestResponses(t *testing.T) {
	t.Parallel()
	a := testAuth(t, func(c *jwtgate.Config) { c.Realm = "example" })
	tok := mint(testSecret, goodHeader, claimsJSON(""))
	expired := mint(testSecret, goodHeader, `{"iss":"https://issuer.example","aud":"api://svc","exp":1}`)

	noToken := httptest.NewRequest(http.MethodGet, "/", nil)
	twoHeaders := httptest.NewRequest(http.MethodGet, "/", nil)
	twoHeaders.Header.Add("Authorization", "Bearer "+tok)
	twoHeaders.Header.Add("Authorization", "Bearer "+tok)

	_, errMissing := a.Authenticate(context.Background(), extractors.FromHTTP(noToken))
	_, errRepeated := a.Authenticate(context.Background(), extractors.FromHTTP(twoHeaders))
	_, errExpired := a.Verify(context.Background(), expired)
	got, err := a.Verify(context.Background(), tok)
	require.NoError(t, err)
	errScope := got.CheckScopes("admin", "read")
	revoking := testAuth(t, func(c *jwtgate.Config) { c.Revoker = failingRevoker{errors.New("redis: connection refused")} })
	_, errStore := revoking.Verify(context.Background(), tok)

	tests := []struct {
		name      string
		err       error
		kind      error
		status    int
		challenge string
		body      string
	}{
		{name: "missing", err: errMissing, kind: jwtgate.ErrTokenMissing, status: 401, challenge: `Bearer realm="example"`, body: `{"error":"missing_token","error_description":"No access token was sent"}`},
		{name: "repeated", err: errRepeated, kind: jwtgate.ErrInvalidRequest, status: 400, challenge: `Bearer realm="example", error="invalid_request", error_description="The access token credential is repeated"`, body: `{"error":"invalid_request","error_description":"The access token credential is repeated"}`},
		{name: "expired", err: errExpired, kind: jwtgate.ErrInvalidToken, status: 401, challenge: `Bearer realm="example", error="invalid_token", error_description="The access token expired"`, body: `{"error":"invalid_token","error_description":"The access token expired"}`},
		{name: "scope", err: errScope, kind: jwtgate.ErrInsufficientScope, status: 403, challenge: `Bearer realm="example", error="insufficient_scope", scope="admin read"`, body: `{"error":"insufficient_scope","error_description":"The access token lacks a required scope"}`},
		{name: "store down", err: errStore, kind: jwtgate.ErrUnavailable, status: 503, challenge: "", body: `{"error":"temporarily_unavailable","error_description":"The token could not be checked; try again later"}`},
		{name: "foreign error", err: errors.New("boom: secret detail"), kind: nil, status: 500, challenge: "", body: `{"error":"server_error","error_description":"Internal error"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Error(t, tt.err)
			if tt.kind != nil {
				assert.ErrorIs(t, tt.err, tt.kind)
			}
			w := httptest.NewRecorder()
			a.WriteError(w, tt.err)
			assert.Equal(t, tt.status, w.Code)
			assert.Equal(t, tt.challenge, w.Header().Get("WWW-Authenticate"))
			assert.Equal(t, "application/json", w.Header().Get("Content-Type"))
			assert.Equal(t, "no-store", w.Header().Get("Cache-Control"))
			assert.JSONEq(t, tt.body, w.Body.String())
			assert.NotContains(t, w.Body.String(), "redis")
			assert.NotContains(t, w.Body.String(), "secret detail")
		})
	}
}

func TestCheckScopes(t *testing.T) {
	t.Parallel()
	a := testAuth(t, nil)
	got, err := a.Verify(context.Background(), mint(testSecret, goodHeader, claimsJSON(`"scp":["admin","ops"]`)))
	require.NoError(t, err)
	assert.NoError(t, got.CheckScopes("read", "write", "admin", "ops"))
	assert.ErrorIs(t, got.CheckScopes("rea"), jwtgate.ErrInsufficientScope)
	assert.ErrorIs(t, (*jwtgate.Token)(nil).CheckScopes("read"), jwtgate.ErrTokenMissing)
	assert.Error(t, adapt.ValidateScopes(nil))
	assert.Error(t, adapt.ValidateScopes([]string{"a b"}))
	assert.Error(t, adapt.ValidateScopes([]string{`a"`}))
	assert.NoError(t, adapt.ValidateScopes([]string{"orders:read", "admin"}))
}

func TestHooks(t *testing.T) {
	t.Parallel()
	var errs, oks int
	a := testAuth(t, func(c *jwtgate.Config) {
		c.OnError = func(context.Context, error) { errs++ }
		c.OnSuccess = func(context.Context, *jwtgate.Token) { oks++ }
	})
	_, err := a.Verify(context.Background(), mint(testSecret, goodHeader, claimsJSON("")))
	require.NoError(t, err)
	_, err = a.Verify(context.Background(), "x.y.z")
	require.Error(t, err)
	assert.Equal(t, 1, errs)
	assert.Equal(t, 1, oks)
}

func TestRequiredClaims(t *testing.T) {
	t.Parallel()
	a := testAuth(t, func(c *jwtgate.Config) { c.RequiredClaims = []string{"sub", "tenant"} })
	tests := []struct {
		name  string
		extra string
		ok    bool
	}{
		{name: "present", extra: `"tenant":"acme"`, ok: true},
		{name: "absent", extra: ``},
		{name: "null", extra: `"tenant":null`},
		{name: "other case", extra: `"Tenant":"acme"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := a.Verify(context.Background(), mint(testSecret, goodHeader, claimsJSON(tt.extra)))
			if tt.ok {
				assert.NoError(t, err)
				return
			}
			assert.ErrorIs(t, err, jwt.ErrTokenRequiredClaimMissing)
			assert.ErrorIs(t, err, jwtgate.ErrInvalidToken)
		})
	}
}

func TestLoggerNeverSeesToken(t *testing.T) {
	t.Parallel()
	var buf strings.Builder
	a := testAuth(t, func(c *jwtgate.Config) {
		c.Logger = slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	tok := mint([]byte("ffffffffffffffffffffffffffffffff"), goodHeader, claimsJSON(""))
	_, err := a.Verify(context.Background(), tok)
	require.Error(t, err)
	assert.Contains(t, buf.String(), "request refused")
	for _, part := range strings.Split(tok, ".") {
		assert.NotContains(t, buf.String(), part)
	}
}

func TestResponseBodyEscapesApplicationText(t *testing.T) {
	t.Parallel()
	b := jwtgate.Response{Code: "invalid_credentials", Description: `bad "name"` + "\n"}.Body()
	assert.JSONEq(t, `{"error":"invalid_credentials","error_description":"bad \"name\"\n"}`, string(b))
	b = jwtgate.Response{Code: "invalid_credentials", Description: "Wrong username or password"}.Body()
	assert.Equal(t, `{"error":"invalid_credentials","error_description":"Wrong username or password"}`, string(b))
}

// TestDefaultLeeway: without a Leeway, DefaultLeeway (60 s) applies; NoLeeway
// demands exact times.
func TestDefaultLeeway(t *testing.T) {
	t.Parallel()
	def := testAuth(t, func(c *jwtgate.Config) { c.Leeway = 0 })
	exact := testAuth(t, nil)
	ahead := mint(testSecret, goodHeader, strings.Replace(claimsJSON(""), `"iat":1795867200`, `"iat":1795867202`, 1))
	_, err := def.Verify(context.Background(), ahead)
	assert.NoError(t, err, "an issuer two seconds ahead")
	_, err = exact.Verify(context.Background(), ahead)
	assert.ErrorIs(t, err, jwt.ErrTokenUsedBeforeIssued)
	assert.Equal(t, 60*time.Second, jwtgate.DefaultLeeway)
}

// TestRefusalRecords: one structured record per refusal, with the facts
// that explain it and never the token; a store that cannot answer is logged
// at Warn once a second, with the count of records left out.
func TestRefusalRecords(t *testing.T) {
	t.Parallel()
	var buf strings.Builder
	clock := testNow
	a := testAuth(t, func(c *jwtgate.Config) {
		c.Logger = slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
		c.RequiredClaims = []string{"tid"}
		c.Revoker = failingRevoker{err: errors.New("redis: connection refused")}
		c.Now = func() time.Time { return clock }
	})
	records := func() []map[string]any {
		var out []map[string]any
		for line := range strings.SplitSeq(strings.TrimSpace(buf.String()), "\n") {
			var m map[string]any
			require.NoError(t, json.Unmarshal([]byte(line), &m), line)
			out = append(out, m)
		}
		buf.Reset()
		return out
	}
	for _, tc := range []struct {
		claims string
		want   map[string]any
	}{
		{claims: claimsJSON(""), want: map[string]any{"reason": "missing_claim", "claim": "tid", "level": "DEBUG", "status": 401.0, "sub": "user-1", "iss": "https://issuer.example", "alg": "HS256"}},
		{claims: strings.Replace(claimsJSON(`"tid":"t"`), `"aud":"api://svc"`, `"aud":["api://other","api://third"]`, 1), want: map[string]any{"reason": "audience", "aud": "api://other api://third", "aud_expected": "api://svc"}},
		{claims: strings.Replace(claimsJSON(`"tid":"t"`), `"exp":1795867500`, `"exp":1795867100`, 1), want: map[string]any{"reason": "expired"}},
	} {
		tok := mint(testSecret, goodHeader, tc.claims)
		_, err := a.Authenticate(context.Background(), bearer(tok))
		require.Error(t, err)
		recs := records()
		require.Len(t, recs, 1)
		for k, v := range tc.want {
			assert.Equal(t, v, recs[0][k], "%s of %s", k, tc.want["reason"])
		}
		assert.Equal(t, "GET", recs[0]["method"])
		assert.Equal(t, "header:Authorization", recs[0]["source"])
		line, _ := json.Marshal(recs[0])
		for _, part := range strings.Split(tok, ".") {
			assert.NotContains(t, string(line), part, "never the token")
		}
	}

	// The store is down: 503, Warn, once a second.
	tok := mint(testSecret, goodHeader, claimsJSON(`"tid":"t"`))
	for range 50 {
		_, err := a.Verify(context.Background(), tok)
		require.ErrorIs(t, err, jwtgate.ErrUnavailable)
	}
	recs := records()
	require.Len(t, recs, 1, "fifty failures in one second: one record")
	assert.Equal(t, "WARN", recs[0]["level"])
	assert.Equal(t, "store_unavailable", recs[0]["reason"])
	assert.Equal(t, "redis: connection refused", recs[0]["error"])
	clock = clock.Add(time.Second)
	_, _ = a.Verify(context.Background(), tok)
	recs = records()
	require.Len(t, recs, 1)
	assert.Equal(t, 49.0, recs[0]["suppressed"], "the next says how many were left out")
}
