package main

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/big"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/dpop"
)

// dpopWalkthrough is the client side of DPoP against the example app, as the
// help of dpop-proof, the package doc and README.md show it; the test
// TestDPoPWalkthrough runs these very lines, so that none of them can drift
// from what works.
const dpopWalkthrough = `# A key for DPoP proofs; its thumbprint (jkt) goes to standard error.
jwtgate dpop-key -out client.jwk
# Log in with a proof of the key: the tokens are bound to it (token_type DPoP).
ACCESS_TOKEN=$(curl -s -X POST http://127.0.0.1:8080/login -H 'Content-Type: application/json' \
  -H "DPoP: $(jwtgate dpop-proof -key client.jwk -htm POST -htu http://127.0.0.1:8080/login)" \
  -d '{"username":"alice","password":"alice-password"}' | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
# Call the API with the bound token and a fresh proof that carries its hash (-token).
curl -s -w '\n' http://127.0.0.1:8080/api/me -H "Authorization: DPoP $ACCESS_TOKEN" \
  -H "DPoP: $(jwtgate dpop-proof -key client.jwk -htm GET -htu http://127.0.0.1:8080/api/me -token "$ACCESS_TOKEN")"`

// dpopWalkthroughAnswer is what the walk-through's last line prints.
const dpopWalkthroughAnswer = `{"scope":"read","sub":"alice"}`

// dpopAlgorithms are the algorithms a DPoP key is made for and a proof is
// signed with: the asymmetric ones jwtgate supports, which are those its DPoP
// verifier accepts by default. ES256 comes first: it is the default, the
// algorithm RFC 9449's examples use, small and fast.
var dpopAlgorithms = []string{"ES256", "ES384", "ES512", "EdDSA", "Ed25519", "PS256", "PS384", "PS512", "RS256", "RS384", "RS512"}

// rsaDPoPBits is the size of an RSA key dpop-key makes: jwtgate's minimum, as
// a client's key is replaced at will.
const rsaDPoPBits = 2048

var dpopKeyCommand = &command{
	name:    "dpop-key",
	args:    "[-alg ES256|ES384|ES512|EdDSA|PS256|RS256] [-out path]",
	summary: "make a private key for DPoP proofs",
	detail: `Makes a private key for DPoP proofs (RFC 9449) and writes it as a private JWK
(JSON, with its alg) to the file -out names, created with mode 0600 and never
overwritten, or to standard output. The key's RFC 7638 thumbprint, which a
server puts in the cnf.jkt claim of the tokens it binds to the key, is printed
on standard error:

  jwtgate dpop-key -out client.jwk
  jwtgate dpop-key: thumbprint (jkt): 5Y1D…

-alg is ES256 (P-256, the default), ES384, ES512, EdDSA (Ed25519), or for an
RSA key of 2048 bits PS256 or RS256 (or PS384, PS512, RS384, RS512). The file
is a private key: keep it as you keep a password. jwtgate dpop-proof signs
with it.`,
	setup: func(fs *flag.FlagSet) func(*env, []string) error {
		alg := fs.String("alg", "ES256", "the `alg`orithm the key is for: ES256, ES384, ES512, EdDSA, PS256 or RS256")
		out := fs.String("out", "", "write the private JWK to the file at `path`, created with mode 0600 (default: standard output)")
		return func(e *env, _ []string) error {
			if !slices.Contains(dpopAlgorithms, *alg) {
				return usagef("-alg %q is not an algorithm for DPoP proofs (want one of %s)", *alg, strings.Join(dpopAlgorithms, ", "))
			}
			priv, err := generateKey(*alg)
			if err != nil {
				return fmt.Errorf("making the key: %w", err)
			}
			data, err := privateJWK(priv, *alg)
			if err != nil {
				return err
			}
			pub, err := publicJWK(priv.Public())
			if err != nil {
				return err
			}
			if *out == "" {
				if _, err := e.stdout.Write(data); err != nil {
					return fmt.Errorf("writing the key: %w", err)
				}
			} else if err := writeNewFile(*out, data); err != nil {
				return err
			}
			fmt.Fprintf(e.stderr, "jwtgate dpop-key: thumbprint (jkt): %s\n", dpop.Thumbprint(pub))
			return nil
		}
	},
}

// generateKey makes a private key for alg, one of dpopAlgorithms.
func generateKey(alg string) (crypto.Signer, error) {
	switch alg {
	case "ES256":
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "ES384":
		return ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case "ES512":
		return ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	case "EdDSA", "Ed25519":
		_, k, err := ed25519.GenerateKey(rand.Reader)
		return k, err
	}
	return rsa.GenerateKey(rand.Reader, rsaDPoPBits)
}

// writeNewFile writes data to a file that does not exist yet, readable by
// its owner only. An existing file is never replaced: it may be the key
// that the tokens someone holds are bound to.
func writeNewFile(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return fmt.Errorf("-out %s exists already; it is never overwritten: remove it first, or name another file", path)
	}
	if err != nil {
		return fmt.Errorf("-out: %w", err)
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(path) // a partial key is worse than none
		return fmt.Errorf("-out %s: %w", path, err)
	}
	return nil
}

// b64 is base64url without padding, as JWK members are written.
func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// ecPoint returns an ECDSA public key's curve name and its coordinates, each
// of the curve's size as RFC 7518 §6.2.1.2 requires.
func ecPoint(pub *ecdsa.PublicKey) (crv string, x, y []byte, err error) {
	k, err := pub.ECDH()
	if err != nil {
		return "", nil, nil, fmt.Errorf("the ECDSA key: %w", err)
	}
	point := k.Bytes() // 0x04, X, Y (SEC 1 §2.3.3)
	size := (len(point) - 1) / 2
	return pub.Curve.Params().Name, point[1 : 1+size], point[1+size:], nil
}

// publicJWK is the public key as a JWK holding only the members RFC 7638
// §3.2 requires, in its lexicographic order, without white space: at once
// the jwk of a proof's header and the input of the key's thumbprint.
func publicJWK(pub crypto.PublicKey) (string, error) {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		crv, x, y, err := ecPoint(k)
		if err != nil {
			return "", err
		}
		return canonicalJWK(map[string]string{"kty": "EC", "crv": crv, "x": b64(x), "y": b64(y)}), nil
	case ed25519.PublicKey:
		return canonicalJWK(map[string]string{"kty": "OKP", "crv": "Ed25519", "x": b64(k)}), nil
	case *rsa.PublicKey:
		return canonicalJWK(map[string]string{"kty": "RSA", "n": b64(k.N.Bytes()), "e": b64(big.NewInt(int64(k.E)).Bytes())}), nil
	}
	return "", fmt.Errorf("a %T cannot sign DPoP proofs", pub)
}

// thumbprintMembers are the members of a JWK that its RFC 7638 thumbprint
// hashes, by kty (§3.2).
var thumbprintMembers = map[string][]string{
	"EC":  {"crv", "kty", "x", "y"},
	"RSA": {"e", "kty", "n"},
	"OKP": {"crv", "kty", "x"},
	"oct": {"k", "kty"},
}

// canonicalJWK writes members as RFC 7638 §3.3 says: sorted by name, no
// white space, strings escaped as little as JSON allows.
func canonicalJWK(members map[string]string) string {
	names := make([]string, 0, len(members))
	for name := range members {
		names = append(names, name)
	}
	slices.Sort(names)
	var b bytes.Buffer
	b.WriteByte('{')
	for i, name := range names {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(jsonString(name) + ":" + jsonString(members[name]))
	}
	b.WriteByte('}')
	return b.String()
}

// jsonString is s as a JSON string, without the HTML escapes encoding/json
// adds by default (\u003c for '<'), which RFC 7638's canonical form has not.
func jsonString(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return strings.TrimSuffix(b.String(), "\n")
}

// jwkThumbprint is the RFC 7638 thumbprint of a JWK given as JSON, computed
// from its required members; it says what is missing when it cannot be.
func jwkThumbprint(jwk []byte) (string, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(jwk, &m); err != nil {
		return "", errors.New("not a JSON object")
	}
	var kty string
	if json.Unmarshal(m["kty"], &kty) != nil || kty == "" {
		return "", errors.New(`no "kty" string`)
	}
	names, ok := thumbprintMembers[kty]
	if !ok {
		return "", fmt.Errorf("kty %q: RFC 7638 defines the thumbprint of EC, RSA, OKP and oct keys", kty)
	}
	members := map[string]string{}
	for _, name := range names {
		var v string
		if json.Unmarshal(m[name], &v) != nil {
			return "", fmt.Errorf("kty %s without a %q string", kty, name)
		}
		members[name] = v
	}
	return dpop.Thumbprint(canonicalJWK(members)), nil
}

// privateJWK is the private key as a JWK (RFC 7518 §6) with its alg, indented
// and followed by a line break; jwks.ParseKey reads it back.
func privateJWK(priv crypto.Signer, alg string) ([]byte, error) {
	type jwk struct {
		Kty string `json:"kty"`
		Crv string `json:"crv,omitempty"`
		N   string `json:"n,omitempty"`
		E   string `json:"e,omitempty"`
		X   string `json:"x,omitempty"`
		Y   string `json:"y,omitempty"`
		D   string `json:"d"`
		P   string `json:"p,omitempty"`
		Q   string `json:"q,omitempty"`
		DP  string `json:"dp,omitempty"`
		DQ  string `json:"dq,omitempty"`
		QI  string `json:"qi,omitempty"`
		Alg string `json:"alg"`
	}
	var j jwk
	switch k := priv.(type) {
	case *ecdsa.PrivateKey:
		crv, x, y, err := ecPoint(&k.PublicKey)
		if err != nil {
			return nil, err
		}
		d, err := k.ECDH()
		if err != nil {
			return nil, fmt.Errorf("the ECDSA key: %w", err)
		}
		j = jwk{Kty: "EC", Crv: crv, X: b64(x), Y: b64(y), D: b64(d.Bytes())}
	case ed25519.PrivateKey:
		j = jwk{Kty: "OKP", Crv: "Ed25519", X: b64(k.Public().(ed25519.PublicKey)), D: b64(k.Seed())}
	case *rsa.PrivateKey:
		if len(k.Primes) != 2 {
			return nil, errors.New("an RSA key of more than two primes cannot be written as a JWK here")
		}
		k.Precompute()
		j = jwk{Kty: "RSA", N: b64(k.N.Bytes()), E: b64(big.NewInt(int64(k.E)).Bytes()), D: b64(k.D.Bytes()),
			P: b64(k.Primes[0].Bytes()), Q: b64(k.Primes[1].Bytes()),
			DP: b64(k.Precomputed.Dp.Bytes()), DQ: b64(k.Precomputed.Dq.Bytes()), QI: b64(k.Precomputed.Qinv.Bytes())}
	default:
		return nil, fmt.Errorf("a %T cannot be written as a JWK", priv)
	}
	j.Alg = alg
	out, err := json.MarshalIndent(j, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("writing the key: %w", err)
	}
	return append(out, '\n'), nil
}

var dpopProofCommand = &command{
	name:    "dpop-proof",
	args:    "-key path -htm METHOD -htu URL [-token ACCESS_TOKEN] [-nonce N] [-iat when] [-alg alg]",
	summary: "sign a DPoP proof for one request",
	detail: `Signs a DPoP proof (RFC 9449 §4.2) for one request and prints it alone on
standard output, for a DPoP header: typ dpop+jwt, the key's alg and its public
JWK in the header; a random jti, htm, htu and iat (now) in the claims, with
ath, the hash of the access token, when -token gives one, and nonce when
-nonce does. A proof is good for one request, once, within about a minute:
make a fresh one for each.

The key is a private key: a JWK as jwtgate dpop-key writes it, or a PEM file
(as mint reads one). A public key or an HMAC secret is refused: a proof is
signed with a private key whose public half it carries.

-htm is the request's method as it is sent (case matters: POST, not post).
-htu is the request's URL; its query and fragment are left out of htu, as
RFC 9449 §4.2 says, with a note on standard error: the URL given to curl can
be given here as it is. -token is the access token alone, as in
"Authorization: DPoP <token>" ("-" reads it from standard input).

Against the example app started with DPoP allowed (DPOP=allowed go run
./examples/nethttp, listening on 127.0.0.1:8080):

` + indent(dpopWalkthrough, "  ") + `
  # ` + dpopWalkthroughAnswer,
	setup: func(fs *flag.FlagSet) func(*env, []string) error {
		var o proofOptions
		fs.StringVar(&o.keyPath, "key", "", "the private key, the file at `path`: a private JWK (jwtgate dpop-key) or a PEM private key")
		fs.StringVar(&o.htm, "htm", "", "the request's `METHOD`, such as GET or POST")
		fs.StringVar(&o.htu, "htu", "", "the request's `URL`, such as https://api.example.com/orders (query and fragment left out)")
		fs.StringVar(&o.token, "token", "", "the access `token` the request carries, for ath; \"-\" reads it from standard input (default none, for a token request)")
		fs.StringVar(&o.nonce, "nonce", "", "the `nonce` the server sent in DPoP-Nonce (default none)")
		fs.StringVar(&o.iat, "iat", "", "iat, `when`: a Unix time, a duration from now (-10s) or an RFC 3339 time (default now)")
		fs.StringVar(&o.alg, "alg", "", "the `alg`orithm, when not the key's own: PS256 for an RSA key, say")
		return func(e *env, _ []string) error {
			fs.Visit(func(f *flag.Flag) { o.tokenSet = o.tokenSet || f.Name == "token" })
			proof, note, err := o.proof(e, time.Now())
			if err != nil {
				return err
			}
			if note != "" {
				fmt.Fprintln(e.stderr, "jwtgate dpop-proof: "+note)
			}
			_, err = fmt.Fprintln(e.stdout, proof)
			return err
		}
	},
}

func indent(s, prefix string) string {
	return prefix + strings.ReplaceAll(s, "\n", "\n"+prefix)
}

type proofOptions struct {
	keyPath, htm, htu, token, nonce, iat, alg string
	tokenSet                                  bool
}

// proof checks the options, reads the key and signs the proof. note is what
// was changed of the options, for standard error.
func (o *proofOptions) proof(e *env, now time.Time) (proof, note string, err error) {
	switch {
	case o.keyPath == "":
		return "", "", usagef("give the private key with -key (jwtgate dpop-key makes one)")
	case o.htm == "":
		return "", "", usagef("give the request's method with -htm")
	case o.htu == "":
		return "", "", usagef("give the request's URL with -htu")
	}
	if o.alg != "" && !slices.Contains(dpopAlgorithms, o.alg) {
		return "", "", usagef("-alg %q is not an algorithm for DPoP proofs (want one of %s)", o.alg, strings.Join(dpopAlgorithms, ", "))
	}
	if !isToken(o.htm) {
		return "", "", usagef("-htm %q is not an HTTP method: a method is one token of letters, digits and !#$%%&'*+-.^_`|~ (RFC 9110 §9.1), such as GET or POST", o.htm)
	}
	htu, note, err := proofURL(o.htu)
	if err != nil {
		return "", "", err
	}
	if o.nonce != "" && !isNonce(o.nonce) {
		return "", "", usagef("-nonce: a nonce is printable ASCII without '\"' or '\\' (RFC 9449 §8.1); give the DPoP-Nonce header's value as it is")
	}
	iat := now.Unix()
	if o.iat != "" {
		if iat, err = parseWhen(o.iat, now); err != nil {
			return "", "", usagef("-iat: %v", err)
		}
	}
	token := o.token
	if o.tokenSet {
		if token == "-" {
			if token, err = readToken(e, nil); err != nil {
				return "", "", err
			}
		}
		if token, err = accessToken(token); err != nil {
			return "", "", err
		}
	}

	key, err := proofKey(o.keyPath, o.alg)
	if err != nil {
		return "", "", err
	}
	jwk, err := publicJWK(key.VerifyKey)
	if err != nil {
		return "", "", fmt.Errorf("-key %s: %w", o.keyPath, err)
	}
	header, _ := json.Marshal(struct {
		Typ string          `json:"typ"`
		Alg string          `json:"alg"`
		JWK json.RawMessage `json:"jwk"`
	}{"dpop+jwt", key.Algorithm, json.RawMessage(jwk)})
	claims := struct {
		JTI   string `json:"jti"`
		HTM   string `json:"htm"`
		HTU   string `json:"htu"`
		IAT   int64  `json:"iat"`
		ATH   string `json:"ath,omitempty"`
		Nonce string `json:"nonce,omitempty"`
	}{JTI: rand.Text(), HTM: o.htm, HTU: htu, IAT: iat, Nonce: o.nonce}
	if token != "" {
		h := sha256.Sum256([]byte(token))
		claims.ATH = b64(h[:]) // RFC 9449 §4.2
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", "", fmt.Errorf("writing the proof: %w", err)
	}
	input := b64(header) + "." + b64(payload)
	sig, err := signingMethod(key.Algorithm).Sign(input, key.SignKey)
	if err != nil {
		return "", "", fmt.Errorf("signing: %w", err)
	}
	return input + "." + b64(sig), note, nil
}

// signingMethod is golang-jwt's method for alg. RFC 9864's Ed25519 is
// EdDSA's signature under a name golang-jwt does not register.
func signingMethod(alg string) jwt.SigningMethod {
	if alg == "Ed25519" {
		return jwt.SigningMethodEdDSA
	}
	return jwt.GetSigningMethod(alg)
}

// proofKey reads the key a proof is signed with: a private asymmetric key.
func proofKey(path, alg string) (*jwtgate.Key, error) {
	data, kind, err := readKeyFile(path, secretNeverSigns)
	if err != nil {
		return nil, err
	}
	switch kind {
	case jwkSetFile:
		return nil, fmt.Errorf("-key %s is a JWK Set; give one private key, as a JWK or a PEM file", path)
	}
	k, err := parseKeyFile(data, kind, path, alg, "")
	if err != nil {
		return nil, err
	}
	switch {
	case isHMAC(k.Algorithm):
		return nil, fmt.Errorf("-key %s is a symmetric key (%s): a proof is signed with an asymmetric private key, whose public half it carries (jwtgate dpop-key makes one)", path, k.Algorithm)
	case k.SignKey == nil:
		return nil, fmt.Errorf("-key %s holds a public key; a proof is signed with the private key", path)
	}
	return k, nil
}

// proofURL is htu for the request URL raw: the URL without its query and
// fragment (RFC 9449 §4.2), and a note when they were left out. The URL must
// be absolute http or https without user information, as jwtgate's
// verifier wants it.
func proofURL(raw string) (htu, note string, err error) {
	htu = raw
	if i := strings.IndexAny(raw, "?#"); i >= 0 {
		// Neither may appear in the scheme, the authority or the path: the
		// first one ends the path.
		htu = raw[:i]
		note = fmt.Sprintf("htu is %s: the URL without its query and fragment (RFC 9449 §4.2)", htu)
	}
	u, perr := url.Parse(htu)
	switch {
	case perr != nil:
		return "", "", usagef("-htu %q is not a URL: %v", raw, errors.Unwrap(perr))
	case !strings.EqualFold(u.Scheme, "http") && !strings.EqualFold(u.Scheme, "https"):
		return "", "", usagef("-htu %q: the URL must be absolute, http:// or https:// (the request's whole URL, not its path)", raw)
	case u.Host == "" || u.Opaque != "":
		return "", "", usagef("-htu %q: the URL has no host", raw)
	case u.User != nil:
		return "", "", usagef("-htu %q: the URL holds user information, which a request's URL does not carry", raw)
	}
	return htu, note, nil
}

// accessToken is the token -token gives, without an authorization scheme
// in front; ath hashes the token alone.
func accessToken(s string) (string, error) {
	s = strings.TrimSpace(s)
	for _, scheme := range []string{"DPoP ", "Bearer "} {
		if len(s) > len(scheme) && strings.EqualFold(s[:len(scheme)], scheme) {
			s = strings.TrimSpace(s[len(scheme):])
		}
	}
	switch {
	case s == "":
		return "", usagef("-token is empty: no access token to bind the proof to (did the login fail?); leave -token out for a proof without ath")
	case !isB64Token(s):
		return "", usagef("-token is not an access token: a token is one b64token (RFC 6750 §2.1) of letters, digits and -._~+/ with '=' at the end")
	}
	return s, nil
}

// isToken reports whether s is an RFC 9110 §5.6.2 token, as a method is.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

// isNonce reports whether s is RFC 9449 §8.1's nonce: 1*NQCHAR.
func isNonce(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x21 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return s != ""
}

// isB64Token is RFC 6750 §2.1's b64token.
func isB64Token(s string) bool {
	body := strings.TrimRight(s, "=")
	if body == "" {
		return false
	}
	for i := 0; i < len(body); i++ {
		c := body[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-._~+/", c) >= 0) {
			return false
		}
	}
	return true
}
