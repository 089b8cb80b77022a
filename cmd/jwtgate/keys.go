package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"unicode/utf8"

	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/jwks"
)

// maxKeyFile bounds what is read from a key file.
const maxKeyFile = 1 << 20

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string { return strings.Join(*s, ",") }

func (s *stringList) Set(v string) error {
	*s = append(*s, v)
	return nil
}

// keyFile is what a key file holds, told by its first bytes.
type keyFile int

const (
	secretFile keyFile = iota // anything else: an HMAC secret
	pemFile                   // -----BEGIN …
	jwkFile                   // a JSON object without "keys"
	jwkSetFile                // a JSON object with "keys"
)

// readKeyFile reads path and says what it holds. Nothing of the content
// appears in an error: the file may be a secret.
func readKeyFile(path string) ([]byte, keyFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, fmt.Errorf("-key: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxKeyFile+1))
	if err != nil {
		return nil, 0, fmt.Errorf("-key %s: %w", path, err)
	}
	if len(data) > maxKeyFile {
		return nil, 0, fmt.Errorf("-key %s: larger than %d bytes: not a key", path, maxKeyFile)
	}
	if len(data) == 0 {
		return nil, 0, fmt.Errorf("-key %s: the file is empty", path)
	}
	trimmed := bytes.TrimSpace(data)
	switch {
	case bytes.HasPrefix(trimmed, []byte("-----BEGIN")):
		return data, pemFile, nil
	case bytes.HasPrefix(trimmed, []byte("{")) && utf8.Valid(trimmed): // random bytes may start with '{'
		var probe struct {
			Keys json.RawMessage `json:"keys"`
		}
		if !json.Valid(trimmed) || json.Unmarshal(trimmed, &probe) != nil {
			// encoding/json's message would quote a piece of the file.
			return nil, 0, fmt.Errorf("-key %s: starts with '{' but is not a JSON object, so neither a JWK nor an HMAC secret file (a secret that starts with '{' can be given with -key-env)", path)
		}
		if probe.Keys != nil {
			return data, jwkSetFile, nil
		}
		return data, jwkFile, nil
	}
	return secretFromFile(data), secretFile, nil
}

// secretFromFile drops the one line ending that an editor or echo puts at the
// end of a text file; a binary file (gen-secret -format raw) is used byte for
// byte.
func secretFromFile(data []byte) []byte {
	var body []byte
	switch {
	case bytes.HasSuffix(data, []byte("\r\n")):
		body = data[:len(data)-2]
	case bytes.HasSuffix(data, []byte("\n")):
		body = data[:len(data)-1]
	default:
		return data
	}
	if !utf8.Valid(body) {
		return data
	}
	for _, r := range string(body) {
		if r < 0x20 || r == 0x7f {
			return data
		}
	}
	return body
}

func isHMAC(alg string) bool { return strings.HasPrefix(alg, "HS") }

// checkAlg refuses an algorithm jwtgate does not support, before any key is
// read.
func checkAlg(alg string) error {
	if alg != "" && !slices.Contains(jwtgate.SupportedAlgorithms(), alg) {
		return usagef("-alg %q is not supported (want one of %s)", alg, strings.Join(jwtgate.SupportedAlgorithms(), ", "))
	}
	return nil
}

// secretKey binds an HMAC secret to alg (HS256 when empty) and validates it.
// where names the secret's origin in errors.
func secretKey(secret []byte, alg, kid, where string) (*jwtgate.Key, error) {
	if alg == "" {
		alg = "HS256"
	}
	if !isHMAC(alg) {
		return nil, fmt.Errorf("%s holds an HMAC secret (neither a PEM key nor a JWK), which -alg %s cannot use", where, alg)
	}
	k := jwtgate.HMAC(secret, alg)
	k.ID = kid
	if err := k.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	return k, nil
}

// envSecret reads the HMAC secret in the variable name: its text as it is,
// as the example apps read JWT_SECRET.
func envSecret(getenv func(string) string, name, alg, kid string) (*jwtgate.Key, error) {
	v := getenv(name)
	if v == "" {
		return nil, fmt.Errorf("-key-env: the environment variable %s is not set or empty", name)
	}
	return secretKey([]byte(v), alg, kid, "-key-env "+name)
}

// fileKey reads one key from path: PEM, JWK or HMAC secret, bound to alg (or
// to the algorithm the key names or allows when alg is empty). A JWK Set is
// refused: the caller handles those where they make sense.
func fileKey(path, alg, kid string) (*jwtgate.Key, error) {
	data, kind, err := readKeyFile(path)
	if err != nil {
		return nil, err
	}
	return parseKeyFile(data, kind, path, alg, kid)
}

// parseKeyFile reads the key in data, which readKeyFile read from path.
func parseKeyFile(data []byte, kind keyFile, path, alg, kid string) (*jwtgate.Key, error) {
	where := "-key " + path
	switch kind {
	case pemFile:
		if isHMAC(alg) {
			return nil, fmt.Errorf("%s is a PEM key, which -alg %s cannot use: an HMAC secret is random bytes, never a public key", where, alg)
		}
		k, err := jwtgate.ParsePEM(data, alg, kid)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		return k, nil
	case jwkFile:
		return jwkKey(data, alg, kid, where)
	case jwkSetFile:
		return nil, fmt.Errorf("%s is a JWK Set; give one key, as a PEM file or a JWK", where)
	}
	return secretKey(data, alg, kid, where)
}

// jwkKey reads a JWK. alg, when set, must be the JWK's own alg or, for a JWK
// without one, an algorithm its key allows; kid, when set, replaces the
// JWK's.
func jwkKey(data []byte, alg, kid, where string) (*jwtgate.Key, error) {
	k, err := jwks.ParseKey(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	if alg != "" && alg != k.Algorithm {
		var named struct {
			Alg string `json:"alg"`
		}
		_ = json.Unmarshal(data, &named)
		if named.Alg != "" {
			return nil, fmt.Errorf("%s: the JWK is bound to %s, not -alg %s", where, named.Alg, alg)
		}
		k.Algorithm = alg
		if err := k.Validate(); err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
	}
	if kid != "" {
		k.ID = kid
	}
	return k, nil
}

// verifyOnly returns k without its signing half.
func verifyOnly(k *jwtgate.Key) *jwtgate.Key {
	return &jwtgate.Key{ID: k.ID, Algorithm: k.Algorithm, VerifyKey: k.VerifyKey}
}
