package main

import (
	"bytes"
	"crypto/x509"
	"encoding/asn1"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"unicode/utf8"

	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/jwks"
	"github.com/jwtgate/jwtgate/core/signing"
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

// keyFile is what a key file holds, as classify tells it.
type keyFile int

const (
	otherFile   keyFile = iota // none of the below: as -secret-file, a secret
	pemFile                    // -----BEGIN … from the first byte (after white space)
	jwkFile                    // a JSON object without "keys"
	jwkSetFile                 // a JSON object with "keys"
	foreignFile                // a key or certificate in a form jwtgate does not read
	notJSONFile                // text that starts with '{' but is not a JSON object
)

// foreign is a form of key classify recognises and jwtgate does not read:
// what it looks like, and how to get a PEM file from it.
type foreign struct{ seen, hint string }

// Key files in forms jwtgate does not read. None is ever an HMAC secret:
// taking a published key's bytes for one lets anyone who has the key sign
// HS256 tokens (RS256→HS256 algorithm confusion).
var (
	foreignDERCert     = foreign{"a DER certificate", "convert it to PEM: openssl x509 -inform DER -outform PEM"}
	foreignDERSPKI     = foreign{"a DER public key (SubjectPublicKeyInfo)", "convert it to PEM: openssl pkey -pubin -inform DER -outform PEM"}
	foreignDERPKCS1    = foreign{"a DER RSA public key (PKCS #1)", "convert it to PEM: openssl rsa -RSAPublicKey_in -inform DER -pubout"}
	foreignDERPKCS8    = foreign{"a DER private key (PKCS #8)", "convert it to PEM: openssl pkey -inform DER -outform PEM"}
	foreignDERRSA      = foreign{"a DER RSA private key (PKCS #1)", "convert it to PEM: openssl pkey -inform DER -outform PEM"}
	foreignDEREC       = foreign{"a DER EC private key (SEC 1)", "convert it to PEM: openssl pkey -inform DER -outform PEM"}
	foreignDER         = foreign{"DER (an ASN.1 SEQUENCE, as keys and certificates are encoded)", "give the key as PEM or as a JWK"}
	foreignOpenSSH     = foreign{"an OpenSSH public key", "convert it to PEM: ssh-keygen -e -m PKCS8 -f FILE"}
	foreignSSH2        = foreign{"an SSH2 public key (RFC 4716)", "convert it to PEM: ssh-keygen -i -m RFC4716 -f FILE, then ssh-keygen -e -m PKCS8"}
	foreignBOMPEM      = foreign{"a PEM block after a byte-order mark", "save the file without the byte-order mark"}
	foreignBOM         = foreign{"text after a byte-order mark", "save the file without the byte-order mark"}
	foreignBagPEM      = foreign{"PEM with a Bag Attributes preamble", "keep only the lines from -----BEGIN to -----END, which openssl pkcs12 writes after it"}
	foreignBag         = foreign{"openssl's Bag Attributes text", "keep only the PEM block"}
	foreignTextThenPEM = foreign{"a PEM block after other text", "keep only the lines from -----BEGIN to -----END"}
)

var (
	utf8BOM  = []byte("\xef\xbb\xbf")
	pemBegin = []byte("-----BEGIN")
)

// classify is the one rule by which jwtgate tells a key from a secret, for
// every command and every flag that reads key material (-key,
// -secret-file, -key-env). PEM from the first byte, a JWK and a JWK Set are
// keys jwtgate reads; text with a PEM block anywhere, a byte-order mark,
// an OpenSSH or SSH2 public key, openssl's Bag Attributes, and bytes that
// parse as DER are keys in forms it does not read (foreignFile, with f
// saying which); only the rest, otherFile and notJSONFile, may be an HMAC
// secret, and only when the user says it is one.
func classify(data []byte) (kind keyFile, f foreign) {
	text := bytes.TrimSpace(data)
	switch {
	case bytes.HasPrefix(data, utf8BOM):
		if bytes.Contains(data, pemBegin) {
			return foreignFile, foreignBOMPEM
		}
		return foreignFile, foreignBOM
	case bytes.HasPrefix(text, pemBegin):
		return pemFile, foreign{}
	case bytes.HasPrefix(text, []byte("Bag Attributes")) || bytes.HasPrefix(text, []byte("Key Attributes")):
		if bytes.Contains(data, pemBegin) {
			return foreignFile, foreignBagPEM
		}
		return foreignFile, foreignBag
	case bytes.Contains(data, pemBegin):
		return foreignFile, foreignTextThenPEM
	case bytes.HasPrefix(text, []byte("---- BEGIN SSH2 PUBLIC KEY ----")):
		return foreignFile, foreignSSH2
	case isOpenSSH(text):
		return foreignFile, foreignOpenSSH
	case bytes.HasPrefix(text, []byte("{")) && utf8.Valid(text): // random bytes may start with '{'
		var probe struct {
			Keys json.RawMessage `json:"keys"`
		}
		if !json.Valid(text) || json.Unmarshal(text, &probe) != nil {
			return notJSONFile, foreign{}
		}
		if probe.Keys != nil {
			return jwkSetFile, foreign{}
		}
		return jwkFile, foreign{}
	}
	if f, ok := derKey(data); ok {
		return foreignFile, f
	}
	return otherFile, foreign{}
}

// isOpenSSH reports whether text starts as a line of an OpenSSH .pub file
// or authorized_keys does: a key type, then base64.
func isOpenSSH(text []byte) bool {
	for _, prefix := range []string{"ssh-", "ecdsa-sha2-", "sk-ssh-", "sk-ecdsa-sha2-"} {
		if bytes.HasPrefix(text, []byte(prefix)) {
			return true
		}
	}
	return false
}

// derKey says which key or certificate data is when it is DER: one ASN.1
// SEQUENCE, as x509's parsers read it or, failing them, a SEQUENCE of
// well-formed elements and nothing after it.
func derKey(data []byte) (foreign, bool) {
	if len(data) < 2 || data[0] != 0x30 {
		return foreign{}, false
	}
	if _, err := x509.ParseCertificate(data); err == nil {
		return foreignDERCert, true
	}
	if _, err := x509.ParsePKIXPublicKey(data); err == nil {
		return foreignDERSPKI, true
	}
	if _, err := x509.ParsePKCS1PublicKey(data); err == nil {
		return foreignDERPKCS1, true
	}
	if _, err := x509.ParsePKCS8PrivateKey(data); err == nil {
		return foreignDERPKCS8, true
	}
	if _, err := x509.ParsePKCS1PrivateKey(data); err == nil {
		return foreignDERRSA, true
	}
	if _, err := x509.ParseECPrivateKey(data); err == nil {
		return foreignDEREC, true
	}
	var seq asn1.RawValue
	rest, err := asn1.Unmarshal(data, &seq)
	if err != nil || len(rest) > 0 || seq.Class != asn1.ClassUniversal || seq.Tag != asn1.TagSequence || !seq.IsCompound {
		return foreign{}, false
	}
	for b := seq.Bytes; len(b) > 0; {
		var e asn1.RawValue
		if b, err = asn1.Unmarshal(b, &e); err != nil {
			return foreign{}, false
		}
	}
	return foreignDER, true
}

// readFile reads the file at path, given with flag, within maxKeyFile.
// Nothing of the content appears in an error: the file may be a secret.
func readFile(flag, path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", flag, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxKeyFile+1))
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", flag, path, err)
	}
	if len(data) > maxKeyFile {
		return nil, fmt.Errorf("%s %s: larger than %d bytes: not a key", flag, path, maxKeyFile)
	}
	if len(data) == 0 {
		return nil, fmt.Errorf("%s %s: the file is empty", flag, path)
	}
	return data, nil
}

// Endings of the message for a -key file that holds no key at all, by what
// the command would do with a secret.
const (
	secretGoesElsewhere = ": an HMAC secret in a file is given with -secret-file"
	secretNeverSigns    = "; if it holds an HMAC secret, it cannot sign a proof: a proof carries its public key, and a secret has none (jwtgate dpop-key makes a key)"
	secretNeverShown    = "; if it holds an HMAC secret, that is never published"
)

// readKeyFile reads the -key file at path: a PEM key, a JWK or a JWK Set,
// and nothing else. A key in another form is refused with what it looks
// like; a file that looks like no key is refused with ifSecret, which says
// what the command does with a secret. A -key file is never an HMAC secret.
func readKeyFile(path, ifSecret string) ([]byte, keyFile, error) {
	data, err := readFile("-key", path)
	if err != nil {
		return nil, 0, err
	}
	switch kind, f := classify(data); kind {
	case pemFile, jwkFile, jwkSetFile:
		return data, kind, nil
	case foreignFile:
		return nil, 0, fmt.Errorf("-key %s looks like %s, a form jwtgate does not read (%s); a key file is never taken for an HMAC secret", path, f.seen, f.hint)
	case notJSONFile:
		// encoding/json's message would quote a piece of the file.
		return nil, 0, fmt.Errorf("-key %s starts with '{' but is not a JSON object, so not a JWK", path)
	}
	return nil, 0, fmt.Errorf("-key %s holds neither a PEM key nor a JWK%s", path, ifSecret)
}

// secretFileKey reads the HMAC secret in the -secret-file at path, bound
// to alg (HS256 when empty).
func secretFileKey(path, alg, kid string) (*jwtgate.Key, error) {
	data, err := readFile("-secret-file", path)
	if err != nil {
		return nil, err
	}
	return secretKey(secretFromFile(data), alg, kid, "-secret-file "+path)
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

// notASecret refuses a secret that is key material by classify's rule,
// saying what it looks like. where names the secret's origin.
func notASecret(secret []byte, where string) error {
	switch kind, f := classify(secret); kind {
	case pemFile:
		return fmt.Errorf("%s is a PEM key, never an HMAC secret (algorithm confusion): give a key with -key", where)
	case jwkFile:
		return fmt.Errorf("%s is a JWK, never an HMAC secret as it is: give a JWK with -key", where)
	case jwkSetFile:
		return fmt.Errorf("%s is a JWK Set, never an HMAC secret: give a JWK Set with -key", where)
	case foreignFile:
		return fmt.Errorf("%s looks like %s, never an HMAC secret (algorithm confusion): a secret is random bytes", where, f.seen)
	}
	return nil
}

// countSet counts the flags of vs that were given.
func countSet(vs ...string) int {
	n := 0
	for _, v := range vs {
		if v != "" {
			n++
		}
	}
	return n
}

func isHMAC(alg string) bool { return strings.HasPrefix(alg, "HS") }

// checkAlg refuses an algorithm jwtgate does not support, before any key is
// read.
func checkAlg(alg string) error {
	if alg != "" && !slices.Contains(signing.Supported(), alg) {
		return usagef("-alg %q is not supported (want one of %s)", alg, strings.Join(signing.Supported(), ", "))
	}
	return nil
}

// secretKey binds an HMAC secret to alg (HS256 when empty) and validates it:
// key material is refused (notASecret), and so is a secret shorter than
// alg's hash. where names the secret's origin in errors.
func secretKey(secret []byte, alg, kid, where string) (*jwtgate.Key, error) {
	if err := notASecret(secret, where); err != nil {
		return nil, err
	}
	if alg == "" {
		alg = "HS256"
	}
	if !isHMAC(alg) {
		return nil, fmt.Errorf("%s holds an HMAC secret, which -alg %s cannot use", where, alg)
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

// fileKey reads one key from the -key file at path: PEM or JWK, bound to
// alg (or to the algorithm the key names or allows when alg is empty). A
// JWK Set is refused: the caller handles those where they make sense.
func fileKey(path, alg, kid, ifSecret string) (*jwtgate.Key, error) {
	data, kind, err := readKeyFile(path, ifSecret)
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
	return nil, fmt.Errorf("%s holds neither a PEM key nor a JWK", where) // readKeyFile returns no other kind
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
