package main

import (
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGenSecret(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		size int
		dec  func(string) ([]byte, error)
	}{
		{args: nil, size: 32, dec: base64.RawURLEncoding.Strict().DecodeString},
		{args: []string{"-alg", "HS384"}, size: 48, dec: base64.RawURLEncoding.Strict().DecodeString},
		{args: []string{"-alg", "HS512", "-format", "base64url"}, size: 64, dec: base64.RawURLEncoding.Strict().DecodeString},
		{args: []string{"-format", "hex"}, size: 32, dec: hex.DecodeString},
		{args: []string{"-alg", "HS512", "-format", "hex"}, size: 64, dec: hex.DecodeString},
		{args: []string{"-format", "raw"}, size: 32},
		{args: []string{"-alg", "HS384", "-format", "raw"}, size: 48},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			args := append([]string{"gen-secret"}, tt.args...)
			a, b := cli(t, nil, "", args...), cli(t, nil, "", args...)
			for _, r := range []result{a, b} {
				require.Equal(t, 0, r.code, r.stderr)
				assert.Empty(t, r.stderr)
			}
			assert.NotEqual(t, a.stdout, b.stdout, "every secret is new")
			secret := []byte(a.stdout)
			if tt.dec != nil {
				text, ok := strings.CutSuffix(a.stdout, "\n")
				require.True(t, ok, "text ends with a line break")
				var err error
				secret, err = tt.dec(text)
				require.NoError(t, err)
				assert.GreaterOrEqual(t, len(text), tt.size, "the text, used as it is, is long enough for the algorithm")
			}
			assert.Len(t, secret, tt.size)
		})
	}
}

func TestGenSecretRefuses(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"-alg", "RS256"},
		{"-alg", "hs256"},
		{"-format", "base64"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			t.Parallel()
			r := cli(t, nil, "", append([]string{"gen-secret"}, args...)...)
			assert.Equal(t, 2, r.code)
			assert.Empty(t, r.stdout)
			assert.Contains(t, r.stderr, args[1])
			assert.Contains(t, r.stderr, "Usage: jwtgate gen-secret")
		})
	}
}

// A generated secret works as JWT_SECRET and as a -secret-file, in every
// format.
func TestGenSecretRoundTrip(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, format := range []string{"base64url", "hex", "raw"} {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			r := cli(t, nil, "", "gen-secret", "-alg", "HS512", "-format", format)
			require.Equal(t, 0, r.code)
			path := writeFile(t, dir, format, []byte(r.stdout))
			token := mustMint(t, nil, "-secret-file", path, "-alg", "HS512", "-iss", "i", "-aud", "a")
			v := cli(t, nil, "", "verify", "-secret-file", path, "-alg", "HS512", "-iss", "i", "-aud", "a", token)
			assert.Equal(t, 0, v.code, v.stderr)
			if format != "raw" {
				env := map[string]string{"JWT_SECRET": strings.TrimSuffix(r.stdout, "\n")}
				v = cli(t, env, "", "verify", "-key-env", "JWT_SECRET", "-alg", "HS512", "-iss", "i", "-aud", "a", token)
				assert.Equal(t, 0, v.code, "the file and the variable hold the same secret: %s", v.stderr)
			}
		})
	}
}
