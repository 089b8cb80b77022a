package jwtgate

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtgate/jwtgate/extractors"
)

// Authenticator verifies tokens. Build it once with [New]; it is safe for
// concurrent use, and every adapter takes one.
type Authenticator struct {
	keys       KeySource
	algs       []string // every algorithm a key is bound to
	parser     *jwt.Parser
	extractor  extractors.Extractor
	optional   bool
	maxSize    int
	issuers    []string // checked here when there are several
	types      []string // normalized; "" for absent
	critical   []string
	required   []string
	newClaims  func() jwt.Claims
	validate   func(context.Context, *Token) error
	revoker    Revoker
	failOpen   bool
	challenge  string // `Bearer realm="…"`
	logger     *slog.Logger
	onError    func(context.Context, error)
	onSuccess  func(context.Context, *Token)
	keyfunc    jwt.Keyfunc
	cookies    *Cookies
	cache      *tokenCache
	keyGen     KeyGeneration // nil for keys that never change
	now        func() time.Time
	realm      string
	leeway     time.Duration
	expireless bool
}

// New checks cfg and builds an Authenticator. It reports every problem in cfg
// at once, joined with errors.Join.
func New(cfg Config) (*Authenticator, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	a := &Authenticator{
		keys:       cfg.Keys,
		extractor:  cfg.Extractor,
		optional:   cfg.CredentialsOptional,
		maxSize:    cfg.MaxTokenSize,
		critical:   slices.Clone(cfg.CriticalHeaders),
		newClaims:  cfg.NewClaims,
		validate:   cfg.Validate,
		revoker:    cfg.Revoker,
		failOpen:   cfg.RevocationFailOpen,
		logger:     cfg.Logger,
		onError:    cfg.OnError,
		onSuccess:  cfg.OnSuccess,
		now:        cfg.Now,
		realm:      cfg.Realm,
		leeway:     cfg.Leeway,
		expireless: cfg.ExpirationOptional,
	}
	if a.extractor == nil {
		a.extractor = extractors.AuthorizationBearer()
	}
	if cfg.Cookies != nil {
		a.cookies = cfg.Cookies.withDefaults()
	}
	if cfg.CacheSize >= 0 {
		size := cfg.CacheSize
		if size == 0 {
			size = DefaultCacheSize
		}
		switch k := cfg.Keys.(type) {
		case *Key, *KeySet:
			a.cache = newTokenCache(size)
		case KeyGeneration:
			a.cache, a.keyGen = newTokenCache(size), k
		}
	}
	if a.maxSize == 0 {
		a.maxSize = DefaultMaxTokenSize
	}
	if a.newClaims == nil {
		a.newClaims = func() jwt.Claims { return &Claims{} }
	}
	if a.now == nil {
		a.now = time.Now
	}
	if a.realm == "" {
		a.realm = "jwtgate"
	}
	a.challenge = `Bearer realm="` + a.realm + `"`
	types := cfg.Types
	if types == nil {
		types = []string{"", "JWT", "at+jwt"}
	}
	for _, t := range types {
		a.types = append(a.types, normalizeType(t))
	}
	a.required = slices.Clone(cfg.RequiredClaims)
	if a.revoker != nil && !slices.Contains(a.required, "jti") {
		a.required = append(a.required, "jti")
	}

	// Every algorithm jwtgate supports that a key is bound to; the key found
	// for the token must then be bound to the token's alg (keyfunc).
	var algs []string
	for _, alg := range cfg.Keys.Algorithms() {
		if slices.Contains(SupportedAlgorithms(), alg) {
			algs = append(algs, alg)
		}
	}
	a.algs = algs
	opts := []jwt.ParserOption{
		jwt.WithValidMethods(algs),
		jwt.WithStrictDecoding(),
		jwt.WithLeeway(cfg.Leeway),
		jwt.WithTimeFunc(a.now),
	}
	if !cfg.ExpirationOptional {
		opts = append(opts, jwt.WithExpirationRequired())
	}
	if !cfg.SkipIssuedAtCheck {
		opts = append(opts, jwt.WithIssuedAt())
	}
	if !cfg.SkipAudienceCheck {
		opts = append(opts, jwt.WithAudience(cfg.Audience...))
	}
	if !cfg.SkipIssuerCheck {
		if len(cfg.Issuer) == 1 {
			opts = append(opts, jwt.WithIssuer(cfg.Issuer[0]))
		} else {
			a.issuers = slices.Clone(cfg.Issuer)
		}
	}
	if cfg.Subject != "" {
		opts = append(opts, jwt.WithSubject(cfg.Subject))
	}
	a.parser = jwt.NewParser(opts...)
	a.keyfunc = a.findKey
	return a, nil
}

// Realm returns the realm of the challenges this Authenticator sends.
func (a *Authenticator) Realm() string { return a.realm }

// CredentialsOptional reports whether requests without a token pass.
func (a *Authenticator) CredentialsOptional() bool { return a.optional }

// Authenticate finds the token in r and verifies it, and, when the token came
// from a cookie, applies cookie mode's CSRF checks (see [Cookies]). It returns
// (nil, nil) for a request without any token when Config.CredentialsOptional
// is set. Every error is an *Error wrapping one of the error kinds; see
// [Authenticator.Response] for how to answer it.
func (a *Authenticator) Authenticate(ctx context.Context, r extractors.Request) (*Token, error) {
	raw, source, err := a.extractor.Extract(r)
	if err != nil {
		return nil, a.fail(ctx, newError(ErrInvalidRequest, err, describeExtractorError(err)))
	}
	if raw == "" {
		if a.optional {
			return nil, nil
		}
		return nil, a.fail(ctx, newError(ErrTokenMissing, nil, ""))
	}
	t, verr := a.verify(ctx, raw, source)
	if verr != nil {
		return nil, a.fail(ctx, verr)
	}
	if strings.HasPrefix(source, "cookie:") {
		if err := a.checkCSRF(r, t.SessionID); err != nil {
			return nil, a.fail(ctx, err)
		}
	}
	if a.onSuccess != nil {
		a.onSuccess(ctx, t)
	}
	return t, nil
}

// checkCSRF guards a request whose credentials came from a cookie.
func (a *Authenticator) checkCSRF(r extractors.Request, family string) *Error {
	if a.cookies == nil {
		if safeMethod(r.Method()) {
			return nil
		}
		return newError(ErrCSRF, errors.New("jwtgate: csrf: a cookie authenticates an unsafe request, and cookie mode is off"), "The request failed the CSRF check")
	}
	if err := a.cookies.checkCSRF(r, family); err != nil {
		return newError(ErrCSRF, err, "The request failed the CSRF check")
	}
	return nil
}

// Verify verifies a raw token that was not found by the extractor (a
// WebSocket subprotocol, a message header). It applies every rule
// Authenticate does, including revocation and hooks, except cookie mode's
// CSRF checks, which need the request.
func (a *Authenticator) Verify(ctx context.Context, raw string) (*Token, error) {
	if raw == "" {
		return nil, a.fail(ctx, newError(ErrTokenMissing, nil, ""))
	}
	t, err := a.verify(ctx, raw, "")
	if err != nil {
		return nil, a.fail(ctx, err)
	}
	if a.onSuccess != nil {
		a.onSuccess(ctx, t)
	}
	return t, nil
}

func (a *Authenticator) fail(ctx context.Context, err *Error) error {
	if a.onError != nil {
		a.onError(ctx, err)
	}
	if a.logger != nil {
		level := slog.LevelDebug
		if err.Kind == ErrUnavailable {
			level = slog.LevelWarn
		}
		a.logger.LogAttrs(ctx, level, "jwtgate: request refused", slog.String("error", err.Error()))
	}
	return err
}

func (a *Authenticator) verify(ctx context.Context, raw, source string) (*Token, *Error) {
	if len(raw) > a.maxSize {
		return nil, newError(ErrInvalidToken, ErrTokenTooLarge, "The access token is too large")
	}
	if a.cache != nil {
		if e, ok := a.cache.get(raw); ok {
			if t, ok := a.fromCache(raw, e, source); ok {
				return a.accept(ctx, t)
			}
		}
	}
	dot1, dot2, ok := compactShape(raw)
	if !ok {
		return nil, newError(ErrInvalidToken, ErrTokenShape, "The access token is malformed")
	}
	env := &envelope{a: a, ctx: ctx, claims: a.newClaims()}
	if err := a.checkHeader(raw[:dot1], env); err != nil {
		return nil, newError(ErrInvalidToken, err, describeHeaderError(err))
	}
	parsed, err := a.parser.ParseWithClaims(raw, env, a.keyfunc)
	if err != nil {
		return nil, newError(ErrInvalidToken, err, describeTokenError(err))
	}
	if env.pss != nil && !strictPSS(env.pss, parsed.Method, raw[:dot2], parsed.Signature) {
		return nil, newError(ErrInvalidToken, jwt.ErrTokenSignatureInvalid, "The access token signature is invalid")
	}
	t := &Token{
		Raw:       raw,
		Source:    source,
		Header:    parsed.Header,
		Algorithm: parsed.Method.Alg(),
		KeyID:     env.kid,
		Type:      env.typ,
		Claims:    env.claims,
		Issuer:    env.iss,
		Subject:   env.sub,
		ID:        env.jti,
		SessionID: env.sid,
		scope:     env.scope,
		scp:       env.scp,
	}
	t.ExpiresAt, t.IssuedAt = env.exp, env.iat
	if a.cache != nil && !env.exp.IsZero() {
		e := &cacheEntry{tok: *t, exp: env.exp, nbf: env.nbf, gen: a.generation()}
		e.tok.Source = ""
		a.cache.put(raw, e, a.now())
	}
	return a.accept(ctx, t)
}

func (a *Authenticator) generation() uint64 {
	if a.keyGen == nil {
		return 0
	}
	return a.keyGen.KeyGeneration()
}

// fromCache returns the cached verification of raw if it still holds: made
// with the current keys, and exp and nbf good at this moment (with the same
// leeway golang-jwt applies). A stale entry is dropped.
func (a *Authenticator) fromCache(raw string, e *cacheEntry, source string) (*Token, bool) {
	now := a.now()
	if e.gen != a.generation() || !now.Before(e.exp.Add(a.leeway)) {
		a.cache.drop(raw)
		return nil, false
	}
	if !e.nbf.IsZero() && now.Before(e.nbf.Add(-a.leeway)) {
		return nil, false
	}
	t := e.tok // a copy per request: Source is this request's
	t.Source = source
	return &t, true
}

// accept runs what every request's token goes through after verification,
// cached or not: Config.Validate and the revocation check.
func (a *Authenticator) accept(ctx context.Context, t *Token) (*Token, *Error) {
	if a.validate != nil {
		if err := a.validate(ctx, t); err != nil {
			return nil, newError(ErrInvalidToken, errors.Join(ErrValidationFailed, err), "The access token claims are not accepted")
		}
	}
	if a.revoker != nil {
		revoked, err := a.revoker.IsRevoked(ctx, t)
		switch {
		case err != nil && !a.failOpen:
			return nil, newError(ErrUnavailable, err, "The token could not be checked; try again later")
		case err != nil:
			if a.logger != nil {
				a.logger.LogAttrs(ctx, slog.LevelWarn, "jwtgate: revocation check failed; letting the token through (RevocationFailOpen)", slog.String("error", err.Error()))
			}
		case revoked:
			return nil, newError(ErrInvalidToken, ErrTokenRevoked, "The access token has been revoked")
		}
	}
	return t, nil
}

// compactShape checks that raw is three base64url segments (RFC 7515 §7.1,
// RFC 8725bis §3.14: only letters, digits, '-', '_' and '.'), before any
// decoding, and returns the positions of the two dots.
func compactShape(raw string) (dot1, dot2 int, ok bool) {
	dot1, dot2 = -1, -1
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_':
		case c == '.':
			switch {
			case dot1 < 0:
				dot1 = i
			case dot2 < 0:
				dot2 = i
			default:
				return 0, 0, false
			}
		default:
			return 0, 0, false
		}
	}
	// The header must not be empty. An empty payload is a valid JWS, but not
	// a JWT: the claims decoding refuses it. An empty signature is left to
	// golang-jwt, which refuses it as an invalid signature.
	return dot1, dot2, dot1 > 0 && dot2 > dot1
}

var strictB64 = base64.RawURLEncoding.Strict()

// checkHeader applies the header rules golang-jwt does not: one name once,
// typ allow-list, crit, no key-carrying parameters, no nested JWT.
func (a *Authenticator) checkHeader(seg string, env *envelope) error {
	var buf [256]byte
	var hdr []byte
	if n := strictB64.DecodedLen(len(seg)); n <= len(buf) {
		m, err := strictB64.Decode(buf[:], []byte(seg))
		if err != nil {
			return ErrTokenShape
		}
		hdr = buf[:m]
	} else {
		var err error
		if hdr, err = strictB64.DecodeString(seg); err != nil {
			return ErrTokenShape
		}
	}
	if !utf8.Valid(hdr) {
		return ErrHeaderInvalid
	}
	var seen seenNames
	var crit []byte
	typSeen, algSeen := false, false
	err := scanObject(hdr, func(name, value []byte) error {
		if seen.add(name) {
			return ErrHeaderInvalid
		}
		switch string(name) {
		case "alg":
			alg, ok := jsonString(value)
			if !ok {
				return ErrHeaderInvalid
			}
			// golang-jwt checks this too, but reports it as a bad signature.
			if !slices.Contains(a.algs, alg) {
				return ErrAlgorithmMismatch
			}
			algSeen = true
		case "kid":
			s, ok := jsonString(value)
			if !ok {
				return ErrHeaderInvalid
			}
			env.kid = s
		case "typ":
			s, ok := jsonString(value)
			if !ok {
				return ErrHeaderInvalid
			}
			typSeen = true
			env.typ = s
			if s == "" || !a.typeAllowed(s) {
				return ErrTypeNotAllowed
			}
		case "cty":
			s, ok := jsonString(value)
			if !ok || normalizeType(s) == "jwt" {
				return ErrHeaderInvalid // nested JWTs are not supported (RFC 8725 §3.3)
			}
		case "crit":
			crit = value
		case "jku", "x5u", "jwk", "x5c", "b64":
			// Never take a key, or a key's location, from the token itself
			// (RFC 8725 §3.10); b64 changes what is signed (RFC 7797).
			return ErrHeaderInvalid
		}
		return nil
	})
	if err != nil {
		if err == errNotObject {
			return ErrTokenShape
		}
		return err
	}
	if !algSeen {
		return ErrAlgorithmMismatch
	}
	if !typSeen && !slices.Contains(a.types, "") {
		return ErrTypeNotAllowed
	}
	if crit != nil {
		names, ok := jsonStrings(crit)
		if !ok || len(names) == 0 {
			return ErrCriticalHeader
		}
		for _, n := range names {
			if registeredHeader(n) || n == "b64" || !slices.Contains(a.critical, n) || !seen.has(n) {
				return ErrCriticalHeader
			}
		}
	}
	return nil
}

// typeAllowed reports whether typ is on the allow-list, case-insensitively and
// with any "application/" prefix ignored, without allocating.
func (a *Authenticator) typeAllowed(typ string) bool {
	if len(typ) > 12 && strings.EqualFold(typ[:12], "application/") {
		typ = typ[12:]
	}
	for _, t := range a.types {
		if strings.EqualFold(t, typ) {
			return true
		}
	}
	return false
}

// findKey is the jwt.Keyfunc: the key comes from the configured source, by
// kid, and must be bound to the token's alg.
func (a *Authenticator) findKey(t *jwt.Token) (any, error) {
	env := t.Claims.(*envelope)
	alg := t.Method.Alg()
	key, err := a.keys.Key(env.ctx, KeyQuery{KeyID: env.kid, Algorithm: alg, Issuer: env.iss})
	if err != nil {
		if errors.Is(err, ErrUnknownKey) {
			return nil, err
		}
		return nil, errors.Join(ErrUnknownKey, err)
	}
	if key == nil {
		return nil, ErrUnknownKey
	}
	if key.Algorithm != alg {
		return nil, ErrAlgorithmMismatch
	}
	if alg[:2] == "PS" {
		env.pss, _ = key.VerifyKey.(*rsa.PublicKey)
	}
	return key.VerifyKey, nil
}

// envelope wraps the caller's claims while golang-jwt decodes and validates
// them, so that the same strict rules apply to any claims type.
type envelope struct {
	claims jwt.Claims
	a      *Authenticator
	ctx    context.Context

	kid, typ        string         // from the header
	pss             *rsa.PublicKey // the key of a PS* token, for strictPSS
	iss, sub, jti   string
	sid             string
	scope           string
	scp             []string
	exp, iat, nbf   time.Time // zero when absent
	missingRequired bool
}

// maxNumericDate is 9999-12-31T23:59:59Z: later dates overflow conversions.
const maxNumericDate = 253402300799

var registeredClaims = [...]string{"iss", "sub", "aud", "exp", "nbf", "iat", "jti", "sid", "scope", "scp"}

// UnmarshalJSON checks the payload before handing it to the claims type:
// valid UTF-8, one name once, registered claims with their exact names and
// JSON types, NumericDates that are numbers in range.
func (e *envelope) UnmarshalJSON(data []byte) error {
	if !utf8.Valid(data) {
		return ErrClaimsInvalid
	}
	var seen seenNames
	var present uint64 // bit i: RequiredClaims[i] is there and not null
	err := scanObject(data, func(name, value []byte) error {
		if seen.add(name) {
			return ErrClaimsInvalid
		}
		// null, "" and [] say nothing: they do not satisfy a required claim
		// (an empty jti, for one, would make every such token share one
		// revocation entry).
		if v := string(value); v != "null" && v != `""` && v != "[]" {
			for i, r := range e.a.required {
				if string(name) == r {
					present |= 1 << i
				}
			}
		}
		var ok bool
		switch string(name) {
		case "iss":
			e.iss, ok = jsonString(value)
		case "sub":
			e.sub, ok = jsonString(value)
		case "jti":
			e.jti, ok = jsonString(value)
		case "sid":
			e.sid, ok = jsonString(value)
		case "scope":
			e.scope, ok = jsonString(value)
		case "aud":
			if _, ok = jsonString(value); !ok {
				_, ok = jsonStrings(value)
			}
		case "scp":
			var s string
			if s, ok = jsonString(value); ok {
				e.scp = []string{s}
			} else {
				e.scp, ok = jsonStrings(value)
			}
		case "exp":
			e.exp, ok = numericDate(value)
		case "iat":
			e.iat, ok = numericDate(value)
		case "nbf":
			e.nbf, ok = numericDate(value)
		default:
			// encoding/json would match "EXP" or "Iss" to the registered
			// fields: refuse names a case-insensitive reader confuses.
			for _, r := range registeredClaims {
				if len(name) <= 3*len(r) && strings.EqualFold(string(name), r) {
					return ErrClaimsInvalid
				}
			}
			ok = true
		}
		if !ok {
			return ErrClaimsInvalid
		}
		return nil
	})
	if err != nil {
		return err
	}
	e.missingRequired = present != 1<<len(e.a.required)-1
	if err := json.Unmarshal(data, e.claims); err != nil {
		return err
	}
	if rs, ok := e.claims.(rawSetter); ok {
		rs.setRaw(bytes.Clone(data))
	}
	return nil
}

func numericDate(v []byte) (time.Time, bool) {
	if len(v) == 0 || !(v[0] == '-' || (v[0] >= '0' && v[0] <= '9')) {
		return time.Time{}, false
	}
	// Most NumericDates are plain integers: read those without a string.
	if len(v) <= 12 {
		n, digits := int64(0), true
		for _, c := range v {
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
	f, err := strconv.ParseFloat(string(v), 64)
	if err != nil || f < 0 || f > maxNumericDate {
		return time.Time{}, false
	}
	sec := int64(f)
	// Rounded to the microsecond: a float64 holds no more at today's dates.
	return time.Unix(sec, int64(math.Round((f-float64(sec))*1e6))*1e3).UTC(), true
}

// Validate runs after golang-jwt's own claim checks (exp, nbf, iat, aud, one
// iss): the issuer list, required claims, and the claims type's Validate.
func (e *envelope) Validate() error {
	if e.a.issuers != nil && !slices.Contains(e.a.issuers, e.iss) {
		return jwt.ErrTokenInvalidIssuer
	}
	if e.missingRequired {
		return jwt.ErrTokenRequiredClaimMissing
	}
	if v, ok := e.claims.(jwt.ClaimsValidator); ok {
		if err := v.Validate(); err != nil {
			return errors.Join(ErrValidationFailed, err)
		}
	}
	return nil
}

func (e *envelope) GetExpirationTime() (*jwt.NumericDate, error) { return e.claims.GetExpirationTime() }
func (e *envelope) GetIssuedAt() (*jwt.NumericDate, error)       { return e.claims.GetIssuedAt() }
func (e *envelope) GetNotBefore() (*jwt.NumericDate, error)      { return e.claims.GetNotBefore() }
func (e *envelope) GetIssuer() (string, error)                   { return e.claims.GetIssuer() }
func (e *envelope) GetSubject() (string, error)                  { return e.claims.GetSubject() }
func (e *envelope) GetAudience() (jwt.ClaimStrings, error)       { return e.claims.GetAudience() }

// strictPSS checks a PS* signature again with the salt as long as the hash,
// as RFC 7518 §3.5 fixes it; golang-jwt accepts any salt length
// (rsa.PSSSaltLengthAuto), which would accept signatures no conforming signer
// makes (SECURITY-CASES SIG-11).
func strictPSS(pub *rsa.PublicKey, m jwt.SigningMethod, signingInput string, sig []byte) bool {
	pm, ok := m.(*jwt.SigningMethodRSAPSS)
	if !ok {
		return false
	}
	h := pm.Hash.New()
	h.Write([]byte(signingInput))
	return rsa.VerifyPSS(pub, pm.Hash, h.Sum(nil), sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash}) == nil
}

func describeTokenError(err error) string {
	switch {
	case errors.Is(err, ErrUnknownKey):
		return "The access token key is unknown"
	case errors.Is(err, ErrAlgorithmMismatch):
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
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return "The access token lacks a required claim"
	case errors.Is(err, ErrValidationFailed):
		return "The access token claims are not accepted"
	case errors.Is(err, jwt.ErrTokenUnverifiable):
		return "The access token algorithm is not accepted"
	default:
		return "The access token is malformed"
	}
}

func describeHeaderError(err error) string {
	switch err {
	case ErrAlgorithmMismatch:
		return "The access token algorithm is not accepted"
	case ErrTypeNotAllowed:
		return "The access token type is not accepted"
	case ErrCriticalHeader:
		return "The access token has an unsupported critical header"
	case ErrHeaderInvalid:
		return "The access token header is not accepted"
	default:
		return "The access token is malformed"
	}
}

func describeExtractorError(err error) string {
	switch {
	case errors.Is(err, extractors.ErrMultipleMethods):
		return "The access token was sent by more than one method"
	case errors.Is(err, extractors.ErrRepeated):
		return "The access token credential is repeated"
	default:
		return "The access token credential is malformed"
	}
}
