package main

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var secretEnv = map[string]string{"JWT_SECRET": testSecret}

func TestMintClaims(t *testing.T) {
	t.Parallel()
	before := time.Now().Unix()
	token := mustMint(t, secretEnv, "-key-env", "JWT_SECRET", "-iss", "jwtgate-example", "-aud", "jwtgate-example-api",
		"-sub", "alice", "-scope", "read write", "-ttl", "90s", "-nbf", "-10s", "-kid", "k1",
		"-claim", `tid="acme"`, "-claim", "big=12345678901234567890", "-claim", "roles=[\"a\",\"b\"]", "-claim", "n=1.50", "-claim", "scp=null")
	after := time.Now().Unix()

	header := decodePart(t, token, 0)
	assert.Equal(t, map[string]any{"alg": "HS256", "typ": "at+jwt", "kid": "k1"}, header)

	c := decodePart(t, token, 1)
	assert.Equal(t, "jwtgate-example", c["iss"])
	assert.Equal(t, "jwtgate-example-api", c["aud"], "one audience is a string")
	assert.Equal(t, "alice", c["sub"])
	assert.Equal(t, "read write", c["scope"])
	assert.Equal(t, "acme", c["tid"])
	assert.Equal(t, json.Number("12345678901234567890"), c["big"], "numbers stay as written")
	assert.Equal(t, json.Number("1.50"), c["n"])
	assert.Equal(t, []any{"a", "b"}, c["roles"])
	assert.Contains(t, c, "scp")
	assert.Nil(t, c["scp"])

	date := func(name string) int64 {
		n, ok := c[name].(json.Number)
		require.True(t, ok, "%s is a number", name)
		v, err := strconv.ParseInt(n.String(), 10, 64)
		require.NoError(t, err, "%s is a whole number of seconds: %s", name, n)
		return v
	}
	iat := date("iat")
	assert.True(t, iat >= before && iat <= after)
	assert.Equal(t, iat+90, date("exp"))
	assert.Equal(t, iat-10, date("nbf"))
	jti, _ := c["jti"].(string)
	assert.NotEmpty(t, jti, "a random jti by default")
}

func TestMintOptions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		args   []string
		header func(t *testing.T, h map[string]any)
		claims func(t *testing.T, c map[string]any)
	}{
		{name: "defaults", args: nil,
			header: func(t *testing.T, h map[string]any) {
				assert.Equal(t, map[string]any{"alg": "HS256", "typ": "at+jwt"}, h)
			},
			claims: func(t *testing.T, c map[string]any) {
				assert.ElementsMatch(t, []string{"iat", "exp", "jti"}, keys(c), "nothing but what was asked")
				assert.Equal(t, number(t, c["iat"])+900, number(t, c["exp"]), "ttl 15m")
			}},
		{name: "several audiences", args: []string{"-aud", "a", "-aud", "b"},
			claims: func(t *testing.T, c map[string]any) { assert.Equal(t, []any{"a", "b"}, c["aud"]) }},
		{name: "jti given", args: []string{"-jti", "id-1"},
			claims: func(t *testing.T, c map[string]any) { assert.Equal(t, "id-1", c["jti"]) }},
		{name: "no jti", args: []string{"-jti="},
			claims: func(t *testing.T, c map[string]any) { assert.NotContains(t, c, "jti") }},
		{name: "no exp", args: []string{"-ttl", "0"},
			claims: func(t *testing.T, c map[string]any) { assert.NotContains(t, c, "exp") }},
		{name: "expired", args: []string{"-ttl", "-1h"},
			claims: func(t *testing.T, c map[string]any) {
				assert.Equal(t, number(t, c["iat"])-3600, number(t, c["exp"]))
			}},
		{name: "nbf as a Unix time", args: []string{"-nbf", "2000000000"},
			claims: func(t *testing.T, c map[string]any) { assert.Equal(t, int64(2000000000), number(t, c["nbf"])) }},
		{name: "nbf as RFC 3339", args: []string{"-nbf", "2033-05-18T03:33:20Z"},
			claims: func(t *testing.T, c map[string]any) { assert.Equal(t, int64(2000000000), number(t, c["nbf"])) }},
		{name: "typ", args: []string{"-typ", "JWT"},
			header: func(t *testing.T, h map[string]any) { assert.Equal(t, "JWT", h["typ"]) }},
		{name: "no typ", args: []string{"-typ="},
			header: func(t *testing.T, h map[string]any) { assert.NotContains(t, h, "typ") }},
		{name: "HS384", args: []string{"-alg", "HS384"},
			header: func(t *testing.T, h map[string]any) { assert.Equal(t, "HS384", h["alg"]) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			token := mustMint(t, secretEnv, append([]string{"-key-env", "JWT_SECRET"}, tt.args...)...)
			if tt.header != nil {
				tt.header(t, decodePart(t, token, 0))
			}
			if tt.claims != nil {
				tt.claims(t, decodePart(t, token, 1))
			}
		})
	}
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func number(t *testing.T, v any) int64 {
	t.Helper()
	n, ok := v.(json.Number)
	require.True(t, ok, "%v is a number", v)
	i, err := n.Int64()
	require.NoError(t, err, "%s is an integer", n)
	return i
}

func TestMintRefuses(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	shortFile := writeFile(t, dir, "short", []byte("only-twenty-bytes-ok\n"))
	_, publicPEM := writePEM(t, dir, "ed", keyPair("EdDSA", 0))
	privatePEM, _ := writePEM(t, dir, "ec", keyPair("ES256", 0))
	secretFile := writeFile(t, dir, "secret", []byte(testSecret))
	badJSON := writeFile(t, dir, "bad.json", []byte(`{"kty": "oct", `+"\n"))
	set := writeFile(t, dir, "set.json", []byte(`{"keys":[]}`))
	env := map[string]string{"JWT_SECRET": testSecret, "SHORT": "0123456789012345678901234567890", "PEM": "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n-----END PUBLIC KEY-----\n"}
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{name: "no key", args: []string{"-iss", "x"}, code: 2, want: "one of -key, -secret-file and -key-env"},
		{name: "two keys", args: []string{"-key", privatePEM, "-key-env", "JWT_SECRET"}, code: 2, want: "one of -key, -secret-file and -key-env"},
		{name: "alg none", args: []string{"-key-env", "JWT_SECRET", "-alg", "none"}, code: 2, want: `-alg "none" is not supported`},
		{name: "alg lower case", args: []string{"-key-env", "JWT_SECRET", "-alg", "hs256"}, code: 2, want: `-alg "hs256" is not supported`},
		{name: "HS256 secret under 32 bytes", args: []string{"-key-env", "SHORT"}, code: 1, want: "HS256 secret is 31 bytes, needs at least 32"},
		{name: "HS512 secret under 64 bytes", args: []string{"-key-env", "SHORT", "-alg", "HS512"}, code: 1, want: "HS512 secret is 31 bytes, needs at least 64"},
		{name: "short secret file", args: []string{"-secret-file", shortFile}, code: 1, want: "HS256 secret is 20 bytes, needs at least 32"},
		{name: "secret file as -key", args: []string{"-key", secretFile}, code: 1, want: "neither a PEM key nor a JWK: an HMAC secret in a file is given with -secret-file"},
		{name: "variable unset", args: []string{"-key-env", "NOPE"}, code: 1, want: "NOPE is not set or empty"},
		{name: "PEM in the variable", args: []string{"-key-env", "PEM"}, code: 1, want: "-key-env PEM is a PEM key, never an HMAC secret"},
		{name: "secret with an asymmetric alg", args: []string{"-key-env", "JWT_SECRET", "-alg", "RS256"}, code: 1, want: "-alg RS256 cannot use"},
		{name: "secret file with an asymmetric alg", args: []string{"-secret-file", secretFile, "-alg", "ES256"}, code: 1, want: "-alg ES256 cannot use"},
		{name: "public key", args: []string{"-key", publicPEM}, code: 1, want: "holds a public key; minting needs the private key"},
		{name: "PEM with HMAC", args: []string{"-key", privatePEM, "-alg", "HS256"}, code: 1, want: "is a PEM key, which -alg HS256 cannot use"},
		{name: "PEM with the wrong alg", args: []string{"-key", privatePEM, "-alg", "ES384"}, code: 1, want: "ES384 needs a key on curve P-384"},
		{name: "PEM with RSA alg", args: []string{"-key", privatePEM, "-alg", "RS256"}, code: 1, want: "RS256 needs an *rsa.PublicKey"},
		{name: "missing file", args: []string{"-key", dir + "/nope.pem"}, code: 1, want: "no such file"},
		{name: "broken JSON", args: []string{"-key", badJSON}, code: 1, want: "not a JSON object"},
		{name: "JWK Set", args: []string{"-key", set}, code: 1, want: "is a JWK Set; give one key"},
		{name: "empty audience", args: []string{"-key-env", "JWT_SECRET", "-aud", ""}, code: 2, want: "-aud is empty"},
		{name: "bad scope", args: []string{"-key-env", "JWT_SECRET", "-scope", "read\twrite"}, code: 2, want: "-scope"},
		{name: "double space in scope", args: []string{"-key-env", "JWT_SECRET", "-scope", "read  write"}, code: 2, want: "-scope"},
		{name: "bad nbf", args: []string{"-key-env", "JWT_SECRET", "-nbf", "tomorrow"}, code: 2, want: `"tomorrow" is not a duration`},
		{name: "claim set by a flag", args: []string{"-key-env", "JWT_SECRET", "-claim", `iss="x"`}, code: 2, want: "iss is set by -iss"},
		{name: "exp as a claim", args: []string{"-key-env", "JWT_SECRET", "-claim", "exp=1"}, code: 2, want: "exp is set by -ttl"},
		{name: "iat as a claim", args: []string{"-key-env", "JWT_SECRET", "-claim", "iat=1"}, code: 2, want: "iat is set by mint itself"},
		{name: "case variant", args: []string{"-key-env", "JWT_SECRET", "-claim", "EXP=1"}, code: 2, want: `"EXP" is a case variant of the registered claim "exp"`},
		{name: "claim twice", args: []string{"-key-env", "JWT_SECRET", "-claim", "role=1", "-claim", "Role=2"}, code: 2, want: `"Role" is given twice`},
		{name: "claim not JSON", args: []string{"-key-env", "JWT_SECRET", "-claim", "tid=acme"}, code: 2, want: `quote a string: 'tid="…"'`},
		{name: "claim with two values", args: []string{"-key-env", "JWT_SECRET", "-claim", "n=1 2"}, code: 2, want: "not one JSON value"},
		{name: "claim without value", args: []string{"-key-env", "JWT_SECRET", "-claim", "tid"}, code: 2, want: "want name=json"},
		{name: "claim without name", args: []string{"-key-env", "JWT_SECRET", "-claim", "=1"}, code: 2, want: "want name=json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := cli(t, env, "", append([]string{"mint"}, tt.args...)...)
			assert.Equal(t, tt.code, r.code, "stderr: %s", r.stderr)
			assert.Empty(t, r.stdout)
			assert.Contains(t, r.stderr, tt.want)
			if tt.code == 2 {
				assert.Contains(t, r.stderr, "Usage: jwtgate mint")
			}
			for _, secret := range env {
				assert.NotContains(t, r.stderr, secret[:20], "no secret is printed")
			}
			assert.NotContains(t, r.stderr, "only-twenty")
		})
	}
}

// algorithms lists every algorithm jwtgate supports.
var algorithms = []string{"HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519"}

// TestRoundTrip mints with every algorithm and verifies: accepted with the
// right key (public or private PEM, secret file or variable), refused with
// another.
func TestRoundTrip(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, alg := range algorithms {
		t.Run(alg, func(t *testing.T) {
			t.Parallel()
			var signWith, verifyWith, wrong [][]string
			env := map[string]string{"JWT_SECRET": testSecret, "OTHER_SECRET": strings.ToUpper(testSecret)}
			if isHMAC(alg) {
				path := writeFile(t, dir, alg+".secret", []byte(testSecret+"\n"))
				other := writeFile(t, dir, alg+".other", []byte(strings.ToUpper(testSecret)))
				signWith = [][]string{{"-secret-file", path}, {"-key-env", "JWT_SECRET"}}
				verifyWith = [][]string{{"-secret-file", path}, {"-key-env", "JWT_SECRET"}}
				wrong = [][]string{{"-secret-file", other}, {"-key-env", "OTHER_SECRET"}}
			} else {
				private, public := writePEM(t, dir, alg, keyPair(alg, 0))
				_, otherPublic := writePEM(t, dir, alg+".other", keyPair(alg, 1))
				signWith = [][]string{{"-key", private}}
				verifyWith = [][]string{{"-key", public}, {"-key", private}}
				wrong = [][]string{{"-key", otherPublic}}
			}
			for _, sign := range signWith {
				args := append(append([]string{}, sign...), "-alg", alg, "-iss", "https://issuer.example", "-aud", "api", "-sub", "alice")
				token := mustMint(t, env, args...)
				assert.Equal(t, alg, decodePart(t, token, 0)["alg"])
				for _, key := range verifyWith {
					v := cli(t, env, "", append(append([]string{"verify"}, key...), "-alg", alg, "-iss", "https://issuer.example", "-aud", "api", token)...)
					assert.Equal(t, 0, v.code, "signed with %v, verified with %v: %s", sign, key, v.stderr)
					assert.Empty(t, v.stderr)
					var claims map[string]any
					require.NoError(t, json.Unmarshal([]byte(v.stdout), &claims), v.stdout)
					assert.Equal(t, "alice", claims["sub"])
				}
				for _, key := range wrong {
					v := cli(t, env, "", append(append([]string{"verify"}, key...), "-alg", alg, "-iss", "https://issuer.example", "-aud", "api", token)...)
					assert.Equal(t, 1, v.code, "signed with %v, verified with %v", sign, key)
					assert.Empty(t, v.stdout)
					assert.Contains(t, v.stderr, "refused: 401 invalid_token")
					assert.Contains(t, v.stderr, "signature is invalid")
				}
			}
		})
	}
}

// TestRoundTripDefaultAlgorithm: without -alg, mint and verify take the
// algorithm the key allows, and agree.
func TestRoundTripDefaultAlgorithm(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, alg := range []string{"RS256", "ES256", "ES384", "ES512", "EdDSA"} {
		t.Run(alg, func(t *testing.T) {
			t.Parallel()
			private, public := writePEM(t, dir, "default-"+alg, keyPair(alg, 0))
			token := mustMint(t, nil, "-key", private, "-iss", "i", "-aud", "a")
			assert.Equal(t, alg, decodePart(t, token, 0)["alg"])
			v := cli(t, nil, "", "verify", "-key", public, "-iss", "i", "-aud", "a", token)
			assert.Equal(t, 0, v.code, v.stderr)
		})
	}
}

// TestMintJWK: a private JWK signs, its kid goes into the header, and -kid
// replaces it.
func TestMintJWK(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ed := keyPair("EdDSA", 0).(ed25519.PrivateKey)
	edJWK := writeFile(t, dir, "ed.jwk", fmt.Appendf(nil, `{"kty":"OKP","crv":"Ed25519","kid":"ed-1","x":%q,"d":%q}`, b64(ed.Public().(ed25519.PublicKey)), b64(ed.Seed())))
	ec := keyPair("ES256", 0).(*ecdsa.PrivateKey)
	ecJWK := writeFile(t, dir, "ec.jwk", fmt.Appendf(nil, `{"kty":"EC","crv":"P-256","alg":"ES256","x":%q,"y":%q,"d":%q}`, b64(ec.X.FillBytes(make([]byte, 32))), b64(ec.Y.FillBytes(make([]byte, 32))), b64(ec.D.FillBytes(make([]byte, 32)))))
	octJWK := writeFile(t, dir, "oct.jwk", fmt.Appendf(nil, `{"kty":"oct","alg":"HS384","kid":"s","k":%q}`, b64([]byte(testSecret))))
	_, edPublic := writePEM(t, dir, "ed", ed)
	_, ecPublic := writePEM(t, dir, "ec", ec)

	tests := []struct {
		name, jwk, alg, kid string
		verify              []string
	}{
		{name: "Ed25519", jwk: edJWK, alg: "EdDSA", kid: "ed-1", verify: []string{"-key", edPublic}},
		{name: "Ed25519 with -kid", jwk: edJWK, alg: "EdDSA", kid: "other", verify: []string{"-key", edPublic}},
		{name: "EC", jwk: ecJWK, alg: "ES256", verify: []string{"-key", ecPublic}},
		{name: "oct", jwk: octJWK, alg: "HS384", kid: "s", verify: []string{"-key-env", "JWT_SECRET", "-alg", "HS384"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			args := []string{"-key", tt.jwk, "-iss", "i", "-aud", "a"}
			if tt.kid == "other" {
				args = append(args, "-kid", "other")
			}
			token := mustMint(t, secretEnv, args...)
			h := decodePart(t, token, 0)
			assert.Equal(t, tt.alg, h["alg"])
			if tt.kid != "" {
				assert.Equal(t, tt.kid, h["kid"])
			} else {
				assert.NotContains(t, h, "kid")
			}
			v := cli(t, secretEnv, "", append(append([]string{"verify"}, tt.verify...), "-iss", "i", "-aud", "a", token)...)
			assert.Equal(t, 0, v.code, v.stderr)
		})
	}

	r := cli(t, nil, "", "mint", "-key", ecJWK, "-alg", "ES384")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "the JWK is bound to ES256, not -alg ES384")
}
