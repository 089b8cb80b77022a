package main

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/dpop"
	"github.com/jwtgate/jwtgate/core/jwks"
	httpjwt "github.com/jwtgate/jwtgate/nethttp"
)

// rfc7638Key is the example key of RFC 7638 §3.1, and rfc7638JKT its
// thumbprint as the RFC gives it (§3.1, the end of the example).
const (
	rfc7638Key = `{"kty":"RSA","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw","e":"AQAB","alg":"RS256","kid":"2011-04-29"}`
	rfc7638JKT = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
)

// The proof of RFC 9449 §4.1 (Figure 2), and its key's thumbprint (§6.1).
const (
	rfc9449Proof = "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19.eyJqdGkiOiItQndDM0VTYzZhY2MybFRjIiwiaHRtIjoiUE9TVCIsImh0dSI6Imh0dHBzOi8vc2VydmVyLmV4YW1wbGUuY29tL3Rva2VuIiwiaWF0IjoxNTYyMjYyNjE2fQ.2-GxA6T8lP4vfrg8v-FdWP0A0zdrj8igiMLvqRMUvwnQg4PtFLbdLXiOSsX0x7NVY-FNyJK70nfbV37xRZT3Lg"
	rfc9449JKT   = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"
)

// dpopKeyAlgs are the algorithms dpop-key is tested with.
var dpopKeyAlgs = []string{"ES256", "ES384", "ES512", "EdDSA", "Ed25519", "PS256", "RS256"}

// newDPoPKey runs dpop-key for alg into a file in dir and returns the file's
// path and the thumbprint it printed.
func newDPoPKey(t *testing.T, dir, alg string) (path, jkt string) {
	t.Helper()
	path = filepath.Join(dir, alg+".jwk")
	r := cli(t, nil, "", "dpop-key", "-alg", alg, "-out", path)
	require.Equal(t, 0, r.code, r.stderr)
	require.Empty(t, r.stdout, "the key went to the file")
	return path, printedJKT(t, r.stderr)
}

// printedJKT is the thumbprint in dpop-key's standard error.
func printedJKT(t *testing.T, stderr string) string {
	t.Helper()
	line, ok := strings.CutPrefix(stderr, "jwtgate dpop-key: thumbprint (jkt): ")
	require.True(t, ok, "stderr: %q", stderr)
	require.True(t, strings.HasSuffix(line, "\n") && strings.Count(line, "\n") == 1, "one line: %q", stderr)
	return strings.TrimSuffix(line, "\n")
}

// sprintfThumbprint computes a public JWK's RFC 7638 thumbprint the way
// jwtgatetest.NewDPoPKey does, with its own format strings: the required
// members in lexicographic order, no white space, SHA-256, base64url.
func sprintfThumbprint(t *testing.T, jwk map[string]any) string {
	t.Helper()
	var canonical string
	switch jwk["kty"] {
	case "EC":
		canonical = fmt.Sprintf(`{"crv":%q,"kty":"EC","x":%q,"y":%q}`, jwk["crv"], jwk["x"], jwk["y"])
	case "OKP":
		canonical = fmt.Sprintf(`{"crv":%q,"kty":"OKP","x":%q}`, jwk["crv"], jwk["x"])
	case "RSA":
		canonical = fmt.Sprintf(`{"e":%q,"kty":"RSA","n":%q}`, jwk["e"], jwk["n"])
	default:
		t.Fatalf("kty %v", jwk["kty"])
	}
	h := sha256.Sum256([]byte(canonical))
	return base64.RawURLEncoding.EncodeToString(h[:])
}

func readJSON(t *testing.T, data []byte) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(data, &m), "%s", data)
	return m
}

// TestDPoPKey: dpop-key writes a private JWK that jwks.ParseKey reads back
// as a signing key of the algorithm asked for, readable by its owner only,
// and prints the thumbprint of its public half as jwtgatetest computes it.
func TestDPoPKey(t *testing.T) {
	t.Parallel()
	for _, alg := range dpopKeyAlgs {
		t.Run(alg, func(t *testing.T) {
			t.Parallel()
			path, jkt := newDPoPKey(t, t.TempDir(), alg)
			info, err := os.Stat(path)
			require.NoError(t, err)
			assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())

			data, err := os.ReadFile(path)
			require.NoError(t, err)
			assert.True(t, strings.HasSuffix(string(data), "}\n"))
			jwk := readJSON(t, data)
			assert.Equal(t, alg, jwk["alg"])
			assert.NotEmpty(t, jwk["d"], "a private key")
			assert.Equal(t, sprintfThumbprint(t, jwk), jkt)

			k, err := jwks.ParseKey(data)
			require.NoError(t, err)
			assert.Equal(t, alg, k.Algorithm)
			assert.NotNil(t, k.SignKey)
		})
	}

	t.Run("standard output", func(t *testing.T) {
		t.Parallel()
		r := cli(t, nil, "", "dpop-key")
		require.Equal(t, 0, r.code, r.stderr)
		jwk := readJSON(t, []byte(r.stdout))
		assert.Equal(t, "ES256", jwk["alg"], "the default")
		assert.Equal(t, "P-256", jwk["crv"])
		assert.Equal(t, sprintfThumbprint(t, jwk), printedJKT(t, r.stderr))
		_, err := jwks.ParseKey([]byte(r.stdout))
		require.NoError(t, err)
	})

	t.Run("two keys differ", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		_, a := newDPoPKey(t, dir, "ES256")
		_, b := newDPoPKey(t, dir, "EdDSA")
		r := cli(t, nil, "", "dpop-key")
		assert.NotEqual(t, a, b)
		assert.NotEqual(t, a, printedJKT(t, r.stderr))
	})

	t.Run("an existing file is kept", func(t *testing.T) {
		t.Parallel()
		path := writeFile(t, t.TempDir(), "client.jwk", []byte("the key tokens are bound to\n"))
		r := cli(t, nil, "", "dpop-key", "-out", path)
		assert.Equal(t, 1, r.code)
		assert.Contains(t, r.stderr, "exists already; it is never overwritten")
		assert.Empty(t, r.stdout)
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		assert.Equal(t, "the key tokens are bound to\n", string(data))
	})

	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{name: "HMAC", args: []string{"-alg", "HS256"}, want: `-alg "HS256" is not an algorithm for DPoP proofs`},
		{name: "unknown alg", args: []string{"-alg", "ES999"}, want: `-alg "ES999" is not an algorithm for DPoP proofs`},
		{name: "argument", args: []string{"client.jwk"}, want: `unexpected argument "client.jwk"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := cli(t, nil, "", append([]string{"dpop-key"}, tt.args...)...)
			assert.Equal(t, 2, r.code)
			assert.Contains(t, r.stderr, tt.want)
			assert.Contains(t, r.stderr, "Usage: jwtgate dpop-key")
			assert.Empty(t, r.stdout)
		})
	}
	t.Run("a directory that does not exist", func(t *testing.T) {
		t.Parallel()
		r := cli(t, nil, "", "dpop-key", "-out", filepath.Join(t.TempDir(), "no", "client.jwk"))
		assert.Equal(t, 1, r.code)
		assert.Contains(t, r.stderr, "-out:")
	})
}

// TestThumbprintRFC7638: the thumbprint of RFC 7638's example key, imported
// as a JWK, is the RFC's; so is what inspect shows for a header holding it.
// RFC 9449's example proof shows RFC 9449's thumbprint.
func TestThumbprintRFC7638(t *testing.T) {
	t.Parallel()
	k, err := jwks.ParseKey([]byte(rfc7638Key))
	require.NoError(t, err)
	jwk, err := publicJWK(k.VerifyKey)
	require.NoError(t, err)
	assert.Equal(t, rfc7638JKT, dpop.Thumbprint(jwk), "from the key, as dpop-key and dpop-proof compute it")
	got, err := jwkThumbprint([]byte(rfc7638Key))
	require.NoError(t, err)
	assert.Equal(t, rfc7638JKT, got, "from the JSON, as inspect computes it")

	header := `{"alg":"RS256","typ":"dpop+jwt","jwk":` + rfc7638Key + `}`
	token := b64([]byte(header)) + "." + b64([]byte(`{"htm":"GET"}`)) + "." + b64([]byte("sig"))
	assert.Equal(t, &dpopKeys{JWKThumbprint: rfc7638JKT}, inspectDPoP(t, token))
	assert.Equal(t, &dpopKeys{JWKThumbprint: rfc9449JKT}, inspectDPoP(t, rfc9449Proof))
}

// inspectDPoP runs inspect on token and returns its "dpop" member.
func inspectDPoP(t *testing.T, token string) *dpopKeys {
	t.Helper()
	r := cli(t, nil, "", "inspect", token)
	require.Equal(t, 0, r.code, r.stderr)
	var out struct {
		DPoP *dpopKeys `json:"dpop"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &out), r.stdout)
	return out.DPoP
}

func TestInspectDPoP(t *testing.T) {
	t.Parallel()
	segs := func(header, claims string) string {
		return b64([]byte(header)) + "." + b64([]byte(claims)) + "." + b64([]byte("sig"))
	}
	jkt := rfc9449JKT
	for _, tt := range []struct {
		name  string
		token string
		want  *dpopKeys
	}{
		{name: "a bound token", token: mustMint(t, secretEnv, "-key-env", "JWT_SECRET", "-claim", `cnf={"jkt":"`+jkt+`"}`), want: &dpopKeys{CnfJKT: jkt}},
		{name: "a bearer token", token: mustMint(t, secretEnv, "-key-env", "JWT_SECRET"), want: nil},
		{name: "cnf without jkt", token: segs(`{"alg":"HS256"}`, `{"cnf":{"x5t#S256":"abc"}}`), want: nil},
		{name: "an OKP key", token: segs(`{"jwk":{"x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","kty":"OKP","crv":"Ed25519"}}`, `{}`),
			want: &dpopKeys{JWKThumbprint: "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"}}, // RFC 8037 §A.3
		{name: "a private jwk", token: segs(`{"jwk":{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"}}`, `{}`),
			want: &dpopKeys{JWKThumbprint: "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k", JWKProblem: "the jwk holds private members (d): jwtgate refuses the proof"}},
		{name: "an unknown kty", token: segs(`{"jwk":{"kty":"XYZ"}}`, `{}`), want: &dpopKeys{JWKProblem: `no thumbprint: kty "XYZ": RFC 7638 defines the thumbprint of EC, RSA, OKP and oct keys`}},
		{name: "a member missing", token: segs(`{"jwk":{"kty":"EC","crv":"P-256","x":"AA"}}`, `{}`), want: &dpopKeys{JWKProblem: `no thumbprint: kty EC without a "y" string`}},
		{name: "not an object", token: segs(`{"jwk":"abc"}`, `{}`), want: &dpopKeys{JWKProblem: "no thumbprint: not a JSON object"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.want, inspectDPoP(t, tt.token))
		})
	}
}

// mustProof runs dpop-proof with args and returns the proof, failing the test
// unless it printed one proof and nothing on standard error.
func mustProof(t *testing.T, args ...string) string {
	t.Helper()
	r := cli(t, nil, "", append([]string{"dpop-proof"}, args...)...)
	require.Equal(t, 0, r.code, "dpop-proof %v: %s", args, r.stderr)
	require.Empty(t, r.stderr)
	require.True(t, strings.HasSuffix(r.stdout, "\n"), "a trailing line break, which $(…) drops")
	proof := strings.TrimSuffix(r.stdout, "\n")
	require.Equal(t, 2, strings.Count(proof, "."), "the proof alone: %q", r.stdout)
	return proof
}

// TestDPoPProofContent: the header is typ, alg and the public jwk only; the
// claims are jti, htm, htu, iat, and ath and nonce when asked for.
func TestDPoPProofContent(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, alg := range dpopKeyAlgs {
		t.Run(alg, func(t *testing.T) {
			t.Parallel()
			path, jkt := newDPoPKey(t, dir, alg)
			file := readJSON(t, must(os.ReadFile(path)))
			proof := mustProof(t, "-key", path, "-htm", "POST", "-htu", "https://server.example.com/token", "-iat", "1562262616")

			h := decodePart(t, proof, 0)
			assert.ElementsMatch(t, []string{"typ", "alg", "jwk"}, keys(h))
			assert.Equal(t, "dpop+jwt", h["typ"])
			assert.Equal(t, alg, h["alg"])
			jwk, _ := h["jwk"].(map[string]any)
			for name, v := range jwk {
				assert.Equal(t, file[name], v, "the key's %s", name)
			}
			assert.NotContains(t, jwk, "d", "never the private key")
			assert.Equal(t, jkt, sprintfThumbprint(t, jwk))
			assert.Equal(t, &dpopKeys{JWKThumbprint: jkt}, inspectDPoP(t, proof))

			c := decodePart(t, proof, 1)
			assert.ElementsMatch(t, []string{"jti", "htm", "htu", "iat"}, keys(c))
			assert.Equal(t, "POST", c["htm"])
			assert.Equal(t, "https://server.example.com/token", c["htu"])
			assert.Equal(t, json.Number("1562262616"), c["iat"])
			assert.NotEqual(t, c["jti"], decodePart(t, mustProof(t, "-key", path, "-htm", "POST", "-htu", "https://server.example.com/token"), 1)["jti"], "a fresh jti each time")
		})
	}

	t.Run("ath and nonce", func(t *testing.T) {
		t.Parallel()
		path, _ := newDPoPKey(t, t.TempDir(), "ES256")
		// RFC 9449 §7.1's access token and its ath.
		const token, ath = "Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU", "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo"
		for _, given := range []string{token, "DPoP " + token, "Bearer " + token} {
			c := decodePart(t, mustProof(t, "-key", path, "-htm", "GET", "-htu", "https://resource.example.org/protectedresource", "-token", given, "-nonce", "eyJ7S_zG.eyJH0-Z.HX4w-7v"), 1)
			assert.Equal(t, ath, c["ath"], "-token %q", given)
			assert.Equal(t, "eyJ7S_zG.eyJH0-Z.HX4w-7v", c["nonce"])
		}
		r := cli(t, nil, token+"\n", "dpop-proof", "-key", path, "-htm", "GET", "-htu", "https://resource.example.org/protectedresource", "-token", "-")
		require.Equal(t, 0, r.code, r.stderr)
		assert.Equal(t, ath, decodePart(t, strings.TrimSpace(r.stdout), 1)["ath"], "-token - reads standard input")
	})

	t.Run("iat", func(t *testing.T) {
		t.Parallel()
		path, _ := newDPoPKey(t, t.TempDir(), "ES256")
		before := time.Now().Unix()
		iat := number(t, decodePart(t, mustProof(t, "-key", path, "-htm", "GET", "-htu", "http://x/"), 1)["iat"])
		assert.True(t, iat >= before && iat <= time.Now().Unix(), "now by default")
		assert.Equal(t, int64(2000000000), number(t, decodePart(t, mustProof(t, "-key", path, "-htm", "GET", "-htu", "http://x/", "-iat", "2033-05-18T03:33:20Z"), 1)["iat"]))
		iat = number(t, decodePart(t, mustProof(t, "-key", path, "-htm", "GET", "-htu", "http://x/", "-iat", "-1h"), 1)["iat"])
		assert.InDelta(t, time.Now().Add(-time.Hour).Unix(), iat, 5)
	})

	t.Run("query and fragment left out", func(t *testing.T) {
		t.Parallel()
		path, _ := newDPoPKey(t, t.TempDir(), "ES256")
		for _, u := range []string{"https://api.example.com/orders?page=2", "https://api.example.com/orders#top", "https://api.example.com/orders?", "https://api.example.com/orders?a=b#c"} {
			r := cli(t, nil, "", "dpop-proof", "-key", path, "-htm", "GET", "-htu", u)
			require.Equal(t, 0, r.code, r.stderr)
			assert.Equal(t, "https://api.example.com/orders", decodePart(t, strings.TrimSpace(r.stdout), 1)["htu"], u)
			assert.Equal(t, "jwtgate dpop-proof: htu is https://api.example.com/orders: the URL without its query and fragment (RFC 9449 §4.2)\n", r.stderr)
		}
	})

	t.Run("PEM and PS256", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		rsaPEM, _ := writePEM(t, dir, "rsa", keyPair("RS256", 0))
		assert.Equal(t, "RS256", decodePart(t, mustProof(t, "-key", rsaPEM, "-htm", "GET", "-htu", "http://x/"), 0)["alg"], "an RSA key's default")
		assert.Equal(t, "PS256", decodePart(t, mustProof(t, "-key", rsaPEM, "-alg", "PS256", "-htm", "GET", "-htu", "http://x/"), 0)["alg"])
		ecPEM, _ := writePEM(t, dir, "ec", keyPair("ES384", 0))
		assert.Equal(t, "ES384", decodePart(t, mustProof(t, "-key", ecPEM, "-htm", "GET", "-htu", "http://x/"), 0)["alg"], "by curve")
	})
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestDPoPProofRefused: what dpop-proof refuses, and how.
func TestDPoPProofRefused(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	key, _ := newDPoPKey(t, dir, "ES256")
	_, publicPEM := writePEM(t, dir, "ec", keyPair("ES256", 0))
	publicJWK := cli(t, nil, "", "jwks", "-key", key)
	require.Equal(t, 0, publicJWK.code, publicJWK.stderr)
	var set struct{ Keys []json.RawMessage }
	require.NoError(t, json.Unmarshal([]byte(publicJWK.stdout), &set))
	publicJWKFile := writeFile(t, dir, "public.jwk", set.Keys[0])
	setFile := writeFile(t, dir, "set.json", []byte(publicJWK.stdout))
	secretFile := writeFile(t, dir, "hs256.secret", []byte(testSecret+"\n"))
	octFile := writeFile(t, dir, "oct.jwk", []byte(`{"kty":"oct","k":"`+b64([]byte(testSecret))+`","alg":"HS256"}`))

	ok := []string{"-key", key, "-htm", "GET", "-htu", "https://api.example.com/me"}
	with := func(args ...string) []string {
		out := append([]string(nil), ok...)
		for i := 0; i < len(args); i += 2 {
			for j := 0; j < len(out); j += 2 {
				if out[j] == args[i] {
					out = append(out[:j], out[j+2:]...)
					break
				}
			}
			if args[i+1] != "\x00" { // "\x00" only drops the flag
				out = append(out, args[i], args[i+1])
			}
		}
		return out
	}
	for _, tt := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no key", with("-key", "\x00"), 2, "give the private key with -key"},
		{"no method", with("-htm", "\x00"), 2, "give the request's method with -htm"},
		{"no URL", with("-htu", "\x00"), 2, "give the request's URL with -htu"},
		{"a method with a space", with("-htm", "GET POST"), 2, `-htm "GET POST" is not an HTTP method`},
		{"a method with a parenthesis", with("-htm", "PO(ST"), 2, "is not an HTTP method"},
		{"a method not ASCII", with("-htm", "GÉT"), 2, "is not an HTTP method"},
		{"a path", with("-htu", "/api/me"), 2, "the URL must be absolute, http:// or https://"},
		{"another scheme", with("-htu", "ftp://api.example.com/me"), 2, "the URL must be absolute"},
		{"no host", with("-htu", "http:///api/me"), 2, "the URL has no host"},
		{"opaque", with("-htu", "http:api.example.com"), 2, "the URL has no host"},
		{"user information", with("-htu", "https://alice:secret@api.example.com/me"), 2, "the URL holds user information"},
		{"not a URL", with("-htu", "http://[::1/me"), 2, "is not a URL"},
		{"a nonce with a quote", with("-nonce", `a"b`), 2, "-nonce: a nonce is printable ASCII"},
		{"an empty token", with("-token", ""), 2, "-token is empty: no access token to bind the proof to (did the login fail?)"},
		{"a token with spaces", with("-token", "a b"), 2, "-token is not an access token"},
		{"bad iat", with("-iat", "soon"), 2, `-iat: "soon" is not a duration`},
		{"HMAC alg", with("-alg", "HS256"), 2, `-alg "HS256" is not an algorithm for DPoP proofs`},
		{"an alg the key does not fit", with("-alg", "ES384"), 1, "-alg ES384"},
		{"a public JWK", with("-key", publicJWKFile), 1, "holds a public key; a proof is signed with the private key"},
		{"a public PEM", with("-key", publicPEM), 1, "holds a public key; a proof is signed with the private key"},
		{"an HMAC secret", with("-key", secretFile), 1, "if it holds an HMAC secret, it cannot sign a proof"},
		{"a symmetric JWK", with("-key", octFile), 1, "is a symmetric key (HS256): a proof is signed with an asymmetric private key"},
		{"a JWK Set", with("-key", setFile), 1, "is a JWK Set; give one private key"},
		{"no such file", with("-key", filepath.Join(dir, "none.jwk")), 1, "-key: open"},
		{"an argument", append(with(), "extra"), 2, `unexpected argument "extra"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := cli(t, nil, "", append([]string{"dpop-proof"}, tt.args...)...)
			assert.Equal(t, tt.code, r.code, r.stderr)
			assert.Contains(t, r.stderr, "jwtgate dpop-proof: ")
			assert.Contains(t, r.stderr, tt.want)
			assert.Empty(t, r.stdout)
			assert.NotContains(t, r.stderr, testSecret, "a secret is never printed")
			if tt.code == 2 {
				assert.Contains(t, r.stderr, "Usage: jwtgate dpop-proof")
			}
		})
	}
}

// resourceServer is an API that takes DPoP-bound tokens signed with
// testSecret, through httpjwt, at a fixed time; GET /api/me answers the
// token's subject.
func resourceServer(t *testing.T, now time.Time) *httptest.Server {
	t.Helper()
	clock := func() time.Time { return now }
	auth, err := jwtgate.New(jwtgate.Config{
		Keys:     jwtgate.HMAC([]byte(testSecret), "HS256"),
		Issuer:   []string{"https://issuer.example"},
		Audience: []string{"api"},
		Now:      clock,
		DPoP:     &dpop.Config{Replay: dpop.NewMemoryReplayStore(clock)},
	})
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle("/api/", httpjwt.New(httpjwt.Config{Authenticator: auth})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, _ := jwtgate.FromContext(r.Context())
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"sub": tok.Subject, "jkt": tok.JKT})
	})))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// call sends method url with "Authorization: <scheme> <token>" and the
// proof, and returns the status, the body and the challenge.
func call(t *testing.T, method, url, scheme, token, proof string) (int, string, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", scheme+" "+token)
	if proof != "" {
		req.Header.Set("DPoP", proof)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(body), resp.Header.Get("WWW-Authenticate")
}

// TestDPoPProofAccepted: a token minted with cnf.jkt the thumbprint
// dpop-key printed, sent with a proof dpop-proof made, is accepted by a
// jwtgate Authenticator with DPoP behind httpjwt; a proof for another
// request, another key or another token is refused.
func TestDPoPProofAccepted(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// The keys first, RSA's being slow to make.
	type client struct{ key, jkt, token string }
	clients := map[string]*client{}
	for _, alg := range dpopKeyAlgs {
		key, jkt := newDPoPKey(t, dir, alg)
		clients[alg] = &client{key: key, jkt: jkt}
	}
	pem, _ := writePEM(t, dir, "ed", keyPair("EdDSA", 0))
	// The thumbprint of a PEM key: inspect shows the one of a proof's key.
	clients["PEM"] = &client{key: pem, jkt: inspectDPoP(t, mustProof(t, "-key", pem, "-htm", "GET", "-htu", "http://x/")).JWKThumbprint}
	key, jkt := newDPoPKey(t, t.TempDir(), "ES256")
	other, _ := newDPoPKey(t, t.TempDir(), "ES256")

	// The server's clock, fixed at a whole second just before the tokens
	// are minted: mint signs with the time of minting (iat), within the
	// verifier's leeway of it. Every proof is made for this time.
	now := time.Unix(time.Now().Unix(), 0)
	iat := strconv.FormatInt(now.Unix(), 10)
	srv := resourceServer(t, now)
	me := srv.URL + "/api/me"
	bound := func(jkt string) string {
		return mustMint(t, secretEnv, "-key-env", "JWT_SECRET", "-iss", "https://issuer.example", "-aud", "api", "-sub", "alice", "-claim", `cnf={"jkt":"`+jkt+`"}`)
	}
	for _, c := range clients {
		c.token = bound(c.jkt)
	}
	token, otherToken := bound(jkt), bound(jkt)
	proof := func(key string, args ...string) string {
		return mustProof(t, append([]string{"-key", key, "-iat", iat}, args...)...)
	}

	for name, c := range clients {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			status, body, _ := call(t, "GET", me, "DPoP", c.token, proof(c.key, "-htm", "GET", "-htu", me, "-token", c.token))
			require.Equal(t, http.StatusOK, status, body)
			assert.JSONEq(t, `{"sub":"alice","jkt":"`+c.jkt+`"}`, body)
		})
	}

	t.Run("a query in the URL", func(t *testing.T) {
		t.Parallel()
		c := clients["ES256"]
		r := cli(t, nil, "", "dpop-proof", "-key", c.key, "-iat", iat, "-htm", "GET", "-htu", me+"?page=2", "-token", c.token)
		require.Equal(t, 0, r.code, r.stderr)
		status, body, _ := call(t, "GET", me+"?page=2", "DPoP", c.token, strings.TrimSpace(r.stdout))
		require.Equal(t, http.StatusOK, status, body)
	})

	for _, tt := range []struct {
		name  string
		proof func() string
	}{
		{name: "another path", proof: func() string { return proof(key, "-htm", "GET", "-htu", srv.URL+"/api/admin", "-token", token) }},
		{name: "another host", proof: func() string {
			return proof(key, "-htm", "GET", "-htu", strings.Replace(me, "127.0.0.1", "localhost", 1), "-token", token)
		}},
		{name: "another scheme", proof: func() string {
			return proof(key, "-htm", "GET", "-htu", strings.Replace(me, "http:", "https:", 1), "-token", token)
		}},
		{name: "another method", proof: func() string { return proof(key, "-htm", "POST", "-htu", me, "-token", token) }},
		{name: "a method in lower case", proof: func() string { return proof(key, "-htm", "get", "-htu", me, "-token", token) }},
		{name: "no ath", proof: func() string { return proof(key, "-htm", "GET", "-htu", me) }},
		{name: "another token's ath", proof: func() string { return proof(key, "-htm", "GET", "-htu", me, "-token", otherToken) }},
		{name: "another key", proof: func() string { return proof(other, "-htm", "GET", "-htu", me, "-token", token) }},
		{name: "too old", proof: func() string {
			return mustProof(t, "-key", key, "-iat", strconv.FormatInt(now.Unix()-61, 10), "-htm", "GET", "-htu", me, "-token", token)
		}},
		{name: "replayed", proof: func() string {
			p := proof(key, "-htm", "GET", "-htu", me, "-token", token)
			status, body, _ := call(t, "GET", me, "DPoP", token, p)
			require.Equal(t, http.StatusOK, status, "the first time: %s", body)
			return p
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			status, body, challenge := call(t, "GET", me, "DPoP", token, tt.proof())
			assert.Equal(t, http.StatusUnauthorized, status)
			assert.Contains(t, body, `"error":"invalid_dpop_proof"`)
			assert.Contains(t, challenge, `error="invalid_dpop_proof"`)
		})
	}
	t.Run("a bound token as Bearer", func(t *testing.T) {
		t.Parallel()
		status, body, _ := call(t, "GET", me, "Bearer", token, "")
		assert.Equal(t, http.StatusUnauthorized, status)
		assert.Contains(t, body, `"error":"invalid_token"`)
	})
}
