package jwks_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/jwks"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// wycheproofDir holds Project Wycheproof's JOSE vectors and their licence
// (testdata/wycheproof/README.md says where they come from).
var wycheproofDir = filepath.Join("testdata", "wycheproof")

type wycheproofFile struct {
	TestGroups []struct {
		Comment string          `json:"comment"`
		Private json.RawMessage `json:"private"`
		Public  json.RawMessage `json:"public"`
		Tests   []struct {
			TcID    int      `json:"tcId"`
			Comment string   `json:"comment"`
			JWS     string   `json:"jws"`
			Result  string   `json:"result"`
			Flags   []string `json:"flags"`
		} `json:"tests"`
	} `json:"testGroups"`
}

func loadWycheproof(t *testing.T, name string) wycheproofFile {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(wycheproofDir, name))
	require.NoError(t, err, "the Wycheproof vectors are in core/jwks/testdata/wycheproof")
	var f wycheproofFile
	require.NoError(t, json.Unmarshal(b, &f))
	return f
}

// expectReject are vectors Wycheproof marks valid that jwtgate refuses, on
// purpose: 372 and 373 insert a "?" into the header or payload and keep the
// MAC of the unmodified text, so a verifier that MACs what it received (RFC
// 7515 §5.2) refuses them (docs/security-cases.md, "Wycheproof vectors").
//
// 346 and 350 are RFC 7520 Figure 20, a PS384 token, checked with a key that
// Wycheproof binds to PS256: one key, one algorithm (RFC 8725 §3.1).
var expectReject = map[int]string{
	372: "character inserted into the header; MAC of the original",
	373: "character inserted into the payload; MAC of the original",
	346: "PS384 token, key bound to PS256",
	350: "PS384 token, key bound to PS256",
}

// sameAsValid are vectors Wycheproof marks invalid whose JWS is byte for byte
// that of a valid vector (in this copy of the file the padding they describe
// is absent): no verifier can refuse one and accept the other. The test checks
// that they are identical and that both are accepted; a finding to report
// upstream, not a rule loosened.
var sameAsValid = map[int]int{367: 357, 370: 357}

// wycheproofAlg maps the nonstandard "ES521" of Wycheproof's RFC 7520 groups
// to ES512, the registered name of ECDSA on P-521 (RFC 7518 §3.1); a key
// that names ES521 itself is refused, as json_web_key_test.json wants.
func wycheproofKey(t *testing.T, raw json.RawMessage) (*jwtgate.Key, error) {
	var m map[string]any
	require.NoError(t, json.Unmarshal(raw, &m))
	if m["alg"] == "ES521" && m["crv"] == "P-521" {
		m["alg"] = "ES512"
	}
	if m["kty"] != "oct" {
		for _, private := range []string{"d", "p", "q", "dp", "dq", "qi"} {
			delete(m, private)
		}
	}
	b, err := json.Marshal(m)
	require.NoError(t, err)
	return jwks.ParseKey(b)
}

// TestWycheproofJWS replays every JWS vector against the group's key, bound
// to the group's algorithm, through Authenticator.VerifyJWS (shape, header
// rules, key and algorithm binding, signature).
func TestWycheproofJWS(t *testing.T) {
	t.Parallel()
	f := loadWycheproof(t, "json_web_signature_test.json")
	total, checked := 0, 0
	byID := map[int]string{}
	for _, g := range f.TestGroups {
		for _, tc := range g.Tests {
			byID[tc.TcID] = tc.JWS
		}
	}
	for _, g := range f.TestGroups {
		raw := g.Public
		if raw == nil {
			raw = g.Private
		}
		key, keyErr := wycheproofKey(t, raw)
		var auth *jwtgate.Authenticator
		if keyErr == nil {
			var err error
			auth, err = jwtgate.New(jwtgate.Config{Keys: key, SkipIssuerCheck: true, SkipAudienceCheck: true})
			require.NoError(t, err, g.Comment)
		}
		for _, tc := range g.Tests {
			total++
			name := strconv.Itoa(tc.TcID) + "/" + g.Comment + "/" + tc.Comment
			t.Run(name, func(t *testing.T) {
				want := tc.Result == "valid"
				if _, ok := expectReject[tc.TcID]; ok {
					want = false
				}
				if twin, ok := sameAsValid[tc.TcID]; ok {
					require.Equal(t, byID[twin], tc.JWS, "the same JWS as a valid vector")
					want = true
				}
				if keyErr != nil {
					// The key itself is refused (use "enc", key_ops "encrypt"):
					// nothing can verify with it.
					assert.False(t, want, "a valid vector's key was refused: %v", keyErr)
					return
				}
				_, err := auth.VerifyJWS(context.Background(), tc.JWS)
				if want {
					assert.NoError(t, err)
				} else {
					assert.Error(t, err)
					assert.ErrorIs(t, err, jwtgate.ErrInvalidToken)
				}
			})
			checked++
		}
	}
	assert.Equal(t, 401, total, "every vector of the file")
	assert.Equal(t, total, checked)
}

// TestWycheproofJWK loads every key-set vector: the invalid ones must be
// refused at load time, or else fail to verify; the valid ones must load and
// verify.
func TestWycheproofJWK(t *testing.T) {
	t.Parallel()
	f := loadWycheproof(t, "json_web_key_test.json")
	total := 0
	for _, g := range f.TestGroups {
		for _, tc := range g.Tests {
			total++
			t.Run(strconv.Itoa(tc.TcID)+"/"+g.Comment+"/"+tc.Comment, func(t *testing.T) {
				raw := g.Public
				private := false
				if raw == nil {
					raw, private = g.Private, true // symmetric keys have no public part
				}
				var set *jwtgate.KeySet
				var err error
				if private {
					set, err = jwks.ParsePrivateSet(raw)
				} else {
					set, err = jwks.ParseSet(raw)
				}
				if tc.Result == "invalid" && err != nil {
					return // refused at load time
				}
				require.NoError(t, err, "a valid key set must load")
				auth, err := jwtgate.New(jwtgate.Config{Keys: set, SkipIssuerCheck: true, SkipAudienceCheck: true})
				if tc.Result == "invalid" && err != nil {
					return
				}
				require.NoError(t, err)
				_, err = auth.VerifyJWS(context.Background(), tc.JWS)
				if tc.Result == "valid" {
					assert.NoError(t, err)
				} else {
					assert.Error(t, err)
				}
			})
		}
	}
	assert.Equal(t, 26, total)
}
