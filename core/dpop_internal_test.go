package jwtgate

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestThumbprintRFC7638: the thumbprint of RFC 7638 §3.1's example key,
// with members in another order and optional ones beside them, is the
// RFC's.
func TestThumbprintRFC7638(t *testing.T) {
	t.Parallel()
	jwk := `{"kid":"2011-04-29","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw","alg":"RS256","e":"AQAB","kty":"RSA"}`
	_, jkt, err := publicJWK(jwk, "RS256")
	require.NoError(t, err)
	assert.Equal(t, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs", jkt)
}

// TestTokenHashRFC9449: ath of RFC 9449 §4.2's example access token, and
// what is not it: another token's, padded, cut, changed.
func TestTokenHashRFC9449(t *testing.T) {
	t.Parallel()
	const token, ath = "Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU", "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo"
	assert.True(t, athMatches(ath, token))
	for _, bad := range []string{ath + "=", ath[:42], ath[:42] + "P", "", " " + ath[1:]} {
		assert.False(t, athMatches(bad, token), bad)
	}
	assert.False(t, athMatches(ath, token+"x"))
}

// TestRemoveDotSegments: RFC 3986 §5.2.4's examples.
func TestRemoveDotSegments(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"/a/b/c/./../../g": "/a/g", "": "/", "/": "/", "/a/./b": "/a/b", "/a/..": "/", "/a/b/..": "/a/", "/a/b/.": "/a/b/"} {
		assert.Equal(t, want, removeDotSegments(in), in)
	}
}
