package main

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// inspected is what inspect prints, as a test reads it.
type inspected struct {
	Verified *bool                      `json:"verified"`
	Warning  string                     `json:"warning"`
	Header   map[string]any             `json:"header"`
	Claims   map[string]json.RawMessage `json:"claims"`
	Times    map[string]struct {
		Value    json.RawMessage `json:"value"`
		Time     string          `json:"time"`
		Relative string          `json:"relative"`
		Expired  *bool           `json:"expired"`
		InEffect *bool           `json:"in_effect"`
		Future   *bool           `json:"in_future"`
		Problem  string          `json:"problem"`
	} `json:"times"`
	SignatureBytes int `json:"signature_bytes"`
}

func TestInspect(t *testing.T) {
	t.Parallel()
	token := mustMint(t, secretEnv, "-key-env", "JWT_SECRET", "-iss", "iss-1", "-aud", "a", "-sub", "alice", "-nbf", "2m", "-ttl", "1h", "-kid", "k", "-claim", "big=12345678901234567890")
	iat := number(t, decodePart(t, token, 1)["iat"])

	for _, in := range []struct {
		name  string
		args  []string
		stdin string
	}{
		{name: "argument", args: []string{token}},
		{name: "standard input", args: []string{"-"}, stdin: token + "\n"},
		{name: "standard input by default", stdin: "  " + token + "\r\n"},
		{name: "Bearer prefix", args: []string{"Bearer " + token}},
	} {
		t.Run(in.name, func(t *testing.T) {
			t.Parallel()
			r := cli(t, nil, in.stdin, append([]string{"inspect"}, in.args...)...)
			require.Equal(t, 0, r.code, r.stderr)
			assert.Contains(t, r.stderr, "NOT VERIFIED")
			assert.Contains(t, r.stdout, "\n  \"verified\": false,\n", "pretty-printed")
			var out inspected
			require.NoError(t, json.Unmarshal([]byte(r.stdout), &out), r.stdout)
			require.NotNil(t, out.Verified)
			assert.False(t, *out.Verified)
			assert.Contains(t, out.Warning, "NOT VERIFIED")
			assert.Equal(t, map[string]any{"alg": "HS256", "typ": "at+jwt", "kid": "k"}, out.Header)
			assert.JSONEq(t, `"iss-1"`, string(out.Claims["iss"]))
			assert.Equal(t, "12345678901234567890", string(out.Claims["big"]), "numbers as they are")
			assert.Equal(t, 32, out.SignatureBytes)

			exp := out.Times["exp"]
			assert.Equal(t, time.Unix(iat+3600, 0).UTC().Format(time.RFC3339), exp.Time)
			require.NotNil(t, exp.Expired)
			assert.False(t, *exp.Expired)
			assert.True(t, strings.HasPrefix(exp.Relative, "in "), exp.Relative)
			nbf := out.Times["nbf"]
			assert.Equal(t, time.Unix(iat+120, 0).UTC().Format(time.RFC3339), nbf.Time)
			require.NotNil(t, nbf.InEffect)
			assert.False(t, *nbf.InEffect)
			got := out.Times["iat"]
			assert.Equal(t, time.Unix(iat, 0).UTC().Format(time.RFC3339), got.Time)
			require.NotNil(t, got.Future)
			assert.False(t, *got.Future)
		})
	}
}

// seg is base64url without padding.
func seg(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func TestInspectDates(t *testing.T) {
	t.Parallel()
	now := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	token := seg(`{"alg":"none"}`) + "." + seg(`{"exp":1893496800,"nbf":1893493200.5,"iat":"1893493200","sub":"<a&b>"}`) + "."
	out, err := inspect(token, now)
	require.NoError(t, err)
	assert.Contains(t, string(out), `"sub": "<a&b>"`, "no HTML escaping")
	var got inspected
	require.NoError(t, json.Unmarshal(out, &got), string(out))

	exp := got.Times["exp"]
	assert.Equal(t, "2030-01-01T11:20:00Z", exp.Time)
	assert.Equal(t, "40m0s ago", exp.Relative)
	require.NotNil(t, exp.Expired)
	assert.True(t, *exp.Expired, "exp has passed")

	nbf := got.Times["nbf"]
	assert.Equal(t, "2030-01-01T10:20:00.5Z", nbf.Time)
	require.NotNil(t, nbf.InEffect)
	assert.True(t, *nbf.InEffect)

	iat := got.Times["iat"]
	assert.Equal(t, `"1893493200"`, string(iat.Value))
	assert.Empty(t, iat.Time)
	assert.Contains(t, iat.Problem, "not a number")
	assert.Equal(t, 0, got.SignatureBytes)

	for value, problem := range map[string]string{"-1": "out of range", "1e300": "out of range", "253402300800": "out of range", "true": "not a number", "null": "not a number"} {
		out, err := inspect(seg(`{}`)+"."+seg(`{"exp":`+value+`}`)+".", now)
		require.NoError(t, err)
		require.NoError(t, json.Unmarshal(out, &got))
		assert.Contains(t, got.Times["exp"].Problem, problem, value)
	}

	out, err = inspect(seg(`{"alg":"HS256"}`)+"."+seg(`{"exp":1893502800}`)+".c2ln", now)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(out, &got))
	assert.Equal(t, "in 1h0m0s", got.Times["exp"].Relative)
	assert.False(t, *got.Times["exp"].Expired)

	out, err = inspect(seg(`{"alg":"HS256"}`)+"."+seg(`{"sub":"x"}`)+".", now)
	require.NoError(t, err)
	assert.NotContains(t, string(out), `"times"`, "no dates, no times")
}

func TestInspectMalformed(t *testing.T) {
	t.Parallel()
	good := seg(`{"alg":"HS256"}`)
	tests := []struct {
		name, token, want string
	}{
		{name: "one segment", token: "abc", want: "has 1"},
		{name: "two segments", token: good + "." + seg("{}"), want: "has 2"},
		{name: "four segments", token: "a.b.c.d", want: "has 4"},
		{name: "JWE", token: "a.b.c.d.e", want: "JWE"},
		{name: "header not base64url", token: "ey$.e30.", want: "the header is not base64url"},
		{name: "padding", token: base64.URLEncoding.EncodeToString([]byte(`{"alg":"HS256"}x`)) + ".e30.", want: "with padding"},
		{name: "header not JSON", token: seg("alg=HS256") + ".e30.", want: "the header is not a JSON object"},
		{name: "header an array", token: seg(`["alg"]`) + ".e30.", want: "the header is not a JSON object"},
		{name: "payload not base64url", token: good + ".e30*.", want: "the payload is not base64url"},
		{name: "payload not JSON", token: good + "." + seg("hello") + ".", want: "the payload is not a JSON object"},
		{name: "payload a string", token: good + "." + seg(`"x"`) + ".", want: "the payload is not a JSON object"},
		{name: "signature not base64url", token: good + ".e30.a+b", want: "the signature is not base64url"},
		{name: "empty", token: " ", want: "no token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := cli(t, nil, "", "inspect", tt.token)
			if tt.name == "empty" {
				assert.Equal(t, 2, r.code)
			} else {
				assert.Equal(t, 1, r.code)
				assert.Contains(t, r.stderr, "jwtgate inspect: malformed token")
			}
			assert.Contains(t, r.stderr, tt.want)
			assert.Empty(t, r.stdout)
		})
	}
}
