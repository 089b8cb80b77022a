package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/binary"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// hs256 signs a token for iss i and aud a with secret as the HMAC key, as
// an attacker who holds a published key file would.
func hs256(t *testing.T, secret []byte, extra jwt.MapClaims) string {
	t.Helper()
	now := time.Now()
	claims := jwt.MapClaims{"iss": "i", "aud": "a", "sub": "mallory", "iat": now.Unix(), "exp": now.Add(10 * time.Minute).Unix()}
	for k, v := range extra {
		claims[k] = v
	}
	token, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(secret)
	require.NoError(t, err)
	return token
}

// sshString is a string in the SSH wire format (RFC 4251 §5): its length
// as four bytes, then its bytes.
func sshString(b []byte) []byte {
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(b))), b...)
}

// openSSHLine is an Ed25519 public key as ssh-keygen writes it to a .pub
// file (RFC 8709 §4).
func openSSHLine(pub ed25519.PublicKey) []byte {
	wire := append(sshString([]byte("ssh-ed25519")), sshString(pub)...)
	return []byte("ssh-ed25519 " + base64.StdEncoding.EncodeToString(wire) + " jwtgate-test\n")
}

// openSSHECDSALine is a P-256 public key as ssh-keygen writes it to a .pub
// file (RFC 5656 §3.1).
func openSSHECDSALine(t *testing.T, pub *ecdsa.PublicKey) []byte {
	t.Helper()
	k, err := pub.ECDH()
	require.NoError(t, err)
	wire := append(append(sshString([]byte("ecdsa-sha2-nistp256")), sshString([]byte("nistp256"))...), sshString(k.Bytes())...)
	return []byte("ecdsa-sha2-nistp256 " + base64.StdEncoding.EncodeToString(wire) + " jwtgate-test\n")
}

// selfSigned is a DER certificate for key.
func selfSigned(t *testing.T, key *rsa.PrivateKey) []byte {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "jwtgate test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	return der
}

// TestKeyFileNeverASecret is the RS256→HS256 algorithm confusion through a
// key file: a published key in a format jwtgate does not read as a key was
// once taken for an HMAC secret, so that a token signed HS256 with the
// file's bytes verified. Each file is refused by every command that reads
// a key file, whatever the flag, with a message naming what it looks like.
func TestKeyFileNeverASecret(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	rsaKey := keyPair("RS256", 0).(*rsa.PrivateKey)
	spki, err := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
	require.NoError(t, err)
	pkcs8, err := x509.MarshalPKCS8PrivateKey(rsaKey)
	require.NoError(t, err)
	cert := selfSigned(t, rsaKey)
	publicPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: spki})
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert})
	ed := keyPair("EdDSA", 0).(ed25519.PrivateKey)

	tests := []struct {
		name string
		data []byte
		// seen is what the message says the file looks like.
		seen string
		// key: -key reads the file as a key (a plain PEM public key); the
		// file is then refused only where a secret is asked for.
		key bool
	}{
		{name: "DER SPKI public key", data: spki, seen: "a DER public key"},
		{name: "DER certificate", data: cert, seen: "a DER certificate"},
		{name: "DER PKCS#1 public key", data: x509.MarshalPKCS1PublicKey(&rsaKey.PublicKey), seen: "a DER RSA public key"},
		{name: "DER PKCS#8 private key", data: pkcs8, seen: "a DER private key"},
		{name: "OpenSSH public key", data: openSSHLine(ed.Public().(ed25519.PublicKey)), seen: "an OpenSSH public key"},
		{name: "OpenSSH ECDSA public key", data: openSSHECDSALine(t, &keyPair("ES256", 0).(*ecdsa.PrivateKey).PublicKey), seen: "an OpenSSH public key"},
		{name: "PEM after a UTF-8 BOM", data: append([]byte("\xef\xbb\xbf"), publicPEM...), seen: "a PEM block after a byte-order mark"},
		{name: "PEM with Bag Attributes", data: append([]byte("Bag Attributes\n    localKeyID: 01 00 00 00 \n    friendlyName: jwtgate\nsubject=CN = jwtgate test\n\nissuer=CN = jwtgate test\n\n"), certPEM...), seen: "PEM with a Bag Attributes preamble"},
		{name: "PEM after other text", data: append([]byte("the key:\n"), publicPEM...), seen: "a PEM block after other text"},
		{name: "plain PEM public key", data: publicPEM, seen: "a PEM key", key: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := writeFile(t, dir, strings.ReplaceAll(tt.name, " ", "-"), tt.data)
			// Signed with the file's exact bytes, and with its last line
			// ending dropped, as the secret used to be read from a text file.
			tokens := []string{hs256(t, tt.data, nil)}
			if trimmed := bytes.TrimSuffix(tt.data, []byte("\n")); len(trimmed) != len(tt.data) {
				tokens = append(tokens, hs256(t, trimmed, nil))
			}
			refused := func(t *testing.T, r result, named bool) {
				t.Helper()
				assert.NotEqual(t, 0, r.code, "stdout: %s", r.stdout)
				assert.Empty(t, r.stdout, "no claims printed")
				if named {
					assert.Contains(t, r.stderr, tt.seen)
				}
			}
			for _, token := range tokens {
				verify := func(key ...string) result {
					return cli(t, nil, "", append(append([]string{"verify"}, key...), "-iss", "i", "-aud", "a", token)...)
				}
				t.Run("verify -key", func(t *testing.T) { refused(t, verify("-key", path), !tt.key) })
				t.Run("verify -key -alg HS256", func(t *testing.T) { refused(t, verify("-key", path, "-alg", "HS256"), true) })
				t.Run("verify -secret-file", func(t *testing.T) { refused(t, verify("-secret-file", path), true) })
			}
			t.Run("mint -key -alg HS256", func(t *testing.T) {
				refused(t, cli(t, nil, "", "mint", "-key", path, "-alg", "HS256", "-iss", "i", "-aud", "a"), true)
			})
			t.Run("mint -secret-file", func(t *testing.T) {
				refused(t, cli(t, nil, "", "mint", "-secret-file", path, "-iss", "i", "-aud", "a"), true)
			})
			if !tt.key {
				t.Run("jwks -key", func(t *testing.T) { refused(t, cli(t, nil, "", "jwks", "-key", path), true) })
				t.Run("dpop-proof -key", func(t *testing.T) {
					refused(t, cli(t, nil, "", "dpop-proof", "-key", path, "-htm", "GET", "-htu", "https://api.example.com/me"), true)
				})
				t.Run("mint -key", func(t *testing.T) {
					refused(t, cli(t, nil, "", "mint", "-key", path, "-iss", "i", "-aud", "a"), true)
				})
			}
			if text := string(tt.data); !strings.ContainsRune(text, 0) {
				// The same text in the environment is refused as well.
				env := map[string]string{"KEY": text}
				r := cli(t, env, "", "verify", "-key-env", "KEY", "-iss", "i", "-aud", "a", tokens[0])
				refused(t, r, true)
			}
		})
	}
}

// TestSecretFile: a secret in a file is read with -secret-file, by mint and
// verify alike; -key takes keys only and says where a secret goes; the
// weak-secret check holds for a file as for a variable.
func TestSecretFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	text := writeFile(t, dir, "secret.txt", []byte(testSecret+"\n"))
	crlf := writeFile(t, dir, "secret-crlf.txt", []byte(testSecret+"\r\n"))
	raw := make([]byte, 32)
	_, _ = rand.Read(raw)
	raw[0] = 0xff // not the start of a DER SEQUENCE
	rawFile := writeFile(t, dir, "secret.bin", raw)
	short := writeFile(t, dir, "short.txt", []byte("only-twenty-bytes-ok\n"))
	forty := writeFile(t, dir, "forty.txt", []byte(testSecret[:40]+"\n"))
	braces := writeFile(t, dir, "braces.txt", []byte("{not-json-"+testSecret+"\n"))
	empty := writeFile(t, dir, "empty", nil)

	for _, tt := range []struct {
		name   string
		path   string
		secret []byte
	}{
		{name: "text", path: text, secret: []byte(testSecret)},
		{name: "text with CRLF", path: crlf, secret: []byte(testSecret)},
		{name: "binary", path: rawFile, secret: raw},
		{name: "text that starts with a brace", path: braces, secret: []byte("{not-json-" + testSecret)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			token := mustMint(t, nil, "-secret-file", tt.path, "-iss", "i", "-aud", "a")
			assert.Equal(t, "HS256", decodePart(t, token, 0)["alg"])
			v := cli(t, nil, "", "verify", "-secret-file", tt.path, "-iss", "i", "-aud", "a", token)
			assert.Equal(t, 0, v.code, v.stderr)
			v = cli(t, nil, "", "verify", "-secret-file", tt.path, "-iss", "i", "-aud", "a", hs256(t, tt.secret, nil))
			assert.Equal(t, 0, v.code, "the secret is the file's bytes, one line ending dropped: %s", v.stderr)
		})
	}

	for _, tt := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{name: "mint: a secret file as -key", args: []string{"mint", "-key", text}, code: 1, want: "neither a PEM key nor a JWK: an HMAC secret in a file is given with -secret-file"},
		{name: "verify: a secret file as -key", args: []string{"verify", "-key", text, "-skip-iss", "-skip-aud", "x.y.z"}, code: 1, want: "an HMAC secret in a file is given with -secret-file"},
		{name: "a binary secret as -key", args: []string{"mint", "-key", rawFile}, code: 1, want: "an HMAC secret in a file is given with -secret-file"},
		{name: "short", args: []string{"mint", "-secret-file", short}, code: 1, want: "HS256 secret is 20 bytes, needs at least 32"},
		{name: "short for HS512", args: []string{"mint", "-secret-file", forty, "-alg", "HS512"}, code: 1, want: "HS512 secret is 40 bytes, needs at least 64"},
		{name: "empty", args: []string{"mint", "-secret-file", empty}, code: 1, want: "the file is empty"},
		{name: "asymmetric alg", args: []string{"mint", "-secret-file", text, "-alg", "ES256"}, code: 1, want: "-alg ES256 cannot use"},
		{name: "mint: -key and -secret-file", args: []string{"mint", "-key", text, "-secret-file", text}, code: 2, want: "give the signing key with one of -key, -secret-file and -key-env"},
		{name: "mint: -secret-file and -key-env", args: []string{"mint", "-secret-file", text, "-key-env", "X"}, code: 2, want: "one of -key, -secret-file and -key-env"},
		{name: "verify: -secret-file and -key", args: []string{"verify", "-secret-file", text, "-key", text, "-skip-iss", "-skip-aud", "x.y.z"}, code: 2, want: "one of -key, -secret-file, -key-env and -jwks-url"},
		{name: "missing", args: []string{"mint", "-secret-file", dir + "/nope"}, code: 1, want: "-secret-file: open"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := cli(t, nil, "", tt.args...)
			assert.Equal(t, tt.code, r.code, r.stderr)
			assert.Contains(t, r.stderr, tt.want)
			assert.Empty(t, r.stdout)
			assert.NotContains(t, r.stderr, testSecret[:20], "no secret is printed")
			assert.NotContains(t, r.stderr, "only-twenty")
		})
	}
}
