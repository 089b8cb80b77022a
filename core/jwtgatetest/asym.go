package jwtgatetest

import (
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"encoding/pem"
	"hash"
	"math/big"
	"strings"
	"sync"
	"time"

	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/jwks"
)

// The asymmetric cases: RS256/384/512, PS256/384/512, ES256/384/512 and
// EdDSA, and the catalogue's attacks that need an RSA, EC or Ed25519 key on
// the server (docs/security-cases.md: ALG, SIG and HDR, and the known-answer
// vectors).
//
// The server's keys are K_rsa (kid rsa-1, RS256; also
// bound to RS384 as rsa-384 and RS512 as rsa-512 in those algorithms' own
// routes), K_pss (pss-1, PS256; pss-384, pss-512), K_ec on P-256 (ec-1,
// ES256), P-384 (ec-384) and P-521 (ec-512), and K_ed (ed-1, EdDSA). Each
// route binds each key to one algorithm. A second key of each type is the
// attacker's (or, in HDR-08, the second issuer's), as docs/security-cases.md,
// "Conventions", names them.
//
// The keys are generated once per process with crypto/rand (asymKeys), the
// first time a case needs them, never while the table is built: CaseCount
// generates nothing, and the cases run in parallel on shared, read-only keys.
//
// Not here:
//   - HDR-09 (two keys with one kid, HMAC mixed with public keys, private keys
//     in a JWKS) and ALG-09's second half (a P-384 key with "alg":"ES256" in
//     a JWKS) are refused when the key set is built (jwtgate.New,
//     jwks.ParseSet): configuration time, not a request. The core's and the
//     jwks package's unit tests cover them.
//   - KEY-01…KEY-05: key loading (configuration time) and the remote JWKS,
//     likewise.

// The kid of the server's key for each algorithm.
var asymKid = map[string]string{
	"RS256": "rsa-1", "RS384": "rsa-384", "RS512": "rsa-512",
	"PS256": "pss-1", "PS384": "pss-384", "PS512": "pss-512",
	"ES256": "ec-1", "ES384": "ec-384", "ES512": "ec-512",
	"EdDSA": "ed-1",
}

// asymAlgs is every asymmetric algorithm jwtgate verifies, in table order.
var asymAlgs = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}

// The two issuers of HDR-08.
const (
	issuerA = "https://a.issuer.example"
	issuerB = "https://b.issuer.example"
)

// asymFixture holds the private keys; the server is only ever given the
// public halves.
type asymFixture struct {
	rsa  *rsa.PrivateKey // K_rsa
	pss  *rsa.PrivateKey // K_pss
	rsa2 *rsa.PrivateKey // the attacker's RSA key; issuer B's in HDR-08
	ec   map[string]*ecdsa.PrivateKey
	ec2  map[string]*ecdsa.PrivateKey // the attacker's, one per curve; issuer B's in HDR-08
	ed   ed25519.PrivateKey
	ed2  ed25519.PrivateKey
	// Self-signed certificates (DER) of the attacker's keys rsa2 and
	// ec2["ES256"], for x5c (HDR-04).
	certRSA, certEC []byte
}

// asymKeys returns the process's asymmetric keys, generating them on first
// use (RSA-2048 generation is slow under -race: three keys, once).
var asymKeys = sync.OnceValue(func() *asymFixture {
	ax := &asymFixture{ec: map[string]*ecdsa.PrivateKey{}, ec2: map[string]*ecdsa.PrivateKey{}}
	var wg sync.WaitGroup
	for _, k := range []**rsa.PrivateKey{&ax.rsa, &ax.pss, &ax.rsa2} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			if *k, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
				panic("jwtgatetest: " + err.Error())
			}
		}()
	}
	for alg, curve := range map[string]elliptic.Curve{"ES256": elliptic.P256(), "ES384": elliptic.P384(), "ES512": elliptic.P521()} {
		ax.ec[alg] = must(ecdsa.GenerateKey(curve, rand.Reader))
		ax.ec2[alg] = must(ecdsa.GenerateKey(curve, rand.Reader))
	}
	_, ax.ed = must2(ed25519.GenerateKey(rand.Reader))
	_, ax.ed2 = must2(ed25519.GenerateKey(rand.Reader))
	wg.Wait()
	ax.certRSA = selfSigned(ax.rsa2)
	ax.certEC = selfSigned(ax.ec2["ES256"])
	return ax
})

func must[T any](v T, err error) T {
	if err != nil {
		panic("jwtgatetest: " + err.Error())
	}
	return v
}

func must2[T, U any](a T, b U, err error) (T, U) {
	if err != nil {
		panic("jwtgatetest: " + err.Error())
	}
	return a, b
}

// selfSigned is an attacker's self-signed certificate for key.
func selfSigned(key crypto.Signer) []byte {
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "https://issuer.example"},
		NotBefore:    time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:     time.Date(2036, 1, 1, 0, 0, 0, 0, time.UTC),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	return must(x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key))
}

// signer returns the server's private key for alg (trusted) or the
// attacker's key of the same type.
func (ax *asymFixture) signer(alg string, trusted bool) crypto.Signer {
	switch {
	case strings.HasPrefix(alg, "RS") && trusted:
		return ax.rsa
	case strings.HasPrefix(alg, "PS") && trusted:
		return ax.pss
	case strings.HasPrefix(alg, "RS"), strings.HasPrefix(alg, "PS"):
		return ax.rsa2
	case strings.HasPrefix(alg, "ES") && trusted:
		return ax.ec[alg]
	case strings.HasPrefix(alg, "ES"):
		return ax.ec2[alg]
	case alg == "EdDSA" && trusted:
		return ax.ed
	case alg == "EdDSA":
		return ax.ed2
	}
	panic("jwtgatetest: no key for " + alg)
}

// key is the server's verify-only key for alg, with its kid.
func (ax *asymFixture) key(alg string) *jwtgate.Key {
	return pubKey(alg, asymKid[alg], ax.signer(alg, true))
}

// pubKey binds the public half of s to alg under kid.
func pubKey(alg, kid string, s crypto.Signer) *jwtgate.Key {
	return &jwtgate.Key{ID: kid, Algorithm: alg, VerifyKey: s.Public()}
}

// asymRoute binds the route to the server's key for alg alone.
func asymRoute(alg string) func(*jwtgate.Config) {
	return func(c *jwtgate.Config) { c.Keys = asymKeys().key(alg) }
}

// asymSet binds the route to a key set built from the fixture.
func asymSet(keys func(ax *asymFixture) []*jwtgate.Key) func(*jwtgate.Config) {
	return func(c *jwtgate.Config) { c.Keys = jwtgate.NewKeySet(keys(asymKeys())...) }
}

// asymHeader is the default header {"alg","typ":"JWT","kid"}.
func asymHeader(alg, kid string) string {
	return `{"alg":` + str(alg) + `,"typ":"JWT","kid":` + str(kid) + `}`
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// hashOf maps an algorithm to its hash: SHA-256, SHA-384 or SHA-512 by the
// name's last three digits.
func hashOf(alg string) crypto.Hash {
	switch {
	case strings.HasSuffix(alg, "256"):
		return crypto.SHA256
	case strings.HasSuffix(alg, "384"):
		return crypto.SHA384
	case strings.HasSuffix(alg, "512"):
		return crypto.SHA512
	}
	panic("jwtgatetest: no hash for " + alg)
}

func digest(h crypto.Hash, data []byte) []byte {
	var w hash.Hash
	switch h {
	case crypto.SHA1:
		w = sha1.New()
	case crypto.SHA256:
		w = sha256.New()
	case crypto.SHA384:
		w = sha512.New384()
	case crypto.SHA512:
		w = sha512.New()
	default:
		panic("jwtgatetest: unexpected hash")
	}
	_, _ = w.Write(data)
	return w.Sum(nil)
}

// asymSig signs the signing input si as alg with key, in the JWS form:
// RSASSA-PKCS1-v1_5, RSASSA-PSS with a salt as long as the hash, raw R‖S for
// ECDSA (RFC 7518 §3.4), the 64-octet Ed25519 signature (RFC 8037). Whatever
// key it is given: alg picks the scheme, not the key.
func asymSig(alg string, key crypto.Signer, si string) []byte {
	switch k := key.(type) {
	case *rsa.PrivateKey:
		h := hashOf(alg)
		if strings.HasPrefix(alg, "PS") {
			return must(rsa.SignPSS(rand.Reader, k, h, digest(h, []byte(si)), &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash}))
		}
		return must(rsa.SignPKCS1v15(rand.Reader, k, h, digest(h, []byte(si))))
	case *ecdsa.PrivateKey:
		r, s := ecdsaRS(alg, k, si)
		return rawRS(k, r, s)
	case ed25519.PrivateKey:
		return ed25519.Sign(k, []byte(si))
	}
	panic("jwtgatetest: unexpected key type")
}

// ecdsaRS signs si with k over the hash of alg and returns r and s.
func ecdsaRS(alg string, k *ecdsa.PrivateKey, si string) (r, s *big.Int) {
	h := hashOf(alg)
	r, s, err := ecdsa.Sign(rand.Reader, k, digest(h, []byte(si)))
	if err != nil {
		panic("jwtgatetest: " + err.Error())
	}
	return r, s
}

// rawRS is R‖S, each left-padded to the curve's size (RFC 7518 §3.4).
func rawRS(k *ecdsa.PrivateKey, r, s *big.Int) []byte {
	n := (k.Curve.Params().BitSize + 7) / 8
	out := make([]byte, 2*n)
	r.FillBytes(out[:n])
	s.FillBytes(out[n:])
	return out
}

// signed is b64u(header) "." b64u(payload) "." b64u(signature by key as alg).
func signed(alg string, key crypto.Signer, header, payload string) string {
	si := b64u(header) + "." + b64u(payload)
	return si + "." + b64(asymSig(alg, key, si))
}

// asymT0 is a correctly signed token for alg: the server's key, the default
// header and claims (mods applied).
func (fx *fixture) asymT0(alg string, mods ...claimMod) string {
	ax := asymKeys()
	return signed(alg, ax.signer(alg, true), asymHeader(alg, asymKid[alg]), fx.claims(mods...))
}

// withSig replaces the signature of tok.
func withSig(tok string, sig []byte) string { return replaceSegment(tok, 2, b64(sig)) }

// sigOf decodes the signature of tok.
func sigOf(tok string) []byte {
	return must(base64.RawURLEncoding.DecodeString(tok[strings.LastIndexByte(tok, '.')+1:]))
}

// rsaPrivate is the raw RSA signature primitive, em^d mod n, k octets long:
// for signatures whose encoding Go's crypto/rsa refuses to produce.
func rsaPrivate(k *rsa.PrivateKey, em []byte) []byte {
	m := new(big.Int).SetBytes(em)
	if m.Cmp(k.N) >= 0 {
		panic("jwtgatetest: message representative out of range")
	}
	s := new(big.Int).Exp(m, k.D, k.N)
	// Self-check: the public operation gives em back.
	if new(big.Int).Exp(s, big.NewInt(int64(k.E)), k.N).Cmp(m) != 0 {
		panic("jwtgatetest: raw RSA signature does not verify")
	}
	return s.FillBytes(make([]byte, k.Size()))
}

// mgf1 is MGF1 with hash h (RFC 8017 §B.2.1).
func mgf1(h crypto.Hash, seed []byte, n int) []byte {
	var out []byte
	var c [4]byte
	for i := uint32(0); len(out) < n; i++ {
		binary.BigEndian.PutUint32(c[:], i)
		out = append(out, digest(h, append(append([]byte{}, seed...), c[:]...))...)
	}
	return out[:n]
}

// pssNoSalt is an RSASSA-PSS signature of si with an empty salt (EMSA-PSS,
// RFC 8017 §9.1.1, sLen = 0), built by hand: crypto/rsa cannot make one, as
// it reads PSSOptions{SaltLength: 0} as rsa.PSSSaltLengthAuto (0), the
// longest salt.
func pssNoSalt(k *rsa.PrivateKey, h crypto.Hash, si string) []byte {
	mHash := digest(h, []byte(si))
	emBits := k.N.BitLen() - 1
	emLen := (emBits + 7) / 8
	hh := digest(h, append(make([]byte, 8), mHash...)) // M' = 0x00×8 ‖ mHash ‖ salt(empty)
	db := make([]byte, emLen-h.Size()-1)               // PS ‖ 0x01 ‖ salt(empty)
	db[len(db)-1] = 0x01
	mask := mgf1(h, hh, len(db))
	for i := range db {
		db[i] ^= mask[i]
	}
	db[0] &= 0xff >> (8*emLen - emBits)
	em := append(append(db, hh...), 0xbc)
	return rsaPrivate(k, em)
}

// checkOtherSalt panics unless sig is a PSS signature of si that a verifier
// accepting any salt length (golang-jwt's rsa.PSSSaltLengthAuto) accepts and
// one fixing the salt to the hash's length (RFC 7518 §3.5) refuses: so that
// a SIG-11 case tests what it says.
func checkOtherSalt(k *rsa.PrivateKey, h crypto.Hash, si string, sig []byte) []byte {
	d := digest(h, []byte(si))
	if rsa.VerifyPSS(&k.PublicKey, h, d, sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthAuto}) != nil {
		panic("jwtgatetest: the PSS signature does not verify with PSSSaltLengthAuto")
	}
	if rsa.VerifyPSS(&k.PublicKey, h, d, sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash}) == nil {
		panic("jwtgatetest: the PSS signature has a salt as long as the hash")
	}
	return sig
}

// The DER DigestInfo prefix of SHA-256 (RFC 8017 §9.2 note 1), and the same
// without the NULL parameters.
var (
	digestInfoSHA256       = []byte{0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20}
	digestInfoSHA256NoNULL = []byte{0x30, 0x2f, 0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x04, 0x20}
)

// pkcs1Block is 00 01 FF… 00 ‖ t, k octets, with at least 8 FF octets.
func pkcs1Block(k int, t []byte) []byte {
	em := make([]byte, k)
	em[1] = 0x01
	for i := 2; i < k-len(t)-1; i++ {
		em[i] = 0xff
	}
	copy(em[k-len(t):], t)
	return em
}

// servedJWK is the JWK of k exactly as jwks.Handler serves it (the member of
// the set's "keys"), the octets an attacker fetches from the JWKS endpoint.
func servedJWK(k *jwtgate.Key) []byte {
	body := must(jwks.Marshal(k))
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &set); err != nil || len(set.Keys) != 1 {
		panic("jwtgatetest: cannot read the published JWK Set")
	}
	return set.Keys[0]
}

func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

// spkiPEM is the "PUBLIC KEY" PEM of pub, ending in a line feed.
func spkiPEM(pub crypto.PublicKey) []byte {
	return pemBlock("PUBLIC KEY", must(x509.MarshalPKIXPublicKey(pub)))
}

// confusionForm is one octet form of a public key used as an HMAC secret.
type confusionForm struct {
	name  string
	bytes func(ax *asymFixture) []byte
}

func asymCases(fx *fixture) []testCase {
	var cases []testCase
	push := func(tc ...testCase) { cases = append(cases, tc...) }

	// Every algorithm: valid, tampered payload, signed by another key of the
	// same type under the server key's kid.
	for _, alg := range asymAlgs {
		push(
			testCase{name: "VALID/" + alg, config: asymRoute(alg),
				token: func(*env) string { return fx.asymT0(alg) }, want: accept()},
			testCase{name: "VALID/" + alg + " tampered payload", config: asymRoute(alg),
				token: func(*env) string { return tamper(fx.asymT0(alg), fx.claims(set("sub", `"admin"`))) },
				want:  invalidToken(descSignature)},
			testCase{name: "VALID/" + alg + " wrong key of the same type", config: asymRoute(alg),
				token: func(*env) string {
					return signed(alg, asymKeys().signer(alg, false), asymHeader(alg, asymKid[alg]), fx.claims())
				}, want: invalidToken(descSignature)},
		)
	}

	push(asymAlgCases(fx)...)
	push(asymSigCases(fx)...)
	push(asymHdrCases(fx)...)
	push(asymKATCases()...)
	return cases
}

// hmacWith is an HS256 token naming kid, MACed with secret.
func hmacWith(fx *fixture, kid string, secret []byte) string {
	return jws("HS256", secret, asymHeader("HS256", kid), fx.claims())
}

func asymAlgCases(fx *fixture) []testCase {
	var cases []testCase
	// ALG-05: the route holds only K_rsa, bound to RS256. An HS256 token
	// MACed with any octet form of its public key is refused before a key is
	// looked up: no key is bound to HS256, and the RSA key is never an HMAC
	// secret.
	rsaPub := func(ax *asymFixture) *rsa.PublicKey { return &ax.rsa.PublicKey }
	for _, f := range []confusionForm{
		{"SPKI PEM with trailing LF", func(ax *asymFixture) []byte { return spkiPEM(rsaPub(ax)) }},
		{"SPKI PEM without trailing LF", func(ax *asymFixture) []byte {
			p := spkiPEM(rsaPub(ax))
			return p[:len(p)-1]
		}},
		{"PKCS#1 RSA PUBLIC KEY PEM", func(ax *asymFixture) []byte {
			return pemBlock("RSA PUBLIC KEY", x509.MarshalPKCS1PublicKey(rsaPub(ax)))
		}},
		{"DER SPKI", func(ax *asymFixture) []byte { return must(x509.MarshalPKIXPublicKey(rsaPub(ax))) }},
		{"JWK JSON as the JWKS endpoint serves it", func(ax *asymFixture) []byte { return servedJWK(ax.key("RS256")) }},
		{"raw modulus", func(ax *asymFixture) []byte { return rsaPub(ax).N.Bytes() }},
	} {
		cases = append(cases, testCase{
			name: "ALG-05/RS256 to HS256 keyed with the " + f.name, config: asymRoute("RS256"),
			token: func(*env) string { return hmacWith(fx, "rsa-1", f.bytes(asymKeys())) },
			want:  invalidToken(descAlgorithm),
		})
	}
	// ALG-06: the same with K_ec (ES256) and K_ed (EdDSA).
	ecPub := func(ax *asymFixture) *ecdsa.PublicKey { return &ax.ec["ES256"].PublicKey }
	edPub := func(ax *asymFixture) ed25519.PublicKey { return ax.ed.Public().(ed25519.PublicKey) }
	for _, c := range []struct {
		alg string
		f   confusionForm
	}{
		{"ES256", confusionForm{"SPKI PEM", func(ax *asymFixture) []byte { return spkiPEM(ecPub(ax)) }}},
		{"ES256", confusionForm{"JWK JSON as the JWKS endpoint serves it", func(ax *asymFixture) []byte { return servedJWK(ax.key("ES256")) }}},
		{"ES256", confusionForm{"uncompressed point 04‖X‖Y", func(ax *asymFixture) []byte { return ecPoint(ecPub(ax)) }}},
		{"EdDSA", confusionForm{"SPKI PEM", func(ax *asymFixture) []byte { return spkiPEM(edPub(ax)) }}},
		{"EdDSA", confusionForm{"JWK JSON as the JWKS endpoint serves it", func(ax *asymFixture) []byte { return servedJWK(ax.key("EdDSA")) }}},
		{"EdDSA", confusionForm{"32-octet public key", func(ax *asymFixture) []byte { return edPub(ax) }}},
	} {
		cases = append(cases, testCase{
			name: "ALG-06/" + c.alg + " to HS256 keyed with the " + c.f.name, config: asymRoute(c.alg),
			token: func(*env) string { return hmacWith(fx, asymKid[c.alg], c.f.bytes(asymKeys())) },
			want:  invalidToken(descAlgorithm),
		})
	}

	// ALG-08: K_rsa's private key (issuer key reuse) signs PS256 and RS512
	// tokens. Alone on the route, K_rsa allows RS256 only; in a set where
	// PS256 and RS512 are allowed for other keys, the binding of the key the
	// kid names refuses them.
	rsaAndPSS := asymSet(func(ax *asymFixture) []*jwtgate.Key {
		return []*jwtgate.Key{ax.key("RS256"), ax.key("PS256")}
	})
	rsaAndRS512 := asymSet(func(ax *asymFixture) []*jwtgate.Key {
		return []*jwtgate.Key{ax.key("RS256"), pubKey("RS512", "other-512", ax.rsa2)}
	})
	withRSA := func(alg string, header string) func(*env) string {
		return func(*env) string { return signed(alg, asymKeys().rsa, header, fx.claims()) }
	}
	cases = append(cases,
		testCase{name: "ALG-08/PS256 signed with the RS256 key", config: asymRoute("RS256"),
			token: withRSA("PS256", asymHeader("PS256", "rsa-1")), want: invalidToken(descAlgorithm)},
		testCase{name: "ALG-08/RS512 signed with the RS256 key", config: asymRoute("RS256"),
			token: withRSA("RS512", asymHeader("RS512", "rsa-1")), want: invalidToken(descAlgorithm)},
		testCase{name: "ALG-08/PS256 naming the RS256 key in a set with a PS256 key", config: rsaAndPSS,
			token: withRSA("PS256", asymHeader("PS256", "rsa-1")), want: invalidToken(descAlgorithm)},
		// Without kid the PS256 key is selected, and K_rsa's signature does
		// not verify with it: no falling back to another key.
		testCase{name: "ALG-08/PS256 without kid signed with the RS256 key, set with a PS256 key", config: rsaAndPSS,
			token: withRSA("PS256", `{"alg":"PS256","typ":"JWT"}`), want: invalidToken(descSignature)},
		testCase{name: "ALG-08/RS512 naming the RS256 key in a set with an RS512 key", config: rsaAndRS512,
			token: withRSA("RS512", asymHeader("RS512", "rsa-1")), want: invalidToken(descAlgorithm)},
	)

	// ALG-09: an ES384 or ES512 header over an ES256 signature by K_ec.
	es256Sig := func(alg, kid string) func(*env) string {
		return func(*env) string { return signed("ES256", asymKeys().ec["ES256"], asymHeader(alg, kid), fx.claims()) }
	}
	ecSet := func(alg string) func(*jwtgate.Config) {
		return asymSet(func(ax *asymFixture) []*jwtgate.Key { return []*jwtgate.Key{ax.key("ES256"), ax.key(alg)} })
	}
	for _, alg := range []string{"ES384", "ES512"} {
		cases = append(cases,
			testCase{name: "ALG-09/" + alg + " header with an ES256 signature", config: asymRoute("ES256"),
				token: es256Sig(alg, "ec-1"), want: invalidToken(descAlgorithm)},
			testCase{name: "ALG-09/" + alg + " header naming the ES256 key in a set with an " + alg + " key", config: ecSet(alg),
				token: es256Sig(alg, "ec-1"), want: invalidToken(descAlgorithm)},
			// The key is bound to the header's alg, and a 64-octet signature
			// is not an ES384 (96) or ES512 (132) one.
			testCase{name: "ALG-09/" + alg + " header naming the " + alg + " key with an ES256 signature", config: ecSet(alg),
				token: es256Sig(alg, asymKid[alg]), want: invalidToken(descSignature)},
		)
	}

	// ALG-10: algorithms jwtgate does not implement, on asymmetric routes.
	cases = append(cases,
		testCase{name: `ALG-10/alg "RS1" on an RS256 route`, config: asymRoute("RS256"),
			token: func(*env) string {
				return signed("RS256", asymKeys().rsa, asymHeader("RS1", "rsa-1"), fx.claims())
			}, want: invalidToken(descAlgorithm)},
		testCase{name: `ALG-10/alg "ES256K" on an ES256 route`, config: asymRoute("ES256"),
			token: func(*env) string {
				return signed("ES256", asymKeys().ec["ES256"], asymHeader("ES256K", "ec-1"), fx.claims())
			}, want: invalidToken(descAlgorithm)},
		// EdDSA is allowed, but no Ed448 key exists: the kid names nothing.
		testCase{name: "ALG-10/EdDSA with an Ed448 kid and a 114-octet signature", config: asymRoute("EdDSA"),
			token: func(*env) string {
				si := b64u(asymHeader("EdDSA", "ed448-1")) + "." + b64u(fx.claims())
				return si + "." + b64(randomBytes(114))
			}, want: invalidToken(descUnknownKey)},
	)

	// ALG-11: a correctly signed HS256 token (K_hs) to routes whose only key
	// is asymmetric.
	for _, alg := range []string{"RS256", "ES256", "EdDSA"} {
		cases = append(cases, testCase{
			name: "ALG-11/HS256 token to an " + alg + "-only route", config: asymRoute(alg),
			token: func(*env) string { return fx.t0() }, want: invalidToken(descAlgorithm),
		})
	}
	cases = append(cases, testCase{
		name: "ALG-11/HS256 token naming the RSA key's kid", config: asymRoute("RS256"),
		token: func(*env) string { return hmacWith(fx, "rsa-1", fx.khs) }, want: invalidToken(descAlgorithm),
	})
	return cases
}

func asymSigCases(fx *fixture) []testCase {
	var cases []testCase
	// SIG-01: the real alg, no signature.
	for _, alg := range []string{"RS256", "PS256", "ES256", "EdDSA"} {
		cases = append(cases, testCase{
			name: "SIG-01/" + alg + " signature stripped", config: asymRoute(alg),
			token: func(*env) string { return signingInput(fx.asymT0(alg)) + "." }, want: invalidToken(descSignature),
		})
	}

	// SIG-04: ECDSA r, s out of range (CVE-2022-21449 and kin), each 32 octets.
	n256 := elliptic.P256().Params().N
	one := big.NewInt(1)
	special := []struct {
		name string
		v    *big.Int
	}{
		{"0", new(big.Int)},
		{"1", one},
		{"n-1", new(big.Int).Sub(n256, one)},
		{"n", n256},
	}
	es256 := asymRoute("ES256")
	for _, r := range special {
		for _, s := range special {
			name := "SIG-04/ES256 r=" + r.name + " s=" + s.name
			if r.name == "0" && s.name == "0" {
				name += " (psychic signature: 64 zero octets)"
			}
			cases = append(cases, testCase{
				name: name, config: es256,
				token: func(*env) string {
					sig := make([]byte, 64)
					r.v.FillBytes(sig[:32])
					s.v.FillBytes(sig[32:])
					return withSig(fx.asymT0("ES256"), sig)
				}, want: invalidToken(descSignature),
			})
		}
	}
	cases = append(cases, testCase{
		name: "SIG-04/ES256 DER r=0 s=0 (MAYCAQACAQA)", config: es256,
		token: func(*env) string { return replaceSegment(fx.asymT0("ES256"), 2, "MAYCAQACAQA") },
		want:  invalidToken(descSignature),
	})

	// SIG-05: a valid ES256 signature in the wrong encoding or length.
	sigMod := func(name string, f func(k *ecdsa.PrivateKey, r, s *big.Int) []byte, w want) testCase {
		return testCase{name: name, config: es256, want: w, token: func(*env) string {
			k := asymKeys().ec["ES256"]
			tok := fx.asymT0("ES256")
			r, s := ecdsaRS("ES256", k, signingInput(tok))
			return withSig(tok, f(k, r, s))
		}}
	}
	cases = append(cases,
		sigMod("SIG-05/ES256 signature DER-encoded", func(_ *ecdsa.PrivateKey, r, s *big.Int) []byte {
			return must(asn1.Marshal(struct{ R, S *big.Int }{r, s}))
		}, invalidToken(descSignature)),
		sigMod("SIG-05/ES256 signature of 65 octets (00 appended)", func(k *ecdsa.PrivateKey, r, s *big.Int) []byte {
			return append(rawRS(k, r, s), 0)
		}, invalidToken(descSignature)),
		sigMod("SIG-05/ES256 signature with 32 trailing zero octets", func(k *ecdsa.PrivateKey, r, s *big.Int) []byte {
			return append(rawRS(k, r, s), make([]byte, 32)...)
		}, invalidToken(descSignature)),
		// 63 octets: r's leading zero octet dropped, as a lenient verifier
		// that left-pads would still accept. Sign until r has one (1 in 256).
		testCase{name: "SIG-05/ES256 signature of 63 octets (leading zero of r dropped)", config: es256,
			want: invalidToken(descSignature), token: func(*env) string {
				k := asymKeys().ec["ES256"]
				claims := fx.claims()
				si := b64u(asymHeader("ES256", "ec-1")) + "." + b64u(claims)
				for range 1 << 14 {
					r, s := ecdsaRS("ES256", k, si)
					if sig := rawRS(k, r, s); sig[0] == 0 {
						return si + "." + b64(sig[1:])
					}
				}
				panic("jwtgatetest: no ES256 signature with a leading zero octet")
			}},
		// SIG-06: n−s is as valid as s. jwtgate accepts the twin: it is a
		// correct signature of the same claims. Revocation is keyed by (iss,
		// jti), never by the token's bytes, so revoking the original revokes
		// the twin too (REV-01).
		sigMod("SIG-06/ES256 high-S twin is accepted", func(k *ecdsa.PrivateKey, r, s *big.Int) []byte {
			return rawRS(k, r, new(big.Int).Sub(k.Curve.Params().N, s))
		}, accept()),
	)

	// SIG-10: a valid RS256 signature with its length or value changed, and
	// correctly signed PKCS#1 blocks whose DigestInfo is not the canonical one.
	rs256 := asymRoute("RS256")
	rsaMod := func(name string, f func(k *rsa.PrivateKey, sig []byte, si string) []byte) testCase {
		return testCase{name: "SIG-10/" + name, config: rs256, want: invalidToken(descSignature), token: func(*env) string {
			tok := fx.asymT0("RS256")
			return withSig(tok, f(asymKeys().rsa, sigOf(tok), signingInput(tok)))
		}}
	}
	intSig := func(k *rsa.PrivateKey, v *big.Int) []byte { return v.FillBytes(make([]byte, k.Size())) }
	cases = append(cases,
		rsaMod("RS256 signature with 00 prepended", func(_ *rsa.PrivateKey, sig []byte, _ string) []byte {
			return append([]byte{0}, sig...)
		}),
		rsaMod("RS256 signature truncated by one octet", func(_ *rsa.PrivateKey, sig []byte, _ string) []byte {
			return sig[:len(sig)-1]
		}),
		rsaMod("RS256 signature with two zero octets appended", func(_ *rsa.PrivateKey, sig []byte, _ string) []byte {
			return append(sig, 0, 0)
		}),
		rsaMod("RS256 signature 0", func(k *rsa.PrivateKey, _ []byte, _ string) []byte { return intSig(k, new(big.Int)) }),
		rsaMod("RS256 signature 1", func(k *rsa.PrivateKey, _ []byte, _ string) []byte { return intSig(k, big.NewInt(1)) }),
		rsaMod("RS256 signature n-1", func(k *rsa.PrivateKey, _ []byte, _ string) []byte {
			return intSig(k, new(big.Int).Sub(k.N, big.NewInt(1)))
		}),
		rsaMod("RS256 signature n", func(k *rsa.PrivateKey, _ []byte, _ string) []byte { return intSig(k, k.N) }),
		rsaMod("RS256 PKCS#1 block with the DigestInfo NULL parameters omitted", func(k *rsa.PrivateKey, _ []byte, si string) []byte {
			t := append(append([]byte{}, digestInfoSHA256NoNULL...), digest(crypto.SHA256, []byte(si))...)
			return rsaPrivate(k, pkcs1Block(k.Size(), t))
		}),
		// Bleichenbacher 2006: short padding, the DigestInfo, then garbage a
		// parser that stops after the hash would never look at.
		rsaMod("RS256 PKCS#1 block with garbage after the DigestInfo", func(k *rsa.PrivateKey, _ []byte, si string) []byte {
			t := append(append([]byte{}, digestInfoSHA256...), digest(crypto.SHA256, []byte(si))...)
			em := make([]byte, k.Size())
			em[1] = 0x01
			for i := 2; i < 10; i++ {
				em[i] = 0xff
			}
			copy(em[11:], t)
			copy(em[11+len(t):], randomBytes(k.Size()-11-len(t)))
			return rsaPrivate(k, em)
		}),
	)

	// SIG-11: RFC 7518 §3.5 fixes the PSS salt to the hash's length.
	// golang-jwt verifies with rsa.PSSSaltLengthAuto and would accept these
	// (each is checked to be so); jwtgate refuses them.
	pss := func(alg, what string, sign func(k *rsa.PrivateKey, h crypto.Hash, si string) []byte) testCase {
		return testCase{name: "SIG-11/" + alg + " with " + what, config: asymRoute(alg), want: invalidToken(descSignature),
			token: func(*env) string {
				k, h := asymKeys().pss, hashOf(alg)
				si := b64u(asymHeader(alg, asymKid[alg])) + "." + b64u(fx.claims())
				return si + "." + b64(checkOtherSalt(k, h, si, sign(k, h, si)))
			}}
	}
	cases = append(cases,
		pss("PS256", "salt length 0", pssNoSalt),
		// For a 2048-bit key and SHA-256: 256 − 32 − 2 = 222 octets of salt.
		pss("PS256", "the maximum salt length (rsa.PSSSaltLengthAuto)", func(k *rsa.PrivateKey, h crypto.Hash, si string) []byte {
			return must(rsa.SignPSS(rand.Reader, k, h, digest(h, []byte(si)), &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthAuto}))
		}),
		pss("PS512", "a 32-octet salt (SHA-256's length)", func(k *rsa.PrivateKey, h crypto.Hash, si string) []byte {
			return must(rsa.SignPSS(rand.Reader, k, h, digest(h, []byte(si)), &rsa.PSSOptions{SaltLength: 32}))
		}),
	)

	// SIG-12: S+L, the same point equation, a non-canonical S (RFC 8032
	// §5.1.7: S must be below L).
	cases = append(cases, testCase{
		name: "SIG-12/EdDSA non-canonical S (S+L)", config: asymRoute("EdDSA"), want: invalidToken(descSignature),
		token: func(*env) string {
			tok := fx.asymT0("EdDSA")
			sig := sigOf(tok)
			l, _ := new(big.Int).SetString("7237005577332262213973186563042994240857116359379907606001950938285454250989", 10)
			s := new(big.Int).SetBytes(reversed(sig[32:]))
			s.Add(s, l)
			sig = append(sig[:32:32], reversed(s.FillBytes(make([]byte, 32)))...)
			return withSig(tok, sig)
		},
	})
	return cases
}

// reversed returns b in the opposite byte order (little- ↔ big-endian).
func reversed(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		out[len(b)-1-i] = c
	}
	return out
}

func asymHdrCases(fx *fixture) []testCase {
	var cases []testCase
	// HDR-01: the attacker puts their own public key in the header and signs
	// with it. The jwk header is refused whatever it holds.
	rsaJWK := func(ax *asymFixture) string {
		return `"jwk":{"kty":"RSA","n":"` + b64(ax.rsa2.N.Bytes()) + `","e":"AQAB"}`
	}
	ecJWK := func(ax *asymFixture) string {
		p := ecPoint(&ax.ec2["ES256"].PublicKey)
		return `"jwk":{"kty":"EC","crv":"P-256","x":"` + b64(p[1:33]) + `","y":"` + b64(p[33:]) + `"}`
	}
	embedded := func(alg, what string, jwk func(*asymFixture) string, withKid bool) testCase {
		name := "HDR-01/jwk header with the attacker's " + what + " key"
		if withKid {
			name += " and the server key's kid"
		}
		return testCase{name: name, config: asymRoute(alg), want: invalidToken(descHeader), token: func(*env) string {
			ax := asymKeys()
			h := `{"alg":"` + alg + `","typ":"JWT",`
			if withKid {
				h += `"kid":"` + asymKid[alg] + `",`
			}
			return signed(alg, ax.signer(alg, false), h+jwk(ax)+`}`, fx.claims())
		}}
	}
	cases = append(cases,
		embedded("RS256", "RSA", rsaJWK, false),
		embedded("RS256", "RSA", rsaJWK, true),
		embedded("ES256", "EC", ecJWK, false),
		embedded("ES256", "EC", ecJWK, true),
	)

	// HDR-04: x5c with the attacker's self-signed certificate, its x5t and
	// x5t#S256, signed with the attacker's key.
	x5c := func(alg, what string, cert func(*asymFixture) []byte) testCase {
		return testCase{name: "HDR-04/x5c with an attacker " + what + " certificate", config: asymRoute(alg),
			want: invalidToken(descHeader), token: func(*env) string {
				ax := asymKeys()
				der := cert(ax)
				h := `{"alg":"` + alg + `","typ":"JWT","kid":"` + asymKid[alg] + `","x5c":["` +
					base64.StdEncoding.EncodeToString(der) + `"],"x5t":"` + b64(digest(crypto.SHA1, der)) +
					`","x5t#S256":"` + b64(digest(crypto.SHA256, der)) + `"}`
				return signed(alg, ax.signer(alg, false), h, fx.claims())
			}}
	}
	cases = append(cases,
		x5c("RS256", "RSA", func(ax *asymFixture) []byte { return ax.certRSA }),
		x5c("ES256", "EC", func(ax *asymFixture) []byte { return ax.certEC }),
	)

	// HDR-07: a kid that names a key of another algorithm, in a set holding
	// K_rsa (RS256) and K_ec (ES256).
	mixed := asymSet(func(ax *asymFixture) []*jwtgate.Key { return []*jwtgate.Key{ax.key("RS256"), ax.key("ES256")} })
	cases = append(cases,
		testCase{name: "HDR-07/RS256 token whose kid names the EC key", config: mixed, want: invalidToken(descAlgorithm),
			token: func(*env) string { return signed("RS256", asymKeys().rsa, asymHeader("RS256", "ec-1"), fx.claims()) }},
		testCase{name: "HDR-07/ES256 token whose kid names the RSA key", config: mixed, want: invalidToken(descAlgorithm),
			token: func(*env) string {
				return signed("ES256", asymKeys().ec["ES256"], asymHeader("ES256", "rsa-1"), fx.claims())
			}},
		testCase{name: `HDR-07/RS256 token with kid "nope" in an RSA and EC set`, config: mixed, want: invalidToken(descUnknownKey),
			token: func(*env) string { return signed("RS256", asymKeys().rsa, asymHeader("RS256", "nope"), fx.claims()) }},
		// One key per algorithm: without kid, the alg selects it.
		testCase{name: "HDR-07/RS256 token without kid in an RSA and EC set", config: mixed, want: accept(),
			token: func(*env) string {
				return signed("RS256", asymKeys().rsa, `{"alg":"RS256","typ":"JWT"}`, fx.claims())
			}},
	)

	// HDR-08: two trusted issuers, each with its own key source
	// (jwtgate.KeysByIssuer). A token's key is looked up among its own
	// issuer's keys only.
	twoIssuers := func(bAlg string) func(*jwtgate.Config) {
		return func(c *jwtgate.Config) {
			ax := asymKeys()
			bKey := pubKey("ES256", "ec-b", ax.ec2["ES256"])
			if bAlg == "RS256" {
				bKey = pubKey("RS256", "rsa-b", ax.rsa2)
			}
			c.Keys = jwtgate.KeysByIssuer{
				issuerA: pubKey("ES256", "ec-a", ax.ec["ES256"]),
				issuerB: bKey,
			}
			c.Issuer = []string{issuerA, issuerB}
		}
	}
	byIssuer := func(iss, alg, kid string, key func(*asymFixture) crypto.Signer) func(*env) string {
		return func(*env) string {
			return signed(alg, key(asymKeys()), asymHeader(alg, kid), fx.claims(set("iss", str(iss))))
		}
	}
	keyA := func(ax *asymFixture) crypto.Signer { return ax.ec["ES256"] }
	keyB := func(ax *asymFixture) crypto.Signer { return ax.ec2["ES256"] }
	rsaB := func(ax *asymFixture) crypto.Signer { return ax.rsa2 }
	cases = append(cases,
		testCase{name: "HDR-08/iss A with issuer A's key", config: twoIssuers("ES256"),
			token: byIssuer(issuerA, "ES256", "ec-a", keyA), want: accept()},
		testCase{name: "HDR-08/iss B with issuer B's key", config: twoIssuers("ES256"),
			token: byIssuer(issuerB, "ES256", "ec-b", keyB), want: accept()},
		testCase{name: "HDR-08/iss A signed by issuer B's key with B's kid", config: twoIssuers("ES256"),
			token: byIssuer(issuerA, "ES256", "ec-b", keyB), want: invalidToken(descUnknownKey)},
		testCase{name: "HDR-08/iss A signed by issuer B's key with A's kid", config: twoIssuers("ES256"),
			token: byIssuer(issuerA, "ES256", "ec-a", keyB), want: invalidToken(descSignature)},
		testCase{name: "HDR-08/iss A signed by issuer B's RSA key with B's kid", config: twoIssuers("RS256"),
			token: byIssuer(issuerA, "RS256", "rsa-b", rsaB), want: invalidToken(descUnknownKey)},
		testCase{name: "HDR-08/iss B with issuer B's RSA key", config: twoIssuers("RS256"),
			token: byIssuer(issuerB, "RS256", "rsa-b", rsaB), want: accept()},
		// An issuer that is not configured has no keys at all.
		testCase{name: "HDR-08/unknown iss signed by issuer A's key", config: twoIssuers("ES256"),
			token: byIssuer("https://evil.example", "ES256", "ec-a", keyA), want: invalidToken(descUnknownKey)},
	)
	return cases
}

// The RFC vectors with asymmetric keys (docs/security-cases.md, "RFC 7515
// Appendix A (A.1–A.5)" and "Derived negatives N1–N12"): the
// public keys of RFC 7515 A.2 and A.3, their tokens, and the derived
// negatives N3–N7. Their payload is the A.1 claims set (iss "joe", exp
// 1300819380).
const (
	rfcA2N = "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ"
	rfcA3X = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU"
	rfcA3Y = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"
	rfcA2  = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw"
	rfcA3  = "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q"
	katN3  = "eyJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.c8Tg3ipPrf5_HrYg61gCx0plq6GU74R-LeYmADiLgfs"
	katN4  = "eyJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.sVc3-Jyh4bAHz7h41LH1Xqy68byj6cQi-1KoUWy5iFg"
	katN5  = "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	katN6  = "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmU69fgrc8OPGycO0lD3tat_FoFp57SETepkeks4eL_QfA"
	katN7  = "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.MEUCIA7RIVN5Y2xIPC9_FVgH1AKjsigDOvl8fheBmsMWnqZlAiEAxQoH04w8cOXY8S2vCEpUgKZlkMXyk1Cajz9_ioOjVNU"
)

// rfcA2Key and rfcA3Key are the public keys of RFC 7515 A.2 (RS256) and A.3
// (ES256), without kid (the RFC tokens have none).
func rfcA2Key() *jwtgate.Key {
	n := new(big.Int).SetBytes(must(base64.RawURLEncoding.DecodeString(rfcA2N)))
	return &jwtgate.Key{Algorithm: "RS256", VerifyKey: &rsa.PublicKey{N: n, E: 65537}}
}

func rfcA3Key() *jwtgate.Key {
	pt := append([]byte{4}, must(base64.RawURLEncoding.DecodeString(rfcA3X))...)
	pt = append(pt, must(base64.RawURLEncoding.DecodeString(rfcA3Y))...)
	ecdhPub := must(ecdh.P256().NewPublicKey(pt))
	pub := must(x509.ParsePKIXPublicKey(must(x509.MarshalPKIXPublicKey(ecdhPub)))).(*ecdsa.PublicKey)
	return &jwtgate.Key{Algorithm: "ES256", VerifyKey: pub}
}

// katKey is katConfig with key instead of the A.1 secret.
func katKey(unix int64, key func() *jwtgate.Key) func(*jwtgate.Config) {
	return func(c *jwtgate.Config) {
		katConfig(unix)(c)
		c.Keys = key()
	}
}

func asymKATCases() []testCase {
	a2 := katKey(rfcA1Exp-1, rfcA2Key)
	a3 := katKey(rfcA1Exp-1, rfcA3Key)
	return []testCase{
		{name: "KAT/RFC 7515 A.2 RS256 one second before exp", config: a2, token: token(rfcA2), want: accept()},
		{name: "KAT/RFC 7515 A.2 RS256 at exp", config: katKey(rfcA1Exp, rfcA2Key), token: token(rfcA2), want: invalidToken(descExpired)},
		{name: "KAT/RFC 7515 A.3 ES256 one second before exp", config: a3, token: token(rfcA3), want: accept()},
		{name: "KAT/RFC 7515 A.3 ES256 at exp", config: katKey(rfcA1Exp, rfcA3Key), token: token(rfcA3), want: invalidToken(descExpired)},
		{name: "KAT/N3 HS256 keyed with the A.2 SPKI PEM (trailing LF)", config: a2, token: token(katN3), want: invalidToken(descAlgorithm)},
		{name: "KAT/N4 HS256 keyed with the A.2 SPKI PEM (no trailing LF)", config: a2, token: token(katN4), want: invalidToken(descAlgorithm)},
		{name: "KAT/N5 ES256 psychic signature", config: a3, token: token(katN5), want: invalidToken(descSignature)},
		{name: "KAT/N6 ES256 high-S twin of A.3", config: a3, token: token(katN6), want: accept()},
		{name: "KAT/N7 ES256 DER-encoded signature", config: a3, token: token(katN7), want: invalidToken(descSignature)},
	}
}

// ecPoint is the public key as an uncompressed point, 04‖X‖Y (SEC 1).
func ecPoint(pub *ecdsa.PublicKey) []byte { return must(pub.ECDH()).Bytes() }
