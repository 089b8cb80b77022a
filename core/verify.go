package jwtgate

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtgate/jwtgate/core/internal/parse"
	"github.com/jwtgate/jwtgate/core/signing"
	"github.com/jwtgate/jwtgate/extractors"
)

// How a token is verified, once its size is known to be within bounds and it
// is not in the cache:
//
//  1. shape: three base64url segments, checked byte by byte, before decoding;
//  2. header: decoded on the stack and read with the strict JSON reader
//     (checkHeader): alg on the allow-list, typ, crit, no embedded keys;
//  3. payload: decoded once into a string and read with the same reader
//     (readClaims): one name once, registered claims with their JSON types;
//  4. key: from the KeySource by kid, alg and unverified iss, bound to alg;
//  5. signature: golang-jwt's SigningMethod.Verify (PS* with the salt length
//     RFC 7518 §3.5 fixes);
//  6. claims: exp, nbf, iat, iss, aud, sub, required claims (checkClaims);
//     then the claims value is filled in and its own Validate runs.
//
// golang-jwt's Parser would decode the header into a map and the claims with
// reflection: for HS256 it costs about twice this whole path
// (BenchmarkRaw against BenchmarkAdapter, BENCHMARKS.md). Its signing methods
// are what verifies the signature.

// envelope is what verify reads from the header and the payload.
type envelope struct {
	alg, kid, typ      string
	iss, sub, jti, sid string
	azp, clientID      string
	jkt                string // cnf.jkt
	scope              string
	missing            string    // the first required claim found missing
	aud, scp           string    // raw JSON values ("" when absent), checked
	exp, iat, nbf      time.Time // zero when absent
	missingRequired    bool
}

// Errors with the golang-jwt kinds they stand for, built once: refusing a
// token allocates nothing but its *Error.
var (
	errMalformedClaims  = errors.Join(jwt.ErrTokenMalformed, errClaimsInvalid)
	errMalformed        = errors.Join(jwt.ErrTokenMalformed, errTokenShape)
	errSignature        = errors.Join(jwt.ErrTokenSignatureInvalid, jwt.ErrSignatureInvalid)
	errExpired          = errors.Join(jwt.ErrTokenInvalidClaims, jwt.ErrTokenExpired)
	errNotValidYet      = errors.Join(jwt.ErrTokenInvalidClaims, jwt.ErrTokenNotValidYet)
	errUsedBeforeIssued = errors.Join(jwt.ErrTokenInvalidClaims, jwt.ErrTokenUsedBeforeIssued)
	errIssuer           = errors.Join(jwt.ErrTokenInvalidClaims, jwt.ErrTokenInvalidIssuer)
	errAudience         = errors.Join(jwt.ErrTokenInvalidClaims, jwt.ErrTokenInvalidAudience)
	errSubject          = errors.Join(jwt.ErrTokenInvalidClaims, jwt.ErrTokenInvalidSubject)
	errParty            = errors.Join(jwt.ErrTokenInvalidClaims, errAuthorizedParty)
	errRequired         = errors.Join(jwt.ErrTokenInvalidClaims, jwt.ErrTokenRequiredClaimMissing)
	errAlgUnverifiable  = errors.Join(jwt.ErrTokenUnverifiable, errAlgorithmMismatch)
	errUnknownKey       = errors.Join(jwt.ErrTokenUnverifiable, ErrUnknownKey)
)

// verify verifies raw, from source. borrowed says that raw's bytes are the
// framework's, valid only while the request is served (see borrower): it is
// then copied, in one allocation with the decoded payload, before anything
// keeps it.
func (a *Authenticator) verify(ctx context.Context, at *attempt, raw string, source extractors.Source, borrowed bool) (*Token, *Error) {
	if len(raw) > a.maxSize {
		return nil, newError(ErrInvalidToken, errTokenTooLarge, "The access token is too large")
	}
	var h uint64 // the token's hash in the cache
	if a.cache != nil {
		h = a.cache.hash(raw)
		// Not looked up again when authenticateCached already missed.
		if !at.lookup {
			at.lookup = true
			if t, ok := a.cached(raw, h, source); ok {
				at.cached = true
				return a.accept(ctx, at, t)
			}
		}
	}
	dot1, dot2, ok := compactShape(raw)
	if !ok {
		return nil, newError(ErrInvalidToken, errTokenShape, "The access token is malformed")
	}
	var env envelope
	slot, err := a.readHeader(raw[:dot1], &env)
	if err != nil {
		return nil, env.refuse(newError(ErrInvalidToken, err, describeHeaderError(err)))
	}
	payload, raw, err := decodePayload(raw, dot1, dot2, borrowed)
	if err == nil && !a.readClaims(payload, &env) {
		err = errMalformedClaims
	}
	if err != nil {
		return nil, env.refuse(newError(ErrInvalidToken, err, "The access token is malformed"))
	}

	// The generation the verification is filed under is read before the key
	// is looked up: a rotation that lands while the token is verified then
	// leaves the entry stale, never filed under the keys that replaced the
	// one it was verified with.
	gen := a.generation()
	key, kerr := a.lookupKey(ctx, env.alg, env.kid, env.iss)
	if kerr != nil {
		return nil, env.refuse(newError(ErrInvalidToken, kerr, describeTokenError(kerr)))
	}
	if err := verifySignature(env.alg, raw, dot2, key.VerifyKey); err != nil {
		return nil, env.refuse(newError(ErrInvalidToken, err, describeTokenError(err)))
	}
	if err := a.checkClaims(&env, a.now()); err != nil {
		return nil, env.refuse(newError(ErrInvalidToken, err, describeTokenError(err)))
	}
	if slot != nil {
		replace(slot, raw[:dot1], &env) // a valid token's header: see headerMemos
	}
	t, e := a.newToken(ctx, &env, raw, payload, source, h, gen)
	if e != nil {
		return nil, e
	}
	return a.accept(ctx, at, t)
}

// claimsOf is the token's claims value: the default *Claims (in o when the
// token is the request's own), filled in without reflection, or the type
// Config.NewClaims returns, decoded; then its own Validate, if it has one.
func (a *Authenticator) claimsOf(env *envelope, payload string, scp []string, o *own) (jwt.Claims, *Error) {
	var claims jwt.Claims
	if a.newClaims == nil {
		var c *Claims
		var aud []string
		if o != nil {
			c, aud = &o.claims, o.aud[:]
		} else {
			c = new(Claims) // the cached one's: the request gets a copy
		}
		env.fill(c, payload, scp, aud)
		claims = c
	} else {
		claims = a.newClaims()
		if c, ok := claims.(*Claims); ok {
			env.fill(c, payload, scp, nil)
		} else if err := decodeClaims(&claims, payload); err != nil {
			return nil, env.refuse(newError(ErrInvalidToken, errors.Join(jwt.ErrTokenMalformed, errClaimsInvalid, err), "The access token is malformed"))
		}
	}
	if v, ok := claims.(jwt.ClaimsValidator); ok {
		if err := v.Validate(); err != nil {
			err = errors.Join(jwt.ErrTokenInvalidClaims, errValidationFailed, err)
			return nil, newError(ErrInvalidToken, err, describeTokenError(err))
		}
	}
	return claims, nil
}

// decodePayload decodes the payload segment, raw[dot1+1:dot2], once, into
// the string every claim is a substring of (and Claims.Raw), through a
// buffer on the stack for the common sizes. It returns raw as it is, or,
// when raw is borrowed, a copy made in the same allocation as the payload.
func decodePayload(raw string, dot1, dot2 int, borrowed bool) (payload, owned string, err error) {
	seg := raw[dot1+1 : dot2]
	var buf [1024]byte
	pb := buf[:]
	if n := parse.DecodedLen(len(seg)); n > len(buf) {
		pb = make([]byte, n)
	}
	n, ok := parse.Segment(pb, seg)
	if !ok {
		return "", raw, errMalformed
	}
	pb = pb[:n]
	if !utf8.Valid(pb) {
		return "", raw, errMalformedClaims
	}
	if borrowed {
		var b strings.Builder // one allocation, which String does not copy
		b.Grow(len(raw) + len(pb))
		b.WriteString(raw)
		b.Write(pb)
		both := b.String()
		return both[len(raw):], both[:len(raw)], nil
	}
	return string(pb), raw, nil
}

// newToken builds the Token of a verified token for the request, and files
// it in the cache when the cache takes it (a token verified for the second
// time): filed as it is, with the request getting a copy. Any other token
// is the request's own, with the default Claims in the same allocation.
func (a *Authenticator) newToken(ctx context.Context, env *envelope, raw, payload string, source extractors.Source, h, gen uint64) (*Token, *Error) {
	var scp []string // one list for the Token and the default Claims
	if env.scp != "" {
		scp = env.scopes()
	}
	var e *cacheEntry
	var o *own
	if a.cache != nil && !env.exp.IsZero() && a.cache.admit(h) {
		e = &cacheEntry{nbf: env.nbf, gen: gen, payload: payload}
	} else {
		o = newOwn()
	}
	claims, ce := a.claimsOf(env, payload, scp, o)
	if ce != nil {
		return nil, ce
	}
	var t *Token
	if e != nil {
		t = &e.Token
	} else {
		t = &o.Token
	}
	node := t.node
	*t = Token{
		Raw:       raw,
		Source:    source,
		Algorithm: env.alg,
		KeyID:     env.kid,
		Type:      env.typ,
		Claims:    claims,
		Issuer:    env.iss,
		Subject:   env.sub,
		ID:        env.jti,
		SessionID: env.sid,
		ClientID:  env.party(),
		JKT:       env.jkt,
		ExpiresAt: env.exp,
		IssuedAt:  env.iat,
		scope:     env.scope,
		scp:       scp,
		node:      node,
	}
	if e == nil {
		return t, nil
	}
	a.remember(ctx, e, h)
	t, ok := a.copyOf(e, source)
	if !ok {
		return nil, newError(ErrInvalidToken, errMalformedClaims, "The access token is malformed")
	}
	return t, nil
}

// decodeClaims fills *claims, a claims type of the caller's that is not
// *Claims, from payload: a jwt.MapClaims is made anew (a map holds every
// name as it is: nothing to match exactly); any other type is filled by
// encoding/json from a copy (json.Unmarshal would make the caller's buffer
// escape), matching names exactly (exactPayload).
func decodeClaims(claims *jwt.Claims, payload string) error {
	if _, ok := (*claims).(jwt.MapClaims); ok {
		var m jwt.MapClaims
		if err := json.Unmarshal([]byte(payload), &m); err != nil {
			return err
		}
		*claims = m
		return nil
	}
	if err := json.Unmarshal([]byte(exactPayload(payload, reflect.TypeOf(*claims))), *claims); err != nil {
		return err
	}
	if rs, ok := (*claims).(rawSetter); ok {
		rs.setRaw(payload)
	}
	return nil
}

// copyOf is the cached token e for one request, from source: a Token and
// Claims of the request's own (see Token), in one allocation for jwtgate's
// *Claims. ok is false only if the payload, decoded once, no longer
// decodes into a fresh claims value, which cannot happen.
func (a *Authenticator) copyOf(e *cacheEntry, source extractors.Source) (*Token, bool) {
	o := newOwn()
	o.Token = e.Token
	o.Token.node, o.Token.Source = o, source
	if c, ok := e.Token.Claims.(*Claims); ok {
		o.copyClaims(c)
		return &o.Token, true
	}
	claims := a.newClaims()
	if err := decodeClaims(&claims, e.payload); err != nil {
		return nil, false
	}
	o.Token.Claims = claims
	return &o.Token, true
}

// verifySignature checks the signature of raw (whose second dot is at dot2)
// with golang-jwt's signing method for alg.
func verifySignature(alg, raw string, dot2 int, key any) error {
	seg := raw[dot2+1:]
	var buf [128]byte // up to HS512 and ES512 without the heap
	sig := buf[:]
	if n := parse.DecodedLen(len(seg)); n > len(buf) {
		sig = make([]byte, n)
	}
	n, ok := parse.Segment(sig, seg)
	if !ok {
		return errMalformed
	}
	sig = sig[:n]
	var err error
	switch alg {
	case "HS256", "HS384", "HS512":
		return verifyMAC(alg, raw[:dot2], sig, key) // state kept per secret (hmac.go)
	case "ES256", "ES384", "ES512":
		return verifyECDSA(alg, raw[:dot2], sig, key) // without golang-jwt's allocations (ecdsa.go)
	default:
		m := signingMethod(alg)
		if m == nil {
			return errAlgUnverifiable
		}
		// An interface call: the compiler cannot see that sig stays here,
		// so it gets a heap copy and buf stays on the stack.
		err = m.Verify(raw[:dot2], bytes.Clone(sig), key)
	}
	if err != nil {
		return errSignature
	}
	return nil
}

// signingMethod returns the method that verifies alg; nil for anything else.
func signingMethod(alg string) jwt.SigningMethod { return signing.Method(alg) }

// lookupKey finds the key for a token: from the configured source, by kid,
// and bound to the token's alg.
func (a *Authenticator) lookupKey(ctx context.Context, alg, kid, iss string) (*Key, error) {
	key, err := a.keys.Key(ctx, KeyQuery{KeyID: kid, Algorithm: alg, Issuer: iss})
	switch {
	case err != nil && errors.Is(err, ErrUnknownKey):
		return nil, errors.Join(jwt.ErrTokenUnverifiable, err)
	case err != nil:
		return nil, errors.Join(jwt.ErrTokenUnverifiable, ErrUnknownKey, err)
	case key == nil:
		return nil, errUnknownKey
	case !signing.Same(key.Algorithm, alg):
		return nil, errAlgUnverifiable
	}
	return key, nil
}

func (a *Authenticator) generation() uint64 {
	if a.keyGen == nil {
		return 0
	}
	return a.keyGen.KeyGeneration()
}

// remember caches a verified token. Every request that sends the same
// string gets a copy of it (copyOf), never the cached Token itself.
func (a *Authenticator) remember(ctx context.Context, e *cacheEntry, h uint64) {
	if a.cache.put(h, e) && a.observer != nil {
		a.observer.CacheEvicted(ctx, &Eviction{})
	}
}

// cached returns the cached verification of raw if it still holds: made with
// the current keys, and exp and nbf good at this moment (with the leeway).
// A stale entry is dropped.
func (a *Authenticator) cached(raw string, h uint64, source extractors.Source) (*Token, bool) {
	e, ok := a.cache.get(raw, h)
	if !ok {
		return nil, false
	}
	now := a.now()
	if e.gen != a.generation() || !now.Before(e.ExpiresAt.Add(a.leeway)) {
		a.cache.drop(raw, h)
		return nil, false
	}
	if !e.nbf.IsZero() && now.Add(a.leeway).Before(e.nbf) {
		return nil, false
	}
	return a.copyOf(e, source)
}

// accept runs what every request's token goes through after verification,
// cached or not: Config.Validate and the revocation check.
func (a *Authenticator) accept(ctx context.Context, at *attempt, t *Token) (*Token, *Error) {
	if a.validate != nil {
		if err := a.validate(ctx, t); err != nil {
			e := newError(ErrInvalidToken, errors.Join(errValidationFailed, err), "The access token claims are not accepted")
			e.facts = factsOf(t)
			return nil, e
		}
	}
	if a.revoker != nil {
		var start time.Time
		if a.observer != nil {
			start = time.Now()
		}
		revoked, err := a.revoker.IsRevoked(ctx, t)
		if a.observer != nil {
			a.observer.StoreCall(ctx, &StoreCall{Op: "is_revoked", Start: start, Duration: time.Since(start), Err: err})
		}
		switch {
		case err != nil && !a.failOpen:
			e := newError(ErrUnavailable, err, "The token could not be checked; try again later")
			e.facts = factsOf(t)
			return nil, e
		case err != nil:
			if a.logger != nil {
				a.logger.LogAttrs(ctx, slog.LevelWarn, "jwtgate: revocation check failed; letting the token through (RevocationFailOpen)", slog.String("error", err.Error()))
			}
		case revoked:
			e := newError(ErrInvalidToken, ErrTokenRevoked, "The access token has been revoked")
			e.facts = factsOf(t)
			return nil, e
		}
	}
	return t, nil
}

// compactShape checks that raw is three base64url segments (RFC 7515 §7.1,
// RFC 8725bis §3.14: only letters, digits, '-', '_' and '.'), before any
// decoding, and returns the positions of the two dots.
func compactShape(raw string) (dot1, dot2 int, ok bool) {
	// The dots by IndexByte (vectorized), then each segment's characters
	// eight table lookups at a time: a per-character switch was a tenth of
	// an uncached verification.
	dot1 = strings.IndexByte(raw, '.')
	if dot1 <= 0 {
		return 0, 0, false
	}
	d := strings.IndexByte(raw[dot1+1:], '.')
	if d < 0 {
		return 0, 0, false
	}
	dot2 = dot1 + 1 + d
	// The header must not be empty (dot1 > 0). An empty payload is a valid
	// JWS, but not a JWT: the claims reader refuses it. An empty signature
	// is refused as an invalid signature. A third dot is in the signature
	// segment, outside the alphabet.
	if !parse.Alphabet(raw[:dot1]) || !parse.Alphabet(raw[dot1+1:dot2]) || !parse.Alphabet(raw[dot2+1:]) {
		return 0, 0, false
	}
	return dot1, dot2, true
}

var strictB64 = base64.RawURLEncoding.Strict()

// checkHeader applies the header rules: alg on the allow-list, one name once
// (under case folding too), typ allow-list, crit, no key-carrying
// parameters, no nested JWT.
//
// Kept whole: one pass over the header's members, a case per member with
// its rule, then the rules on the whole; a member read in two places could
// be read two ways (FMT-13).
func (a *Authenticator) checkHeader(seg string, env *envelope) error {
	var buf [256]byte
	hdr := buf[:]
	if n := parse.DecodedLen(len(seg)); n > len(buf) {
		hdr = make([]byte, n)
	}
	n, ok := parse.Segment(hdr, seg)
	if !ok {
		return errTokenShape
	}
	hdr = hdr[:n]
	if !utf8.Valid(hdr) {
		return errHeaderInvalid
	}
	var crit []byte
	var present uint64 // bit i: CriticalHeaders[i] is in the header
	typSeen := false
	var m parse.Members[[]byte]
	for {
		name, value, ok := m.Next(hdr)
		if !ok {
			break
		}
		switch string(name) {
		case "alg":
			if len(value) < 2 || value[0] != '"' {
				return errHeaderInvalid
			}
			s := value[1 : len(value)-1]
			if bytes.IndexByte(s, '\\') >= 0 {
				u, ok := parse.String(value)
				if !ok {
					return errHeaderInvalid
				}
				s = []byte(u)
			}
			env.alg = ""
			for _, alg := range a.algs { // the allow-list's own string: no copy
				if string(s) == alg {
					env.alg = alg
				}
			}
			// golang-jwt would check this too, but report it as a bad
			// signature.
			if env.alg == "" {
				return errAlgorithmMismatch
			}
		case "kid":
			s, ok := parse.String(value)
			if !ok {
				return errHeaderInvalid
			}
			env.kid = s
		case "typ":
			typSeen = true
			s, ok := commonType(value)
			if !ok {
				if s, ok = parse.String(value); !ok {
					return errHeaderInvalid
				}
			}
			env.typ = s
			if s == "" || !a.typeAllowed(s) {
				return errTypeNotAllowed
			}
		case "cty":
			s, ok := parse.String(value)
			if !ok || normalizeType(s) == "jwt" {
				return errHeaderInvalid // nested JWTs are not supported (RFC 8725 §3.3)
			}
		case "crit":
			crit = value
		case "jku", "x5u", "jwk", "x5c", "b64":
			// Never take a key, or a key's location, from the token itself
			// (RFC 8725 §3.10); b64 changes what is signed (RFC 7797).
			return errHeaderInvalid
		default:
			for i, c := range a.critical {
				if string(name) == c {
					present |= 1 << i
				}
			}
		}
	}
	if m.Duplicate() {
		return errHeaderInvalid
	}
	if m.Failed() {
		return errTokenShape
	}
	if env.alg == "" {
		return errAlgorithmMismatch
	}
	if !typSeen && !slices.Contains(a.types, "") {
		return errTypeNotAllowed
	}
	if crit != nil {
		names, ok := parse.Strings(crit)
		if !ok || len(names) == 0 {
			return errCriticalHeader
		}
		for _, n := range names {
			i := slices.Index(a.critical, n)
			if i < 0 || present&(1<<i) == 0 {
				return errCriticalHeader
			}
		}
	}
	return nil
}

// commonType is the typ of most tokens as a constant, read from its JSON
// value without copying the header's bytes; ok is false for any other value,
// which parse.String then reads.
func commonType(value []byte) (string, bool) {
	switch string(value) {
	case `"JWT"`:
		return "JWT", true
	case `"at+jwt"`:
		return "at+jwt", true
	case `"application/at+jwt"`:
		return "application/at+jwt", true
	case `"jwt"`:
		return "jwt", true
	}
	return "", false
}

// typeAllowed reports whether typ is on the allow-list, ASCII
// case-insensitively (media types are, RFC 9110 §8.3.1) and with any
// "application/" prefix ignored, without allocating.
func (a *Authenticator) typeAllowed(typ string) bool {
	if len(typ) > 12 && asciiEqualFold(typ[:12], "application/") {
		typ = typ[12:]
	}
	for _, t := range a.types {
		if asciiEqualFold(t, typ) {
			return true
		}
	}
	return false
}

// asciiEqualFold is strings.EqualFold for ASCII letters only: "ſ" is not "s".
func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// maxNumericDate is 9999-12-31T23:59:59Z: later dates overflow conversions.
const maxNumericDate = 253402300799

var registeredClaims = [...]string{"iss", "sub", "aud", "exp", "nbf", "iat", "jti", "sid", "azp", "client_id", "cnf", "scope", "scp"}

// readClaims reads the payload: one name once (under case folding too, at
// every depth), registered claims with their exact names and JSON types,
// NumericDates that are numbers in range. It reports false for anything
// else.
//
// Kept whole: one pass over the payload's members, a case per registered
// claim with its type; a claim read in two places could be read two ways
// (FMT-13).
func (a *Authenticator) readClaims(payload string, env *envelope) bool {
	var present uint64 // bit i: RequiredClaims[i] is there and says something
	var m parse.Members[string]
	for {
		name, value, ok := m.Next(payload)
		if !ok {
			break
		}
		// null, "", [], {} and arrays of "" say nothing: they do not satisfy
		// a required claim (an empty jti, for one, would make every such
		// token share one revocation entry).
		if !parse.Empty(value) {
			for i, req := range a.required {
				if name == req {
					present |= 1 << i
				}
			}
		}
		switch name {
		case "iss":
			env.iss, ok = m.String(value)
		case "sub":
			env.sub, ok = m.String(value)
		case "jti":
			env.jti, ok = m.String(value)
		case "sid":
			env.sid, ok = m.String(value)
		case "azp":
			env.azp, ok = m.String(value)
		case "client_id":
			env.clientID, ok = m.String(value)
		case "cnf":
			env.jkt, ok = confirmation(value)
		case "scope":
			if value[0] == '"' {
				env.scope, ok = m.String(value)
			} else {
				// An array of scope tokens, as ForgeRock and PingAM send it:
				// read as the list it is.
				var list []string
				list, ok = parse.Strings(value)
				env.scope = strings.Join(list, " ")
			}
		case "aud", "scp":
			if value[0] == '"' {
				_, ok = m.String(value)
			} else {
				_, ok = parse.CountStrings(value)
			}
			if name == "aud" {
				env.aud = value
			} else {
				env.scp = value
			}
		case "exp":
			env.exp, ok = numericDate(value)
		case "iat":
			env.iat, ok = numericDate(value)
		case "nbf":
			env.nbf, ok = numericDate(value)
		default:
			// A case variant of a registered name is refused even alone: a
			// claims type whose JSON decoder matches names
			// case-insensitively would take "EXP" for exp.
			for _, reg := range registeredClaims {
				if len(name) <= 3*len(reg) && strings.EqualFold(name, reg) { // ſub folds to sub
					return false
				}
			}
		}
		if !ok {
			return false
		}
	}
	if m.Failed() {
		return false
	}
	env.missingRequired = present != 1<<len(a.required)-1
	if env.missingRequired {
		for i, req := range a.required {
			if present&(1<<i) == 0 {
				env.noteMissing(req)
				break
			}
		}
	}
	return true
}

// confirmation reads cnf (RFC 7800 §3.1): an object whose jkt, when it has
// one, is a thumbprint (RFC 9449 §6.1). A cnf of another kind (x5t#S256,
// jwk) binds the token to something jwtgate cannot check, which a verifier
// must not ignore: it is refused.
func confirmation(v string) (jkt string, ok bool) {
	if v[0] != '{' {
		return "", false
	}
	var m parse.Members[string]
	for {
		name, value, ok := m.Next(v)
		if !ok {
			break
		}
		if name != "jkt" {
			return "", false
		}
		if jkt, ok = parse.String(value); !ok || len(jkt) != 43 {
			return "", false
		}
	}
	return jkt, !m.Failed() && jkt != ""
}

// numericDate reads a NumericDate (RFC 7519 §2): a JSON number of seconds,
// possibly fractional, from 0 to maxNumericDate.
//
// Kept whole: the grammar of a JSON number and the range, in one reading.
func numericDate(v string) (time.Time, bool) {
	if len(v) == 0 || !(v[0] == '-' || (v[0] >= '0' && v[0] <= '9')) {
		return time.Time{}, false
	}
	// Most NumericDates are plain integers: read those without ParseFloat.
	if len(v) <= 12 {
		n, digits, i := int64(0), true, 0
		if len(v) >= 8 {
			// Today's dates are ten digits: the first eight in one word.
			var d uint64
			d, digits = eightDigits(v)
			n, i = int64(d), 8
		}
		for ; digits && i < len(v); i++ {
			c := v[i]
			if c < '0' || c > '9' {
				digits = false
				break
			}
			n = n*10 + int64(c-'0')
		}
		if digits && (len(v) == 1 || v[0] != '0') {
			if n > maxNumericDate {
				return time.Time{}, false
			}
			return time.Unix(n, 0).UTC(), true
		}
	}
	if end, ok := parse.Number(v, 0); !ok || end != len(v) {
		return time.Time{}, false
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < 0 || f > maxNumericDate {
		return time.Time{}, false
	}
	sec := int64(f)
	// Rounded to the microsecond: a float64 holds no more at today's dates.
	return time.Unix(sec, int64(math.Round((f-float64(sec))*1e6))*1e3).UTC(), true
}

// eightDigits reads v[:8] as a decimal number; false if any of the eight
// bytes is not an ASCII digit. SWAR, as simdjson reads eight digits: every
// byte's high nibble is 3 and adding 6 keeps it 3 (0x30–0x39), then the
// digits are combined pairwise in three multiplications.
func eightDigits(v string) (uint64, bool) {
	w := uint64(v[0]) | uint64(v[1])<<8 | uint64(v[2])<<16 | uint64(v[3])<<24 |
		uint64(v[4])<<32 | uint64(v[5])<<40 | uint64(v[6])<<48 | uint64(v[7])<<56
	if w&0xF0F0F0F0F0F0F0F0|(w+0x0606060606060606)&0xF0F0F0F0F0F0F0F0>>4 != 0x3333333333333333 {
		return 0, false
	}
	w -= 0x3030303030303030
	w = w*10 + w>>8 // each pair of digits in the low byte of a 16-bit lane
	const mask = 0x000000FF000000FF
	w = ((w&mask)*(100+1000000<<32) + (w>>16&mask)*(1+10000<<32)) >> 32
	return w, true
}

// checkClaims applies the time and identity rules to a verified token. When
// several are broken it reports the one golang-jwt's reporting would put
// first: a broken rule before a missing claim.
//
// Kept whole: the rules in the order their errors are reported, which is
// part of what the differential fuzzer holds against golang-jwt.
func (a *Authenticator) checkClaims(env *envelope, now time.Time) error {
	missing := false
	switch {
	case env.exp.IsZero():
		if !a.expireless {
			missing = true
			env.noteMissing("exp")
		}
	case !now.Before(env.exp.Add(a.leeway)):
		return errExpired
	}
	if !env.nbf.IsZero() && now.Add(a.leeway).Before(env.nbf) {
		return errNotValidYet
	}
	if a.checkIat && !env.iat.IsZero() && now.Add(a.leeway).Before(env.iat) {
		return errUsedBeforeIssued
	}
	if a.issuers != nil {
		if env.iss == "" && len(a.issuers) == 1 {
			missing = true
			env.noteMissing("iss")
		} else if !slices.Contains(a.issuers, env.iss) {
			return errIssuer
		}
	}
	if a.audience != nil {
		switch found, named := audienceMatch(env.aud, a.audience); {
		case found:
		case !named:
			missing = true
			env.noteMissing("aud")
		default:
			return errAudience
		}
	}
	if a.subject != "" {
		if env.sub == "" {
			missing = true
			env.noteMissing("sub")
		} else if env.sub != a.subject {
			return errSubject
		}
	}
	if a.parties != nil {
		switch party := env.party(); {
		case party == "":
			missing = true
			env.noteMissing("azp")
		case !slices.Contains(a.parties, party):
			return errParty
		}
	}
	if missing || env.missingRequired {
		return errRequired
	}
	return nil
}

// noteMissing records the first missing required claim.
func (env *envelope) noteMissing(name string) {
	if env.missing == "" {
		env.missing = name
	}
}

// audienceMatch reports whether the raw aud value (a string or an array of
// strings, already checked) names one of want, and whether it names any
// non-empty audience at all.
func audienceMatch(aud string, want []string) (found, named bool) {
	if aud == "" {
		return false, false
	}
	if aud[0] == '"' {
		s, _ := parse.Unquote(aud)
		return slices.Contains(want, s), s != ""
	}
	for s, i, ok := parse.NextString(aud, 0); ok; s, i, ok = parse.NextString(aud, i) {
		if s != "" {
			named = true
			if slices.Contains(want, s) {
				return true, true
			}
		}
	}
	return false, named
}

// refuse attaches to e what was read of the token, for the log record.
// Strings come from the token: each is cut at maxFact bytes.
func (env *envelope) refuse(e *Error) *Error {
	e.facts = facts{alg: env.alg, kid: cut(env.kid), typ: cut(env.typ), iss: cut(env.iss), sub: cut(env.sub), aud: cut(audFact(env.aud)), claim: env.missing}
	return e
}

const maxFact = 128

// audFact is the token's aud as the log shows it: its audiences separated by
// spaces, as aud_expected shows the configuration's (the raw JSON when it is
// neither a string nor an array of strings, which the reader refused).
func audFact(raw string) string {
	if raw == "" {
		return ""
	}
	if raw[0] == '"' {
		if v, ok := parse.String(raw); ok {
			return v
		}
	} else if list, ok := parse.Strings(raw); ok {
		return strings.Join(list, " ")
	}
	return raw
}

func cut(s string) string {
	if len(s) > maxFact {
		return s[:maxFact] + "…"
	}
	return s
}

// party is the client the token was issued to: azp (OpenID Connect Core
// §2), else client_id (RFC 9068 §2.2).
func (env *envelope) party() string {
	if env.azp != "" {
		return env.azp
	}
	return env.clientID
}

// scopes returns the scp claim as a list.
func (env *envelope) scopes() []string {
	if env.scp[0] == '"' {
		s, _ := parse.Unquote(env.scp)
		return []string{s}
	}
	out, _ := parse.Strings(env.scp)
	return out
}

// fill sets the default claims type from what readClaims read, as
// encoding/json would have (NumericDates at golang-jwt's TimePrecision). aud,
// when not nil, is room for a one-element Audience beside c (an own's): a
// string, or an array of one string.
func (env *envelope) fill(c *Claims, payload string, scp, aud []string) {
	c.Issuer, c.Subject, c.ID, c.Scope = env.iss, env.sub, env.jti, ScopeClaim(env.scope)
	if env.aud != "" {
		if env.aud[0] == '"' {
			s, _ := parse.Unquote(env.aud)
			if aud != nil { // room beside the Claims
				aud[0] = s
				c.Audience = aud[:1:1]
			} else {
				c.Audience = jwt.ClaimStrings{s}
			}
		} else if n, _ := parse.CountStrings(env.aud); n == 1 && aud != nil {
			aud[0], _, _ = parse.NextString(env.aud, 0)
			c.Audience = aud[:1:1]
		} else {
			c.Audience, _ = parse.Strings(env.aud)
		}
	}
	c.Scp = scp
	c.ExpiresAt = c.date(0, env.exp)
	c.NotBefore = c.date(1, env.nbf)
	c.IssuedAt = c.date(2, env.iat)
	c.raw = payload
}

func describeTokenError(err error) string {
	switch {
	case errors.Is(err, ErrUnknownKey):
		return "The access token key is unknown"
	case errors.Is(err, errAlgorithmMismatch):
		return "The access token algorithm is not accepted"
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return "The access token signature is invalid"
	case errors.Is(err, jwt.ErrTokenExpired):
		return "The access token expired"
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		return "The access token is not valid yet"
	case errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return "The access token was issued in the future"
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return "The access token issuer is not accepted"
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return "The access token audience is not accepted"
	case errors.Is(err, jwt.ErrTokenInvalidSubject):
		return "The access token subject is not accepted"
	case errors.Is(err, errAuthorizedParty):
		return "The access token was issued to another client"
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return "The access token lacks a required claim"
	case errors.Is(err, errValidationFailed):
		return "The access token claims are not accepted"
	case errors.Is(err, jwt.ErrTokenUnverifiable):
		return "The access token algorithm is not accepted"
	default:
		return "The access token is malformed"
	}
}

func describeHeaderError(err error) string {
	switch err {
	case errAlgorithmMismatch:
		return "The access token algorithm is not accepted"
	case errTypeNotAllowed:
		return "The access token type is not accepted"
	case errCriticalHeader:
		return "The access token has an unsupported critical header"
	case errHeaderInvalid:
		return "The access token header is not accepted"
	default:
		return "The access token is malformed"
	}
}
