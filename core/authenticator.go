package jwtgate

import (
	"context"
	"errors"
	"hash/maphash"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtgate/jwtgate/core/dpop"
	"github.com/jwtgate/jwtgate/core/internal/ratelimit"
	"github.com/jwtgate/jwtgate/core/signing"
	"github.com/jwtgate/jwtgate/extractors"
)

// Authenticator verifies tokens. Build it once with [New]; it is safe for
// concurrent use, and every adapter takes one.
type Authenticator struct {
	keys         KeySource
	algs         []string // every algorithm a key is bound to
	extractor    extractors.Extractor
	optional     bool
	maxSize      int
	issuers      []string // nil: any issuer (SkipIssuerCheck)
	audience     []string // nil: any audience (SkipAudienceCheck)
	subject      string   // "": any subject
	parties      []string // nil: any client (azp or client_id)
	checkIat     bool
	types        []string // normalized; "" for absent
	critical     []string
	required     []string
	newClaims    func() jwt.Claims // nil: *Claims, filled in without encoding/json
	validate     func(context.Context, *Token) error
	revoker      Revoker
	failOpen     bool
	challenge    string // `Bearer realm="…"`
	logger       *slog.Logger
	refusalLevel slog.Leveler
	warnLimit    ratelimit.Limiter
	observer     Observer
	onError      func(context.Context, error)
	onSuccess    func(context.Context, *Token)
	cookies      *Cookies
	dpop         *dpop.Config // nil: DPoP off
	dpopAlgs     string       // dpop.Algorithms for the DPoP challenge's algs
	proofKeys    proofKeys
	cache        *tokenCache
	headers      headerMemos   // headers that passed checkHeader, by segment
	keyGen       KeyGeneration // nil for keys that never change
	now          func() time.Time
	wiring       sync.Once // ErrMisconfigured is logged once
	badPolicy    sync.Once // …and so is a Policy CheckPolicy refuses
	realm        string
	leeway       time.Duration
	expireless   bool
}

// New checks cfg and builds an Authenticator. It reports every problem in cfg
// at once, joined with errors.Join.
func New(cfg Config) (*Authenticator, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	a := &Authenticator{
		keys:         copyKeys(cfg.Keys),
		extractor:    cfg.Extractor,
		optional:     cfg.CredentialsOptional,
		maxSize:      cfg.MaxTokenSize,
		critical:     slices.Clone(cfg.CriticalHeaders),
		newClaims:    cfg.NewClaims,
		validate:     cfg.Validate,
		revoker:      cfg.Revoker,
		failOpen:     cfg.RevocationFailOpen,
		logger:       cfg.Logger,
		refusalLevel: cfg.RefusalLevel,
		observer:     cfg.Observer,
		onError:      cfg.OnError,
		onSuccess:    cfg.OnSuccess,
		now:          cfg.Now,
		realm:        cfg.Realm,
		leeway:       cfg.Leeway,
		expireless:   cfg.ExpirationOptional,
	}
	a.headers.seed = maphash.MakeSeed()
	a.setDefaults()
	a.setParts(cfg)
	a.setRules(cfg)
	return a, nil
}

// setDefaults fills in the defaults of what Config left zero.
func (a *Authenticator) setDefaults() {
	if a.extractor == nil {
		a.extractor = extractors.AuthorizationBearer()
	}
	if a.maxSize == 0 {
		a.maxSize = defaultMaxTokenSize
	}
	switch a.leeway {
	case 0:
		a.leeway = DefaultLeeway
	case NoLeeway:
		a.leeway = 0
	}
	if a.now == nil {
		a.now = time.Now
	}
	if a.logger == nil {
		a.logger = slog.Default()
	}
	if a.refusalLevel == nil {
		a.refusalLevel = slog.LevelDebug
	}
	if a.realm == "" {
		a.realm = "jwtgate"
	}
	a.challenge = `Bearer realm="` + a.realm + `"`
}

// setParts builds cookie mode, DPoP and the verified-token cache.
func (a *Authenticator) setParts(cfg Config) {
	if cfg.Cookies != nil {
		a.cookies = cfg.Cookies.withDefaults()
	}
	if cfg.DPoP != nil {
		a.dpop, _ = dpopDefaults(cfg.DPoP) // checked by validate
		if a.dpop.Mode == dpop.Off {
			a.dpop = nil
		} else {
			a.dpopAlgs = strings.Join(a.dpop.Algorithms, " ")
		}
	}
	if cfg.CacheSize >= 0 {
		size := cfg.CacheSize
		if size == 0 {
			size = defaultCacheSize
		}
		if ok, changing := cacheable(a.keys); ok {
			a.cache = newTokenCache(size)
			if changing {
				a.keyGen = a.keys.(KeyGeneration)
			}
		}
	}
}

// setRules sets what a token must be: its types, its required claims, the
// algorithms its keys are bound to, its issuers, audiences, subject and
// parties.
func (a *Authenticator) setRules(cfg Config) {
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
	// for the token must then be bound to the token's alg.
	for _, alg := range a.keys.Algorithms() {
		names := []string{alg}
		if isEd25519(alg) {
			names = []string{"EdDSA", "Ed25519"} // one algorithm, two names
		}
		for _, alg := range names {
			if slices.Contains(signing.Supported(), alg) && !slices.Contains(a.algs, alg) {
				a.algs = append(a.algs, alg)
			}
		}
	}
	a.checkIat = !cfg.SkipIssuedAtCheck
	if !cfg.SkipAudienceCheck {
		a.audience = slices.Clone(cfg.Audience)
	}
	if !cfg.SkipIssuerCheck {
		a.issuers = slices.Clone(cfg.Issuer)
	}
	a.subject = cfg.Subject
	if len(cfg.AuthorizedParties) > 0 {
		a.parties = slices.Clone(cfg.AuthorizedParties)
	}
}

// Realm returns the realm of the challenges this Authenticator sends.
func (a *Authenticator) Realm() string { return a.realm }

// CredentialsOptional reports whether requests without a token pass.
func (a *Authenticator) CredentialsOptional() bool { return a.optional }

// dpop.Mode reports which tokens the Authenticator takes, unless a route's
// Policy says otherwise: dpop.Off (Bearer tokens only, Config.DPoP not set),
// dpop.Allowed or dpop.Required. The issuing package's Endpoints bind tokens
// to the client's key when it is not dpop.Off.
func (a *Authenticator) DPoPMode() dpop.Mode { return a.mode(Policy{}) }

// Authenticate finds the token in r and verifies it, and, when the token came
// from a cookie, applies cookie mode's CSRF checks (see [Cookies]). It returns
// (nil, nil) for a request without any token when Config.CredentialsOptional
// is set. Every error is an *Error wrapping one of the error kinds; see
// [Authenticator.Response] for how to answer it.
func (a *Authenticator) Authenticate(ctx context.Context, r extractors.Request) (*Token, error) {
	return a.AuthenticateWith(ctx, r, Policy{})
}

// AuthenticateWith is Authenticate for a route whose Policy differs from
// the Authenticator's Config: optional credentials, or another DPoP mode.
// Every adapter's Config carries a Policy; check it with CheckPolicy when
// the route is built.
//
// Kept whole: it is the order of a request's checks (the policy, the DPoP
// scheme, the cache through a borrowed view, the extraction, a missing
// token, the source's kind, DPoP required, the verification, a bound token,
// CSRF), each ending the request or passing it on; read in one place, the
// order is the security argument.
func (a *Authenticator) AuthenticateWith(ctx context.Context, r extractors.Request, p Policy) (*Token, error) {
	at := attempt{r: r, mode: a.mode(p)}
	if a.observer != nil {
		at.start = time.Now()
	}
	if p != (Policy{}) {
		if err := a.CheckPolicy(p); err != nil {
			a.badPolicy.Do(func() {
				a.logger.LogAttrs(ctx, slog.LevelError, "jwtgate: a route's Policy cannot be served: "+err.Error())
			})
			at.mode = dpop.Off // the challenge must not name a DPoP this Authenticator cannot check
			return nil, a.fail(ctx, &at, newError(ErrMisconfigured, err, "The server is misconfigured"))
		}
	}
	switch at.mode {
	case dpop.Off:
	case dpop.Unsupported:
		if _, _, ok, _ := dpopRequest(r); ok {
			return nil, a.fail(ctx, &at, newError(ErrInvalidRequest, dpop.ErrNotSupported, "DPoP is not supported here: send the access token with the Bearer scheme"))
		}
	default:
		if token, proof, ok, err := dpopRequest(r); ok {
			return a.authenticateDPoP(ctx, &at, r, token, proof, err)
		}
	}
	// The token is extracted once: through a borrowed view when the
	// adapter has one (see borrower), whose token verify copies with its
	// payload, in one allocation, once it has decoded; else through r.
	var (
		raw      string
		source   extractors.Source
		err      error
		borrowed bool
	)
	if b, ok := r.(borrower); ok && at.mode != dpop.Required {
		if a.cache != nil {
			var t *Token
			var done bool
			if t, raw, source, done, err = a.authenticateCached(ctx, &at, b.Borrow()); done {
				return t, err
			}
		} else {
			raw, source, err = a.extractor.Extract(b.Borrow())
		}
		borrowed = true
	} else {
		raw, source, err = a.extractor.Extract(r)
	}
	if err != nil {
		return nil, a.fail(ctx, &at, newError(ErrInvalidRequest, err, describeExtractorError(err)))
	}
	if raw == "" {
		if a.optional || p.CredentialsOptional {
			return a.succeed(ctx, &at, nil), nil
		}
		return nil, a.fail(ctx, &at, newError(ErrTokenMissing, nil, ""))
	}
	at.source = source
	if !source.Kind.Known() {
		// The kind decides the CSRF checks and the caching of the answer:
		// a custom extractor that does not say cannot be trusted with
		// either.
		err := errors.New("jwtgate: the extractor gave a token without a Source kind (extractors.InHeader, InCookie, …)")
		a.wiring.Do(func() { a.logger.LogAttrs(ctx, slog.LevelError, err.Error()) })
		return nil, a.fail(ctx, &at, newError(ErrMisconfigured, err, "The server is misconfigured"))
	}
	if at.mode == dpop.Required {
		// Not even verified: no token but a DPoP-bound one, with its proof,
		// passes here.
		return nil, a.fail(ctx, &at, newError(ErrInvalidToken, dpop.ErrRequired, "The access token must be presented with DPoP"))
	}
	t, verr := a.verify(ctx, &at, raw, source, borrowed)
	if verr != nil {
		return nil, a.fail(ctx, &at, verr)
	}
	if t.JKT != "" {
		return nil, a.fail(ctx, &at, boundAsBearer(t))
	}
	if source.Kind == extractors.InCookie {
		if err := a.checkCSRF(r, t.SessionID); err != nil {
			err.facts = factsOf(t)
			return nil, a.fail(ctx, &at, err)
		}
	}
	return a.succeed(ctx, &at, t), nil
}

// authorizationHeader is the Source of a DPoP request's token.
var authorizationHeader = extractors.Source{Kind: extractors.InHeader, Name: "Authorization"}

// boundAsBearer refuses a token bound to a key (cnf.jkt) that came without
// a proof of the key (RFC 9449 §7.2): its holder may have stolen it.
func boundAsBearer(t *Token) *Error {
	e := newError(ErrInvalidToken, dpop.ErrTokenBound, "The access token is bound to a key: present it with DPoP")
	e.facts = factsOf(t)
	return e
}

// authenticateDPoP is a request with Authorization: DPoP: its access token
// is verified as any other, must be bound to a key, and comes with a proof
// of that key for this request.
func (a *Authenticator) authenticateDPoP(ctx context.Context, at *attempt, r extractors.Request, token, proof string, err error) (*Token, error) {
	at.dpop, at.source = true, authorizationHeader
	if errors.Is(err, errDPoPCredential) {
		return nil, a.fail(ctx, at, newError(ErrInvalidRequest, err, "The access token credential is malformed"))
	}
	// One method only (RFC 6750 §2): no other source may carry a token.
	if raw, _, xerr := a.extractor.Extract(r); xerr != nil || raw != "" {
		return nil, a.fail(ctx, at, newError(ErrInvalidRequest, extractors.ErrMultipleMethods, "The access token was sent by more than one method"))
	}
	if err != nil {
		return nil, a.fail(ctx, at, proofError(err))
	}
	t, verr := a.verify(ctx, at, token, at.source, false)
	if verr != nil {
		return nil, a.fail(ctx, at, verr)
	}
	if t.JKT == "" {
		e := newError(ErrInvalidToken, dpop.ErrTokenNotBound, "The access token is not bound to a key")
		e.facts = factsOf(t)
		return nil, a.fail(ctx, at, e)
	}
	if _, perr := a.checkProof(ctx, r, proof, token, t.JKT); perr != nil {
		perr.facts = factsOf(t)
		return nil, a.fail(ctx, at, perr)
	}
	return a.succeed(ctx, at, t), nil
}

// attempt is one Authenticate or Verify as it goes: what the log record and
// the Observer are told at its end.
type attempt struct {
	r      extractors.Request // nil for Verify
	start  time.Time          // zero without an Observer: no clock is read
	source extractors.Source
	cached bool
	lookup bool      // the cache was asked
	mode   dpop.Mode // the route's
	dpop   bool      // the request used the DPoP scheme
}

// borrower is implemented by the Request view of an adapter over a framework
// that reuses its buffers once a handler returns (Fiber's over fasthttp).
// Such a view returns copies, so that what the core keeps stays valid;
// Borrow returns a second view of the same request whose strings are not
// copied and are valid only until the handler returns. The core reads the
// token through it: a token sent again is found in the verified-token cache,
// whose entry holds its own copy, without a copy; any other is verified from
// the borrowed bytes and copied once its payload is decoded, in the same
// allocation as the payload (verify's borrowed). It keeps nothing else it
// read through the borrowed view, and reads the rest of the request (a
// cookie's CSRF checks) through the copying view. Unexported, since it
// exists only to save a copy: the method is the contract.
type borrower interface {
	Borrow() extractors.Request
}

// authenticateCached answers a request through a borrowed view (see
// borrower) when its token is in the cache, without copying
// anything from the request: raw is only a lookup key. done is false when the
// request must go the whole way: no usable cache entry, an extractor error
// (an extractor's errors never hold request bytes), or a cookie (the CSRF
// checks read more of the request); it then returns what it extracted, raw
// still borrowed, for the caller to copy and go on with.
func (a *Authenticator) authenticateCached(ctx context.Context, at *attempt, r extractors.Request) (t *Token, raw string, source extractors.Source, done bool, err error) {
	raw, source, xerr := a.extractor.Extract(r)
	if xerr != nil || raw == "" || len(raw) > a.maxSize || source.Kind != extractors.InHeader && source.Kind != extractors.InQuery && source.Kind != extractors.InPath {
		return nil, raw, source, false, xerr
	}
	at.lookup = true
	t, ok := a.cached(raw, a.cache.hash(raw), source)
	if !ok {
		return nil, raw, source, false, nil
	}
	at.source, at.cached = t.Source, true // the cached token's own strings, not the borrowed ones
	if t.JKT != "" {
		return nil, "", source, true, a.fail(ctx, at, boundAsBearer(t))
	}
	t, verr := a.accept(ctx, at, t)
	if verr != nil {
		return nil, "", source, true, a.fail(ctx, at, verr)
	}
	return a.succeed(ctx, at, t), "", source, true, nil
}

// checkCSRF guards a request whose credentials came from a cookie.
func (a *Authenticator) checkCSRF(r extractors.Request, family string) *Error {
	if a.cookies == nil {
		if safeMethod(r.Method()) {
			return nil
		}
		return newError(ErrCSRF, errors.New("jwtgate: csrf: a cookie authenticates an unsafe request, and cookie mode is off"), "The request failed the CSRF check")
	}
	if err := a.cookies.CheckCSRF(r, family); err != nil {
		return newError(ErrCSRF, err, "The request failed the CSRF check")
	}
	return nil
}

// Verify verifies a raw token that was not found by the extractor (a
// WebSocket subprotocol, a message header). It applies every rule
// Authenticate does, including revocation and hooks, except cookie mode's
// CSRF checks, which need the request.
//
// A token bound to a key (cnf.jkt, DPoP) is refused with dpop.ErrTokenBound, in
// every DPoP mode: its proof is made for one HTTP request (method, URL,
// time), which Verify does not have, and a bound token accepted without its
// proof is a stolen token's way in (RFC 9449 §7.2). Present such a token
// with its request to Authenticate, as "Authorization: DPoP" with its DPoP
// header.
func (a *Authenticator) Verify(ctx context.Context, raw string) (*Token, error) {
	return a.verifyRaw(ctx, raw, "")
}

// VerifyBound is Verify for a token endpoint that checked the DPoP proof of
// the request the token came with (CheckDPoPProof): jkt is the thumbprint
// that check returned, "" when the request had no proof. The token's
// cnf.jkt must be jkt: a token bound to another key, or to a key while jkt
// is "", is refused with dpop.ErrTokenBound; a token bound to no key while jkt
// is set, with dpop.ErrTokenNotBound (a client gets tokens of the kind it asked
// for, RFC 9449 §5). Never pass a jkt that no proof of this request showed.
func (a *Authenticator) VerifyBound(ctx context.Context, raw, jkt string) (*Token, error) {
	return a.verifyRaw(ctx, raw, jkt)
}

func (a *Authenticator) verifyRaw(ctx context.Context, raw, jkt string) (*Token, error) {
	var at attempt
	if a.observer != nil {
		at.start = time.Now()
	}
	if raw == "" {
		return nil, a.fail(ctx, &at, newError(ErrTokenMissing, nil, ""))
	}
	t, err := a.verify(ctx, &at, raw, extractors.Source{}, false)
	if err != nil {
		return nil, a.fail(ctx, &at, err)
	}
	switch {
	case t.JKT == jkt:
	case t.JKT == "":
		e := newError(ErrInvalidToken, dpop.ErrTokenNotBound, "The token is not bound to a key")
		e.facts = factsOf(t)
		return nil, a.fail(ctx, &at, e)
	default:
		return nil, a.fail(ctx, &at, boundAsBearer(t))
	}
	return a.succeed(ctx, &at, t), nil
}

// succeed ends an accepted attempt: the OnSuccess hook and the Observer.
// t is nil for a request without token let through by CredentialsOptional.
func (a *Authenticator) succeed(ctx context.Context, at *attempt, t *Token) *Token {
	if a.onSuccess != nil && t != nil {
		a.onSuccess(ctx, t)
	}
	if a.observer != nil {
		o := &Outcome{Start: at.start, Duration: time.Since(at.start), Token: t, Cached: at.cached, CacheLookup: at.lookup, DPoP: at.dpop, Source: at.source}
		if t != nil {
			o.Alg = t.Algorithm
		}
		a.observer.Authenticated(ctx, o)
	}
	return t
}

// fail ends a refused attempt: the OnError hook, one log record, the
// Observer.
func (a *Authenticator) fail(ctx context.Context, at *attempt, err *Error) error {
	err.mode, err.dpop = at.mode, err.dpop || at.dpop
	if a.onError != nil {
		// The hook may hand err to another goroutine: nothing may write it
		// after, so its reason is noted now.
		err.noteReason()
		a.onError(ctx, err)
	}
	a.logRefusal(ctx, at, err)
	if a.observer != nil {
		a.observer.Authenticated(ctx, &Outcome{Start: at.start, Duration: time.Since(at.start), Err: err,
			Reason: err.noteReason(), Cached: at.cached, CacheLookup: at.lookup, DPoP: at.dpop, Source: at.source, Alg: err.facts.alg})
	}
	return err
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
