package main

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// testSecret is an HMAC secret long enough for HS512.
const testSecret = "test-secret-0123456789abcdef-0123456789abcdef-0123456789abcdef-xyz"

// result is what one run of the tool gave.
type result struct {
	code           int
	stdout, stderr string
}

// cli runs the tool with args, the environment env and standard input stdin.
func cli(t *testing.T, env map[string]string, stdin string, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(args, strings.NewReader(stdin), &stdout, &stderr, func(k string) string { return env[k] })
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// mustMint mints a token and fails the test unless it succeeded.
func mustMint(t *testing.T, env map[string]string, args ...string) string {
	t.Helper()
	r := cli(t, env, "", append([]string{"mint"}, args...)...)
	require.Equal(t, 0, r.code, "mint %v: %s", args, r.stderr)
	require.Empty(t, r.stderr, "mint prints nothing on stderr")
	require.True(t, strings.HasSuffix(r.stdout, "\n"))
	token := strings.TrimSuffix(r.stdout, "\n")
	require.Equal(t, 2, strings.Count(token, "."), "stdout is the token alone: %q", r.stdout)
	return token
}

// decodePart decodes the header (0) or payload (1) of token.
func decodePart(t *testing.T, token string, i int) map[string]any {
	t.Helper()
	seg := strings.Split(token, ".")[i]
	b, err := base64.RawURLEncoding.DecodeString(seg)
	require.NoError(t, err)
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	require.NoError(t, dec.Decode(&m))
	return m
}

// Keys are made once: RSA key generation is slow under the race detector.
var (
	rsaKeys = sync.OnceValue(func() [2]*rsa.PrivateKey {
		var ks [2]*rsa.PrivateKey
		for i := range ks {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				panic(err)
			}
			ks[i] = k
		}
		return ks
	})
	ecKeys = sync.OnceValue(func() map[string][2]*ecdsa.PrivateKey {
		m := map[string][2]*ecdsa.PrivateKey{}
		for alg, c := range map[string]elliptic.Curve{"ES256": elliptic.P256(), "ES384": elliptic.P384(), "ES512": elliptic.P521()} {
			var ks [2]*ecdsa.PrivateKey
			for i := range ks {
				k, err := ecdsa.GenerateKey(c, rand.Reader)
				if err != nil {
					panic(err)
				}
				ks[i] = k
			}
			m[alg] = ks
		}
		return m
	})
	edKeys = sync.OnceValue(func() [2]ed25519.PrivateKey {
		var ks [2]ed25519.PrivateKey
		for i := range ks {
			_, k, err := ed25519.GenerateKey(rand.Reader)
			if err != nil {
				panic(err)
			}
			ks[i] = k
		}
		return ks
	})
)

// keyPair returns the i-th (0 or 1) test key for alg.
func keyPair(alg string, i int) crypto.Signer {
	switch alg[:2] {
	case "RS", "PS":
		return rsaKeys()[i]
	case "ES":
		return ecKeys()[alg][i]
	}
	return edKeys()[i]
}

// writeFile writes data to name in dir and returns its path.
func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(path, data, 0o600))
	return path
}

// writePEM writes key's private half (PKCS#8) and public half (PKIX) as PEM
// files in dir and returns their paths.
func writePEM(t *testing.T, dir, name string, key crypto.Signer) (private, public string) {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)
	private = writeFile(t, dir, name+".pem", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	der, err = x509.MarshalPKIXPublicKey(key.Public())
	require.NoError(t, err)
	public = writeFile(t, dir, name+".pub.pem", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	return private, public
}
