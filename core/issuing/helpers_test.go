package issuing_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	jwtgate "github.com/jwtgate/jwtgate/core"
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

// testAuth is the verifier of the issuer's access tokens.
func testAuth(t testing.TB, modify func(*jwtgate.Config)) *jwtgate.Authenticator {
	t.Helper()
	cfg := jwtgate.Config{
		Keys:     jwtgate.HMAC(testSecret, "HS256"),
		Issuer:   []string{"https://issuer.example"},
		Audience: []string{"api://svc"},
		Now:      func() time.Time { return testNow },
	}
	if modify != nil {
		modify(&cfg)
	}
	a, err := jwtgate.New(cfg)
	require.NoError(t, err)
	return a
}
