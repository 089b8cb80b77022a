package issuing_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	jwtgate "github.com/jwtgate/jwtgate/core"
)

var (
	testNow    = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	testSecret = []byte("0123456789abcdef0123456789abcdef")
)

// testAuth is the verifier of the issuer's access tokens.
func testAuth(t testing.TB, modify func(*jwtgate.Config)) *jwtgate.Authenticator {
	t.Helper()
	cfg := jwtgate.Config{
		Keys:     jwtgate.HMAC(testSecret, "HS256"),
		Issuer:   []string{"https://issuer.example"},
		Audience: []string{"api://svc"},
		Leeway:   jwtgate.NoLeeway,
		Now:      func() time.Time { return testNow },
	}
	if modify != nil {
		modify(&cfg)
	}
	a, err := jwtgate.New(cfg)
	require.NoError(t, err)
	return a
}
