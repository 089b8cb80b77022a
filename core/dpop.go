package jwtgate

import (
	"context"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"log/slog"
	"math/big"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/jwtgate/jwtgate/core/dpop"
	"github.com/jwtgate/jwtgate/core/internal/keycheck"
	"github.com/jwtgate/jwtgate/core/internal/parse"
	"github.com/jwtgate/jwtgate/core/signing"
	"github.com/jwtgate/jwtgate/extractors"
)

// Policy is what one route asks of a request beyond its Authenticator's
// Config, so that one Authenticator serves routes that differ: every
// adapter's Config carries one.
type Policy struct {
	// CredentialsOptional lets a request without any token through on this
	// route, as Config.CredentialsOptional does on all of them.
	CredentialsOptional bool
	// DPoP is this route's mode; dpop.Inherit (the zero value) takes the
	// Authenticator's. A mode other than dpop.Off needs Config.DPoP.
	DPoP dpop.Mode
}

// CheckPolicy reports whether a's configuration can serve p: a route that
// asks for DPoP needs Config.DPoP. Adapters call it when a route is built.
func (a *Authenticator) CheckPolicy(p Policy) error {
	if (p.DPoP == dpop.Allowed || p.DPoP == dpop.Required) && a.dpop == nil {
		return errors.New("jwtgate: a route asks for DPoP, and Config.DPoP is not set")
	}
	if p.DPoP > dpop.Unsupported {
		return errors.New("jwtgate: Policy.DPoP is not a dpop.Mode")
	}
	if p.DPoP == dpop.Unsupported && a.dpop != nil && a.dpop.Mode == dpop.Required {
		// The route could take no token the Authenticator was set to take:
		// turning its requirement into Bearer tokens is the application's
		// call, with an Authenticator of its own, not a route's.
		return errors.New("jwtgate: a route that cannot carry DPoP (dpop.Unsupported) on an Authenticator that requires DPoP")
	}
	return nil
}

// DPoPNonce returns the nonce a DPoP proof must carry now, or "" when
// Config.DPoP has no Nonces: for an answer's DPoP-Nonce header (RFC 9449
// §8.2), which AcceptedHeaders and the Endpoints set already.
func (a *Authenticator) DPoPNonce() string {
	if a.dpop == nil || a.dpop.Nonces == nil {
		return ""
	}
	return a.dpop.Nonces.Nonce()
}

func (a *Authenticator) mode(p Policy) dpop.Mode {
	switch {
	case p.DPoP != dpop.Inherit:
		return p.DPoP
	case a.dpop == nil:
		return dpop.Off
	}
	return a.dpop.Mode
}

// withDefaults fills in d's defaults and checks it.
//
// Kept whole: one default and one check per field, in the order DPoP
// documents them.
func dpopDefaults(d *dpop.Config) (*dpop.Config, error) {
	c := *d
	var errs []error
	add := func(msg string) { errs = append(errs, errors.New("jwtgate: DPoP: "+msg)) }
	if c.Mode == dpop.Inherit {
		c.Mode = dpop.Allowed
	}
	if c.Mode > dpop.Required {
		add("Mode is not a dpop.Mode")
	}
	if c.Algorithms == nil {
		c.Algorithms = []string{"ES256", "ES384", "ES512", "PS256", "PS384", "PS512", "RS256", "RS384", "RS512", "EdDSA", "Ed25519"}
	}
	c.Algorithms = slices.Clone(c.Algorithms)
	for _, alg := range c.Algorithms {
		if !slices.Contains(signing.Supported(), alg) || strings.HasPrefix(alg, "HS") {
			add("algorithm " + quote(alg) + " is not an asymmetric algorithm jwtgate supports")
		}
	}
	if c.Window == 0 {
		c.Window = 60 * time.Second
	}
	if c.Window < 0 || c.Window > MaxLeeway {
		add("Window must be between 0 and " + MaxLeeway.String())
	}
	if c.Mode != dpop.Off && (c.Replay == nil || isNil(c.Replay)) {
		add("Replay is required: dpop.NewMemoryReplayStore for one instance, a shared store for several")
	}
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
			add("PublicURL " + quote(c.PublicURL) + " is not an origin, scheme://host[:port]")
		} else {
			c.PublicURL = normalizeOrigin(u)
		}
	}
	return &c, errors.Join(errs...)
}

// dpopRequest is what a DPoP request brings: the access token of its
// Authorization header, and its one proof.
func dpopRequest(r extractors.Request) (token, proof string, isDPoP bool, err error) {
	v, n := r.Header("Authorization")
	if n != 1 || len(v) < 5 || !asciiEqualFold(v[:5], "dpop ") {
		return "", "", false, nil
	}
	token = strings.TrimLeft(v[5:], " ")
	if !b64Token(token) {
		return "", "", true, errDPoPCredential
	}
	proof, n = r.Header("DPoP")
	if n != 1 {
		return token, "", true, errProofCount
	}
	return token, proof, true, nil
}

var (
	errDPoPCredential = errors.Join(extractors.ErrMalformed, errors.New("jwtgate: the DPoP credential is not one b64token"))
	errProofCount     = errors.New("jwtgate: dpop: not exactly one DPoP header")
)

// b64Token is RFC 6750's b64token, as extractors checks it.
func b64Token(s string) bool {
	if s == "" {
		return false
	}
	i := 0
	for i < len(s) && (s[i] >= 'a' && s[i] <= 'z' || s[i] >= 'A' && s[i] <= 'Z' || s[i] >= '0' && s[i] <= '9' || strings.IndexByte("-._~+/", s[i]) >= 0) {
		i++
	}
	if i == 0 {
		return false
	}
	for i < len(s) && s[i] == '=' {
		i++
	}
	return i == len(s)
}

// maxProofSize bounds a proof, checked before any decoding: a proof is a
// small JWT, its key an RSA modulus at most.
const maxProofSize = 8 << 10

// maxProofRSABits bounds a proof's RSA key. The proof is checked before
// anything else of the request is authenticated, and an RSA signature
// check's cost grows with the square of the modulus: a proof with a
// 16384-bit key cost 53 ES256 proofs (BENCHMARKS.md). 4096 bits is the
// largest size clients generate (and four times the cost of 2048).
const maxProofRSABits = 4096

var errProofRSASize = errors.New("jwtgate: dpop: the proof's RSA key is larger than 4096 bits")

// proofError is an *Error of kind dpop.ErrInvalidProof.
func proofError(cause error) *Error {
	e := newError(dpop.ErrInvalidProof, cause, "The DPoP proof is invalid")
	e.dpop = true
	return e
}

// CheckDPoPProof checks the DPoP proof of request r (its one DPoP header)
// as RFC 9449 §4.3 asks, records it in the replay store, and returns the
// RFC 7638 thumbprint of its key: ReadDPoPProof and DPoPProof.Use in one. A
// token endpoint should rather call the two apart, and Use the proof only
// once the request's credentials are known good, so that wrong passwords
// with fresh proofs do not fill the replay store. Errors are *Error of kind
// dpop.ErrInvalidProof, dpop.ErrUseNonce, ErrMisconfigured (a request view
// that gives no path) or ErrUnavailable (the replay store could not
// answer). It needs Config.DPoP.
func (a *Authenticator) CheckDPoPProof(ctx context.Context, r extractors.Request, accessToken, boundTo string) (thumbprint string, err error) {
	p, err := a.ReadDPoPProof(r, accessToken, boundTo)
	if err != nil {
		return "", err
	}
	if err := p.Use(ctx); err != nil {
		return "", err
	}
	return p.Thumbprint(), nil
}

// ReadDPoPProof checks the DPoP proof of request r (its one DPoP header)
// by every rule of RFC 9449 §4.3 but one: that it is used once, which
// DPoPProof.Use checks and records. A token endpoint (the issuing
// package's login and refresh) calls it with accessToken "" and boundTo ""
// (or the thumbprint a refresh token is bound to), checks the credentials
// or the refresh token, and only then calls Use. Errors are *Error of kind
// dpop.ErrInvalidProof, dpop.ErrUseNonce or ErrMisconfigured. It needs
// Config.DPoP.
func (a *Authenticator) ReadDPoPProof(r extractors.Request, accessToken, boundTo string) (*DPoPProof, error) {
	if a.dpop == nil {
		return nil, proofError(errors.New("jwtgate: dpop: Config.DPoP is not set"))
	}
	proof, n := r.Header("DPoP")
	if n != 1 {
		return nil, proofError(errProofCount)
	}
	p, e := a.readProof(r, proof, accessToken, boundTo)
	if e != nil {
		return nil, e
	}
	return p, nil
}

// DPoPProof is a proof ReadDPoPProof found good, not yet recorded as used.
type DPoPProof struct {
	a   *Authenticator
	jkt string
	jti string
	iat time.Time
}

// Thumbprint is the RFC 7638 thumbprint of the proof's key: what cnf.jkt
// holds in a token bound to it.
func (p *DPoPProof) Thumbprint() string { return p.jkt }

// Use records the proof in the replay store, so that it is accepted once:
// an *Error of kind dpop.ErrInvalidProof when it was used before, or
// ErrUnavailable when the store could not answer.
func (p *DPoPProof) Use(ctx context.Context) error {
	if e := p.a.useProof(ctx, p); e != nil {
		return e
	}
	return nil
}

// errNoPath: the request view cannot give the path DPoP compares htu with.
var errNoPath = errors.New("jwtgate: dpop: the request view gives no path (its Path method returns \"\"); DPoP cannot compare htu")

// readProof is RFC 9449 §4.3's list without the replay store, cheapest
// first: every check that needs no signature runs before the one that
// does, so that a hostile proof costs a parse unless it is well made for
// this very request, and the key it would cost a signature check with is
// bounded (RSA at most maxProofRSABits).
//
// Kept whole: the checks' order is the defence (nothing that costs a
// signature before everything that does not), and it shows only here.
func (a *Authenticator) readProof(r extractors.Request, proof, accessToken, boundTo string) (*DPoPProof, *Error) {
	d := a.dpop
	if len(proof) > maxProofSize {
		return nil, proofError(errTokenTooLarge)
	}
	dot1, dot2, ok := compactShape(proof)
	if !ok {
		return nil, proofError(errTokenShape)
	}
	alg, jwk, e := readProofHeader(proof[:dot1], d.Algorithms)
	if e != nil {
		return nil, e
	}
	payload, ok := decode(proof[dot1+1 : dot2])
	if !ok {
		return nil, proofError(errClaimsInvalid)
	}
	var c proofClaims
	if !c.read(payload) {
		return nil, proofError(errClaimsInvalid)
	}
	now := a.now()
	if c.htm != r.Method() {
		return nil, proofError(errors.New("jwtgate: dpop: htm is not the request's method"))
	}
	same, err := a.sameURL(c.htu, r)
	if err != nil {
		a.wiring.Do(func() {
			a.logger.LogAttrs(context.Background(), slog.LevelError, err.Error())
		})
		e := newError(ErrMisconfigured, err, "The server is misconfigured")
		e.dpop = true
		return nil, e
	}
	switch {
	case !same:
		return nil, proofError(errors.New("jwtgate: dpop: htu is not the request's URL"))
	case c.iat.IsZero() || c.iat.Before(now.Add(-d.Window)) || c.iat.After(now.Add(d.Window)):
		return nil, proofError(errors.New("jwtgate: dpop: iat is outside the window"))
	case accessToken != "" && !athMatches(c.ath, accessToken):
		return nil, proofError(errors.New("jwtgate: dpop: ath is not the access token's hash"))
	}
	key, jkt, err := a.proofKeys.get(jwk, alg)
	if err != nil {
		return nil, proofError(err)
	}
	if boundTo != "" && jkt != boundTo {
		return nil, proofError(errors.New("jwtgate: dpop: the proof's key is not the one the token is bound to"))
	}
	if d.Nonces != nil && (c.nonce == "" || !d.Nonces.Valid(c.nonce)) {
		e := newError(dpop.ErrUseNonce, errors.New("jwtgate: dpop: no current nonce"), "The resource server requires a nonce in the DPoP proof")
		e.dpop, e.nonce = true, d.Nonces.Nonce()
		return nil, e
	}
	if err := verifySignature(alg, proof, dot2, key); err != nil {
		return nil, proofError(err)
	}
	return &DPoPProof{a: a, jkt: jkt, jti: c.jti, iat: c.iat}, nil
}

// readProofHeader reads a proof's protected header: its alg, one of algs,
// and its jwk member (still JSON).
func readProofHeader(seg string, algs []string) (alg, jwk string, e *Error) {
	hdr, ok := decode(seg)
	if !ok {
		return "", "", proofError(errTokenShape)
	}
	var typ string
	var m parse.Members[string]
	for {
		name, value, ok := m.Next(hdr)
		if !ok {
			break
		}
		switch name {
		case "alg":
			alg, ok = parse.String(value)
		case "typ":
			typ, ok = parse.String(value)
		case "jwk":
			jwk, ok = value, value[0] == '{'
		case "crit", "jku", "x5u", "x5c", "kid", "b64":
			ok = false // nothing else may name the key or change what is signed
		}
		if !ok {
			return "", "", proofError(errHeaderInvalid)
		}
	}
	switch {
	case m.Failed():
		return "", "", proofError(errHeaderInvalid)
	case !asciiEqualFold(typ, "dpop+jwt") && !asciiEqualFold(typ, "application/dpop+jwt"):
		return "", "", proofError(errTypeNotAllowed)
	case !slices.Contains(algs, alg):
		return "", "", proofError(errAlgorithmMismatch)
	case jwk == "":
		return "", "", proofError(ErrUnknownKey)
	}
	return alg, jwk, nil
}

// useProof records p in the replay store: the last check, and the only one
// with a store's cost.
func (a *Authenticator) useProof(ctx context.Context, p *DPoPProof) *Error {
	d := a.dpop
	var start time.Time
	if a.observer != nil {
		start = time.Now()
	}
	fresh, err := d.Replay.Remember(ctx, p.jkt+"."+p.jti, p.iat, p.iat.Add(d.Window))
	if a.observer != nil {
		a.observer.StoreCall(ctx, &StoreCall{Op: "remember_proof", Start: start, Duration: time.Since(start), Err: err})
	}
	switch {
	case err != nil:
		e := newError(ErrUnavailable, err, "The token could not be checked; try again later")
		e.dpop = true
		return e
	case !fresh:
		return proofError(errors.New("jwtgate: dpop: the proof was used before"))
	}
	return nil
}

// checkProof is the resource server's whole check of a proof: readProof,
// then the replay store.
func (a *Authenticator) checkProof(ctx context.Context, r extractors.Request, proof, accessToken, boundTo string) (string, *Error) {
	p, e := a.readProof(r, proof, accessToken, boundTo)
	if e != nil {
		return "", e
	}
	if e := a.useProof(ctx, p); e != nil {
		return "", e
	}
	return p.jkt, nil
}

// decode decodes a base64url segment of valid UTF-8 into a string.
func decode(seg string) (string, bool) {
	b := make([]byte, parse.DecodedLen(len(seg)))
	n, ok := parse.Segment(b, seg)
	if !ok || !utf8.Valid(b[:n]) {
		return "", false
	}
	return string(b[:n]), true
}

// athMatches reports whether ath is the access token's hash (RFC 9449
// §4.2), comparing the decoded hash rather than encoding the token's.
func athMatches(ath, token string) bool {
	var got [sha256.Size + 3]byte // room for a longer ath, refused below
	if base64.RawURLEncoding.Strict().EncodedLen(sha256.Size) != len(ath) {
		return false
	}
	n, err := base64.RawURLEncoding.Strict().Decode(got[:], []byte(ath))
	return err == nil && n == sha256.Size && [sha256.Size]byte(got[:sha256.Size]) == sha256.Sum256([]byte(token))
}

// proofClaims are the claims RFC 9449 §4.2 gives a proof.
type proofClaims struct {
	jti, htm, htu, ath, nonce string
	iat                       time.Time
}

func (c *proofClaims) read(payload string) bool {
	var m parse.Members[string]
	for {
		name, value, ok := m.Next(payload)
		if !ok {
			break
		}
		switch name {
		case "jti":
			c.jti, ok = parse.String(value)
		case "htm":
			c.htm, ok = parse.String(value)
		case "htu":
			c.htu, ok = parse.String(value)
		case "ath":
			c.ath, ok = parse.String(value)
		case "nonce":
			c.nonce, ok = parse.String(value)
		case "iat":
			c.iat, ok = numericDate(value)
		}
		if !ok {
			return false
		}
	}
	return !m.Failed() && c.jti != "" && len(c.jti) <= 256 && c.htm != "" && c.htu != ""
}

// publicJWK reads the proof's jwk: a public key of a type alg fits, and its
// RFC 7638 thumbprint.
func publicJWK(jwk, alg string) (key any, thumbprint string, err error) {
	f, err := jwkMembers(jwk)
	if err != nil {
		return nil, "", err
	}
	var canonical string
	switch f.kty {
	case "EC":
		key, err = ecJWK(f, alg)
		canonical = `{"crv":"` + f.crv + `","kty":"EC","x":"` + f.x + `","y":"` + f.y + `"}`
	case "RSA":
		key, err = rsaJWK(f, alg)
		canonical = `{"e":"` + f.e + `","kty":"RSA","n":"` + f.n + `"}`
	case "OKP":
		key, err = okpJWK(f, alg)
		canonical = `{"crv":"Ed25519","kty":"OKP","x":"` + f.x + `"}`
	default:
		return nil, "", ErrUnknownKey
	}
	if err != nil {
		return nil, "", err
	}
	return key, dpop.Thumbprint(canonical), nil
}

// jwkFields are the public members of a proof's jwk, as sent.
type jwkFields struct{ kty, crv, x, y, n, e string }

// jwkMembers reads a proof's jwk: string members only, and no private one.
func jwkMembers(jwk string) (jwkFields, error) {
	var f jwkFields
	fields := map[string]*string{"kty": &f.kty, "crv": &f.crv, "x": &f.x, "y": &f.y, "n": &f.n, "e": &f.e}
	var m parse.Members[string]
	for {
		name, value, ok := m.Next(jwk)
		if !ok {
			break
		}
		switch name {
		case "d", "p", "q", "dp", "dq", "qi", "oth", "k":
			return f, errors.New("jwtgate: dpop: the jwk holds private members")
		}
		if dst := fields[name]; dst != nil {
			if *dst, ok = parse.String(value); !ok {
				return f, ErrUnknownKey
			}
		}
	}
	if m.Failed() {
		return f, ErrUnknownKey
	}
	return f, nil
}

// b64u decodes a jwk member; nil when it is empty or not strict base64url.
func b64u(s string) []byte {
	v, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil || s == "" {
		return nil
	}
	return v
}

// ecJWK is an EC jwk's key, on its curve, of the curve alg names.
func ecJWK(f jwkFields, alg string) (any, error) {
	curve, size := ecdh.Curve(nil), 0
	switch f.crv {
	case "P-256":
		curve, size = ecdh.P256(), 32
	case "P-384":
		curve, size = ecdh.P384(), 48
	case "P-521":
		curve, size = ecdh.P521(), 66
	}
	x, y := b64u(f.x), b64u(f.y)
	if curve == nil || len(x) != size || len(y) != size || alg != map[int]string{32: "ES256", 48: "ES384", 66: "ES512"}[size] {
		return nil, errAlgorithmMismatch
	}
	if _, err := curve.NewPublicKey(append(append([]byte{4}, x...), y...)); err != nil {
		return nil, ErrUnknownKey // not on the curve
	}
	return &ecdsa.PublicKey{Curve: ellipticCurves[size], X: new(big.Int).SetBytes(x), Y: new(big.Int).SetBytes(y)}, nil
}

// ellipticCurves are the curves of ES256, ES384 and ES512 by coordinate
// size, for crypto/ecdsa's public key.
var ellipticCurves = map[int]elliptic.Curve{32: elliptic.P256(), 48: elliptic.P384(), 66: elliptic.P521()}

// proofKeys remembers the keys of the proofs seen, by their jwk as sent
// and the alg it was read for: a client signs every proof with one key, so
// its jwk is read (members, key, curve check, thumbprint) once. At most
// maxProofKeys are kept; then the map is emptied and fills again, so that
// clients that make a key per proof cost a parse each, never memory.
type proofKeys struct {
	mu   sync.RWMutex
	keys map[[2]string]proofKey
}

type proofKey struct {
	key any
	jkt string
}

const maxProofKeys = 4096

// get returns the key and thumbprint of jwk for alg, reading it at the
// first sight. A jwk that is refused is not remembered.
func (p *proofKeys) get(jwk, alg string) (any, string, error) {
	p.mu.RLock()
	k, ok := p.keys[[2]string{jwk, alg}]
	p.mu.RUnlock()
	if ok {
		return k.key, k.jkt, nil
	}
	key, jkt, err := publicJWK(jwk, alg)
	if err != nil {
		return nil, "", err
	}
	p.mu.Lock()
	if p.keys == nil || len(p.keys) >= maxProofKeys {
		p.keys = make(map[[2]string]proofKey)
	}
	p.keys[[2]string{strings.Clone(jwk), alg}] = proofKey{key, jkt}
	p.mu.Unlock()
	return key, jkt, nil
}

// rsaJWK is an RSA jwk's key: n and e in their minimal encoding (one key,
// one thumbprint, RFC 7518 §6.3.1.1), 2048 to maxProofRSABits bits (a size
// a signature check can afford before anything is authenticated), a safe
// exponent.
func rsaJWK(f jwkFields, alg string) (any, error) {
	n, e := b64u(f.n), b64u(f.e)
	if len(e) == 0 || len(e) > 4 || !strings.HasPrefix(alg, "RS") && !strings.HasPrefix(alg, "PS") {
		return nil, errAlgorithmMismatch
	}
	if keycheck.Minimal(n) != nil || keycheck.Minimal(e) != nil {
		return nil, errors.Join(ErrUnknownKey, keycheck.ErrNotMinimal)
	}
	if len(n)*8 > maxProofRSABits {
		return nil, errors.Join(ErrUnknownKey, errProofRSASize)
	}
	var eb [8]byte
	copy(eb[8-len(e):], e)
	pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(binary.BigEndian.Uint64(eb[:]))}
	if err := checkKeyType("RS256", pub, false); err != nil { // at least 2048 bits, a safe exponent
		return nil, ErrUnknownKey
	}
	return pub, nil
}

// okpJWK is an Ed25519 jwk's key, neither of small order nor encoded
// another way than the canonical one.
func okpJWK(f jwkFields, alg string) (any, error) {
	x := b64u(f.x)
	if f.crv != "Ed25519" || len(x) != ed25519.PublicKeySize || !isEd25519(alg) {
		return nil, errAlgorithmMismatch
	}
	if err := keycheck.Ed25519(x); err != nil {
		return nil, errors.Join(ErrUnknownKey, err)
	}
	return ed25519.PublicKey(x), nil
}

// sameURL reports whether htu names the request's URL, query and fragment
// aside, after RFC 3986's syntax- and scheme-based normalization (§6.2.2,
// §6.2.3). Paths are compared escaped: normalization decodes only
// unreserved characters, so /a%2Fb is not /a/b, and %2F.. is no dot
// segment. It fails when the request view cannot give its path: a DPoP
// proof cannot be checked against a path that is not known.
//
// Kept whole: htu's parts and the request's are normalized side by side,
// the same rule for each, so that a difference between the two readings
// shows.
func (a *Authenticator) sameURL(htu string, r extractors.Request) (bool, error) {
	path := r.Path()
	if path == "" {
		return false, errNoPath
	}
	if a.canonicalURL(htu, r, path) {
		return true, nil
	}
	u, err := url.Parse(htu)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "HTTP" && u.Scheme != "HTTPS") || u.Host == "" || u.User != nil || u.Opaque != "" {
		return false, nil
	}
	got, ok := normalizePath(u.EscapedPath())
	if !ok {
		return false, nil
	}
	origin := a.dpop.PublicURL
	if origin == "" {
		host, n := r.Header("Host")
		if n != 1 {
			return false, nil
		}
		scheme := r.Scheme()
		if scheme != "https" {
			scheme = "http"
		}
		o, err := url.Parse(scheme + "://" + host)
		if err != nil || o.Host == "" {
			return false, nil
		}
		origin = normalizeOrigin(o)
	}
	want, ok := normalizePath(path)
	return ok && normalizeOrigin(u)+got == origin+want, nil
}

// canonicalURL reports whether htu, query and fragment aside, is already
// the request's URL in the form normalization gives (a lower-case scheme
// and host, no default port, a path without escapes or dot segments) and
// equal to it: what clients send, compared without parsing or allocating.
// false says only that sameURL must normalize.
func (a *Authenticator) canonicalURL(htu string, r extractors.Request, path string) bool {
	if i := strings.IndexAny(htu, "?#"); i >= 0 {
		htu = htu[:i]
	}
	if origin := a.dpop.PublicURL; origin != "" {
		if !strings.HasPrefix(htu, origin) {
			return false
		}
		htu = htu[len(origin):]
	} else {
		host, n := r.Header("Host")
		scheme := "http"
		if r.Scheme() == "https" {
			scheme = "https"
		}
		rest, ok := strings.CutPrefix(htu, scheme+"://")
		if !ok || n != 1 || !strings.HasPrefix(rest, host) || !plainHost(host, scheme) {
			return false
		}
		htu = rest[len(host):]
	}
	return htu == path && plainPath(path)
}

// plainHost reports whether host is in normalized form: lower-case letters,
// digits, dots, dashes, a port and IPv6 brackets only, and no default port
// for scheme.
func plainHost(host, scheme string) bool {
	if host == "" || strings.HasSuffix(host, ":") || scheme == "http" && strings.HasSuffix(host, ":80") || scheme == "https" && strings.HasSuffix(host, ":443") {
		return false
	}
	for i := 0; i < len(host); i++ {
		switch c := host[i]; {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '.', c == '-', c == ':', c == '[', c == ']':
		default:
			return false // anything else is normalized, or no host at all
		}
	}
	return true
}

// plainPath reports whether path is in normalized form: absolute, without
// escapes or dot segments.
func plainPath(path string) bool {
	if path == "" || path[0] != '/' || strings.IndexByte(path, '%') >= 0 {
		return false
	}
	for seg := range strings.SplitSeq(path[1:], "/") {
		if seg == "." || seg == ".." {
			return false
		}
	}
	return true
}

// normalizePath is an escaped path after RFC 3986 §6.2.2: percent-encoded
// unreserved characters decoded, the hex digits of other escapes in upper
// case, dot segments removed; "" is "/". ok is false for a malformed
// escape.
func normalizePath(p string) (string, bool) {
	if strings.IndexByte(p, '%') >= 0 {
		var b strings.Builder
		b.Grow(len(p))
		for i := 0; i < len(p); i++ {
			if p[i] != '%' {
				b.WriteByte(p[i])
				continue
			}
			if i+2 >= len(p) || !isHex(p[i+1]) || !isHex(p[i+2]) {
				return "", false
			}
			c := unhex(p[i+1])<<4 | unhex(p[i+2])
			if unreserved(c) {
				b.WriteByte(c)
			} else {
				b.WriteByte('%')
				b.WriteString(strings.ToUpper(p[i+1 : i+3]))
			}
			i += 2
		}
		p = b.String()
	}
	return removeDotSegments(p), true
}

func isHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// unreserved is RFC 3986 §2.3's set.
func unreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~'
}

// normalizeOrigin is scheme://host[:port] in lower case, without the
// scheme's default port (RFC 3986 §6.2.2.1, §6.2.3).
func normalizeOrigin(u *url.URL) string {
	scheme, host, port := strings.ToLower(u.Scheme), strings.ToLower(u.Hostname()), u.Port()
	if scheme == "http" && port == "80" || scheme == "https" && port == "443" {
		port = ""
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	return scheme + "://" + host
}

// removeDotSegments is RFC 3986 §5.2.4 on a path whose unreserved
// characters are decoded (so "%2E" is "." by now, and "%2F" no separator);
// an empty path is "/" (§6.2.3).
func removeDotSegments(p string) string {
	if p == "" {
		return "/"
	}
	var out []string
	segs := strings.Split(p, "/")
	for i, s := range segs {
		switch s {
		case ".":
			if i == len(segs)-1 {
				out = append(out, "")
			}
		case "..":
			if len(out) > 1 {
				out = out[:len(out)-1]
			}
			if i == len(segs)-1 {
				out = append(out, "")
			}
		default:
			out = append(out, s)
		}
	}
	r := strings.Join(out, "/")
	if !strings.HasPrefix(r, "/") {
		r = "/" + r
	}
	return r
}
