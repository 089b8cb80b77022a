// Package issuing is the side of jwtgate that mints tokens: an [Issuer] signs
// short-lived access tokens (typ at+jwt) and refresh tokens (typ
// refresh+jwt) at login, rotates the refresh token on every refresh, detects
// a spent refresh token presented again and then revokes its whole family
// (RFC 6819 §5.2.2.3), and revokes on logout. A [Store] (the embedded
// [MemoryStore], or a shared one such as the Redis store) holds the
// families and revocations; give the verifier's Config.Revoker the same
// store, so revoked tokens are refused on the next request.
//
// A resource server that only verifies tokens needs none of this: it
// imports the core (package jwtgate) alone.
//
// # Login, refresh and logout endpoints
//
// [Endpoints] is the HTTP side of the same life: POST /login checks
// credentials with the application's CheckCredentials and answers the token
// pair (or, with ?mode=cookie, sets cookie mode's cookies), POST /refresh
// rotates a refresh token from the JSON body or the refresh cookie, and
// POST /logout authenticates the access token and revokes its family. Every
// answer is decided here, the same for every framework: each adapter's
// LoginHandler, RefreshHandler and LogoutHandler only builds the [Request]
// view and writes the [Response]. A request body must be application/json,
// which an HTML form on another site cannot send (login CSRF).
package issuing

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/dpop"
	"github.com/jwtgate/jwtgate/core/internal/kinds"
	"github.com/jwtgate/jwtgate/core/internal/parse"
	"github.com/jwtgate/jwtgate/core/internal/ratelimit"
	"github.com/jwtgate/jwtgate/core/signing"
	"github.com/jwtgate/jwtgate/extractors"
)

// Default token lifetimes: short access tokens, refresh tokens rotated on use.
const (
	DefaultAccessTTL  = 15 * time.Minute
	DefaultRefreshTTL = 7 * 24 * time.Hour
)

// DefaultSubjectRevocationTTL is how long a "log out everywhere" mark lasts
// when Config.SubjectRevocationTTL is zero: 90 days, longer than the longest
// access-token lifetime the major identity providers allow.
const DefaultSubjectRevocationTTL = 90 * 24 * time.Hour

// Header typ values of the tokens an [Issuer] mints. Access tokens follow
// RFC 9068; refresh tokens get their own type so that no verifier configured
// for access tokens accepts them (RFC 8725 §3.11, §3.12).
const (
	AccessTokenType  = "at+jwt"
	RefreshTokenType = "refresh+jwt"
)

// Config configures an [Issuer]. Key, Issuer, Audience and Store are
// required.
type Config struct {
	// Key signs the tokens: an *jwtgate.Key with SignKey set (jwtgate.HMAC(secret,
	// "HS256") has one). Its ID, if any, goes into the header as kid.
	Key *jwtgate.Key
	// Issuer is the iss of every token.
	Issuer string
	// Audience is the aud of access tokens: the APIs that accept them. Refresh
	// tokens are addressed to the Issuer itself.
	Audience []string
	// ClientID is the client_id of tokens whose Grant names none: the OAuth
	// client they are issued to (RFC 9068 §2.2 requires the claim in a JWT
	// access token). Default Issuer: a service that logs its own users in is
	// its own client.
	ClientID string
	// AccessTTL is the access tokens' lifetime. Default DefaultAccessTTL (15 min).
	AccessTTL time.Duration
	// RefreshTTL is each refresh token's lifetime. Default DefaultRefreshTTL (7 days).
	RefreshTTL time.Duration
	// SubjectRevocationTTL is how long a RevokeSubject ("log out
	// everywhere") mark lasts, and a Logout of a token without exp. It must
	// be at least the longest lifetime (exp − iat) of any token that any
	// verifier reading this Store accepts, identity providers' tokens
	// included: a token issued before the mark and still valid after it
	// ends is accepted again. The store keeps the mark jwtgate.MaxLeeway
	// longer, for the verifiers' leeway. Default
	// DefaultSubjectRevocationTTL (90 days), longer than the longest
	// access-token lifetime the major providers allow, or RefreshTTL if that
	// is longer; New refuses a value shorter than RefreshTTL.
	SubjectRevocationTTL time.Duration
	// Store keeps refresh-token families and revocations. Give the verifier's
	// Config.Revoker the same store.
	Store Store
	// Leeway is the clock skew allowed when refresh tokens are verified, as
	// jwtgate.Config.Leeway: default jwtgate.DefaultLeeway, jwtgate.NoLeeway
	// for none, at most jwtgate.MaxLeeway.
	Leeway time.Duration
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Cookies, for cookie mode: RefreshCookie reads the refresh cookie and
	// checks CSRF as the verifier does. Give Config.Cookies the same value.
	Cookies *jwtgate.Cookies
	// Observer is told of every login, refresh (a spent refresh token that
	// came back, revoking its family, as reason "refresh_reused"), logout
	// and RevokeSubject, and of every call to the Store (see [Observer]).
	// Default none, at no cost.
	Observer Observer
	// Logger gets a Warn record when a spent refresh token comes back and
	// its family is revoked (a stolen token, or a client that retried a
	// refresh): the family (sid), the subject and the client, never the
	// token; at most one a second, with the count of those left out.
	// Default slog.Default().
	Logger *slog.Logger
}

// Issuer mints access and refresh tokens, rotates refresh tokens, and
// revokes. Build it with [New]; it is safe for concurrent use.
type Issuer struct {
	cfg      Config
	method   jwt.SigningMethod
	refresh  *jwtgate.Authenticator
	reuseLog ratelimit.Limiter
}

// Grant is what a login grants: the subject, its scopes, and any other
// claims. The grant is carried in the refresh token, so refreshed access
// tokens carry the same claims.
type Grant struct {
	// Subject is the sub claim; required.
	Subject string
	// Scope is the space-separated scope claim.
	Scope string
	// ClientID is the client_id claim (RFC 9068 §2.2): the OAuth client the
	// tokens are issued to. Default Config.ClientID.
	ClientID string
	// Claims are extra claims: any value that encodes to a JSON object, such as
	// a struct with json tags or a map[string]any. It must not set a claim the
	// Issuer sets (iss, sub, aud, exp, nbf, iat, jti, sid, client_id, scope,
	// scp, cnf), in any case: names that differ from those, or from each
	// other, only by case are refused, since every verifier refuses them.
	Claims any
	// JKT binds the family's tokens to the client's DPoP key (RFC 9449): the
	// RFC 7638 thumbprint of the key of a proof the request carried, as
	// jwtgate.Authenticator.CheckDPoPProof returns it. Both tokens carry it
	// as cnf.jkt, the pair's token_type is "DPoP", and the family refreshes
	// only with a proof of the same key (RefreshWithProof). Endpoints set it
	// from the login's proof; set it yourself only from a proof you checked.
	// Default "": bearer tokens.
	JKT string
}

// Pair is the answer to a login or a refresh. Its JSON form is the OAuth 2.0
// token response (RFC 6749 §5.1).
type Pair struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	// TokenType is "Bearer", or "DPoP" for tokens bound to a key (Grant.JKT).
	TokenType string `json:"token_type"`
	// ExpiresIn is the access token's lifetime in seconds.
	ExpiresIn int64 `json:"expires_in"`

	// IssuedAt is the tokens' iat; AccessExpiresAt and RefreshExpiresAt
	// their exp.
	IssuedAt         time.Time `json:"-"`
	AccessExpiresAt  time.Time `json:"-"`
	RefreshExpiresAt time.Time `json:"-"`
	// Family is the refresh-token family (the sid claim of both tokens).
	Family string `json:"-"`
}

// New checks cfg and builds an Issuer, reporting every problem at once.
func New(cfg Config) (*Issuer, error) {
	var errs []error
	add := func(msg string) { errs = append(errs, errors.New("jwtgate: issuer: "+msg)) }
	if cfg.Key == nil {
		add("Key is required")
	} else if err := cfg.Key.Validate(); err != nil {
		errs = append(errs, err)
	} else if cfg.Key.SignKey == nil {
		add("Key has no SignKey")
	}
	if cfg.Issuer == "" {
		add("Issuer is required")
	}
	if len(cfg.Audience) == 0 || slices.Contains(cfg.Audience, "") {
		add("Audience is required and may not hold an empty string")
	}
	if cfg.Store == nil || isNil(cfg.Store) {
		add("Store is required (issuing.NewMemoryStore(nil) for one instance)")
	}
	if cfg.AccessTTL < 0 || cfg.RefreshTTL < 0 || cfg.SubjectRevocationTTL < 0 {
		add("AccessTTL, RefreshTTL and SubjectRevocationTTL may not be negative")
	}
	if cfg.AccessTTL == 0 {
		cfg.AccessTTL = DefaultAccessTTL
	}
	if cfg.RefreshTTL == 0 {
		cfg.RefreshTTL = DefaultRefreshTTL
	}
	if cfg.SubjectRevocationTTL == 0 {
		cfg.SubjectRevocationTTL = max(DefaultSubjectRevocationTTL, cfg.RefreshTTL)
	}
	if cfg.RefreshTTL < cfg.AccessTTL {
		add("RefreshTTL is shorter than AccessTTL")
	}
	if cfg.SubjectRevocationTTL < cfg.RefreshTTL {
		add("SubjectRevocationTTL is shorter than RefreshTTL: a log out everywhere would end before the refresh tokens it revoked")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.ClientID == "" {
		cfg.ClientID = cfg.Issuer
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Cookies != nil {
		if err := cfg.Cookies.Validate(); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	cfg.Key = cloneKey(cfg.Key)
	i := &Issuer{cfg: cfg, method: signing.Method(cfg.Key.Algorithm)}
	i.cfg.Audience = slices.Clone(cfg.Audience)
	refresh, err := jwtgate.New(jwtgate.Config{
		Keys:           cfg.Key,
		Issuer:         []string{cfg.Issuer},
		Audience:       []string{cfg.Issuer},
		Types:          []string{RefreshTokenType},
		RequiredClaims: []string{"sub", "jti", "sid", "iat"},
		Revoker:        cfg.Store,
		Leeway:         cfg.Leeway,
		Now:            cfg.Now,
		CacheSize:      -1, // refresh tokens are used once: nothing to remember
	})
	if err != nil {
		return nil, err
	}
	i.refresh = refresh
	return i, nil
}

// AccessTTL returns the access tokens' lifetime.
func (i *Issuer) AccessTTL() time.Duration { return i.cfg.AccessTTL }

// RefreshTTL returns the refresh tokens' lifetime.
func (i *Issuer) RefreshTTL() time.Duration { return i.cfg.RefreshTTL }

// Login starts a refresh-token family for g and returns its first pair. Call
// it once the user is authenticated.
func (i *Issuer) Login(ctx context.Context, g Grant) (*Pair, error) {
	start := i.clock()
	p, err := i.login(ctx, g)
	i.observe(ctx, "login", start, err)
	return p, err
}

func (i *Issuer) login(ctx context.Context, g Grant) (*Pair, error) {
	if g.Subject == "" {
		return nil, errors.New("jwtgate: issuer: Grant.Subject is empty")
	}
	if g.JKT != "" && !isThumbprint(g.JKT) {
		return nil, errors.New("jwtgate: issuer: Grant.JKT is not an RFC 7638 SHA-256 thumbprint (43 base64url characters)")
	}
	extra, err := grantClaims(g.Claims)
	if err != nil {
		return nil, err
	}
	family, refreshID := newID(), newID()
	now := i.cfg.Now()
	if err := i.call(ctx, "start_family", func() error { return i.cfg.Store.StartFamily(ctx, family, refreshID, now.Add(i.cfg.RefreshTTL)) }); err != nil {
		return nil, newError(jwtgate.ErrUnavailable, err, "The token store is unavailable; try again later")
	}
	clientID := g.ClientID
	if clientID == "" {
		clientID = i.cfg.ClientID
	}
	return i.pair(now, grant{sub: g.Subject, scope: g.Scope, clientID: clientID, jkt: g.JKT, extra: extra}, family, refreshID)
}

// Refresh spends a refresh token and returns a new pair of the same family
// with the same grant. A spent refresh token presented again revokes the
// whole family: the thief and the victim both lose it. Two concurrent calls
// with one token never yield two pairs. Errors wrap ErrInvalidGrant, or
// jwtgate.ErrUnavailable when the store cannot answer. A family bound to a
// DPoP key refreshes only through RefreshWithProof.
func (i *Issuer) Refresh(ctx context.Context, refreshToken string) (*Pair, error) {
	return i.RefreshWithProof(ctx, refreshToken, "")
}

// RefreshWithProof is Refresh for a request that carried a DPoP proof: jkt
// is the thumbprint of its key, as jwtgate.Authenticator.CheckDPoPProof
// returns it, or "" without a proof. A family is bound or not from its
// login on (RFC 9449 §5): a bound refresh token is refused without a proof
// of its own key, and an unbound one with a proof, so that a client never
// gets tokens of another kind than it asked for. Those refusals wrap
// dpop.ErrInvalidProof (a token endpoint answers 400
// invalid_dpop_proof) and spend nothing.
func (i *Issuer) RefreshWithProof(ctx context.Context, refreshToken, jkt string) (*Pair, error) {
	start := i.clock()
	p, err := i.refreshWith(ctx, refreshToken, jkt)
	i.observe(ctx, "refresh", start, err)
	return p, err
}

func (i *Issuer) refreshWith(ctx context.Context, refreshToken, jkt string) (*Pair, error) {
	t, err := i.verifyRefresh(ctx, refreshToken, jkt)
	if err != nil {
		return nil, err
	}
	return i.rotate(ctx, t, jkt)
}

// RefreshCookie is Refresh for cookie mode: the refresh token comes from the
// request's refresh cookie, and the request must pass the CSRF checks (the
// CSRF token of the refresh token's own login, a trusted origin) before
// anything is spent. Set the returned pair's cookies with SetCookies. It
// needs Config.Cookies. Errors: jwtgate.ErrTokenMissing
// without the cookie, jwtgate.ErrInvalidRequest when it is repeated, jwtgate.ErrCSRF,
// ErrInvalidGrant, jwtgate.ErrUnavailable.
func (i *Issuer) RefreshCookie(ctx context.Context, r extractors.Request) (*Pair, error) {
	start := i.clock()
	p, err := i.refreshCookie(ctx, r)
	i.observe(ctx, "refresh", start, err)
	return p, err
}

func (i *Issuer) refreshCookie(ctx context.Context, r extractors.Request) (*Pair, error) {
	c := i.cfg.Cookies
	if c == nil {
		return nil, errors.New("jwtgate: issuer: RefreshCookie needs Config.Cookies")
	}
	_, refreshName, _ := c.Names()
	raw, n := r.Cookie(refreshName)
	switch {
	case n > 1:
		return nil, newError(jwtgate.ErrInvalidRequest, extractors.ErrRepeated, "The refresh token cookie is repeated")
	case raw == "":
		return nil, newError(jwtgate.ErrTokenMissing, nil, "No refresh token was sent")
	}
	t, err := i.verifyRefresh(ctx, raw, "")
	if err != nil {
		return nil, err
	}
	if err := c.CheckCSRF(r, t.SessionID); err != nil {
		return nil, newError(jwtgate.ErrCSRF, err, "The request failed the CSRF check")
	}
	return i.rotate(ctx, t, "")
}

// verifyRefresh verifies a refresh token presented with a DPoP proof of the
// key jkt ("" without a proof). The binding is checked before anything is
// spent: a thief holding a bound refresh token without its key cannot
// revoke the family either.
// ErrInvalidGrant is the kind of every refresh failure of the Issuer: a
// refresh token that is forged, expired, of the wrong type, spent or
// revoked. Answered 401 with body error "invalid_grant" (RFC 6749 §5.2).
var ErrInvalidGrant = kinds.ErrInvalidGrant

// errNoRefreshToken is the cause of a refresh without a refresh token.
var errNoRefreshToken = errors.New("jwtgate: no refresh token")

func (i *Issuer) verifyRefresh(ctx context.Context, refreshToken, jkt string) (*jwtgate.Token, error) {
	if refreshToken == "" {
		return nil, invalidGrant(newError(jwtgate.ErrInvalidToken, errNoRefreshToken, "The refresh token is malformed"))
	}
	t, err := i.refresh.VerifyBound(ctx, refreshToken, jkt)
	switch {
	case err == nil:
		return t, nil
	case errors.Is(err, jwtgate.ErrUnavailable):
		return nil, err
	case errors.Is(err, dpop.ErrTokenBound) && jkt == "":
		return nil, newError(dpop.ErrInvalidProof, errProofNeeded, "The refresh token is bound to a key: refresh with a DPoP proof of it")
	case errors.Is(err, dpop.ErrTokenBound):
		return nil, newError(dpop.ErrInvalidProof, errOtherKey, "The DPoP proof is not of the key the refresh token is bound to")
	case errors.Is(err, dpop.ErrTokenNotBound):
		return nil, newError(dpop.ErrInvalidProof, errNotBound, "The refresh token is not bound to a key: log in with DPoP to get one that is")
	}
	return nil, invalidGrant(err)
}

func (i *Issuer) rotate(ctx context.Context, t *jwtgate.Token, jkt string) (*Pair, error) {
	claims := t.Claims.(*jwtgate.Claims)
	extra, err2 := payloadExtras(claims.Raw())
	if err2 != nil {
		return nil, invalidGrant(err2)
	}
	next := newID()
	now := i.cfg.Now()
	if err := i.call(ctx, "rotate_family", func() error { return i.cfg.Store.RotateFamily(ctx, t.SessionID, t.ID, next, now.Add(i.cfg.RefreshTTL)) }); err != nil {
		if errors.Is(err, ErrRefreshReused) {
			i.logReuse(ctx, t)
		}
		if errors.Is(err, ErrRefreshReused) || errors.Is(err, ErrFamilyUnknown) {
			return nil, invalidGrant(err)
		}
		return nil, newError(jwtgate.ErrUnavailable, err, "The token store is unavailable; try again later")
	}
	var clientID string
	if _, err := claims.Get("client_id", &clientID); err != nil || clientID == "" {
		clientID = i.cfg.ClientID // a refresh token minted before client_id was carried
	}
	return i.pair(now, grant{sub: t.Subject, scope: string(claims.Scope), clientID: clientID, jkt: t.JKT, extra: extra}, t.SessionID, next)
}

// Logout revokes the access token t and its whole family: every refresh
// token and access token issued from the same login. A token without sid
// (not minted by an Issuer) has only itself revoked, until its exp (for
// Config.SubjectRevocationTTL when it has none). The store keeps each
// revocation jwtgate.MaxLeeway past it, for the verifiers' leeway.
func (i *Issuer) Logout(ctx context.Context, t *jwtgate.Token) error {
	start := i.clock()
	err := i.logout(ctx, t)
	i.observe(ctx, "logout", start, err)
	return err
}

func (i *Issuer) logout(ctx context.Context, t *jwtgate.Token) error {
	if t == nil {
		return errors.New("jwtgate: issuer: Logout of a nil token")
	}
	until := t.ExpiresAt
	if until.IsZero() {
		// A token that never expires: revoked for as long as the longest
		// lifetime of the tokens the verifiers accept.
		until = i.cfg.Now().Add(i.cfg.SubjectRevocationTTL)
	}
	var errs []error
	if t.ID != "" {
		errs = append(errs, i.call(ctx, "revoke_token", func() error { return i.cfg.Store.RevokeToken(ctx, t.ID, until) }))
	}
	if t.SessionID != "" {
		errs = append(errs, i.call(ctx, "revoke_family", func() error { return i.cfg.Store.RevokeFamily(ctx, t.SessionID, i.cfg.Now().Add(i.cfg.RefreshTTL)) }))
	}
	if err := errors.Join(errs...); err != nil {
		return newError(jwtgate.ErrUnavailable, err, "The token store is unavailable; try again later")
	}
	return nil
}

// RevokeSubject revokes every token of subject issued until now ("log out
// everywhere"), for Config.SubjectRevocationTTL: those of other issuers
// whose verifiers read the same Store too. Tokens issued afterwards are not
// affected, those of a login in the same second included: NumericDates are
// whole seconds, so the store tells a token of that second by when its
// login's family started (see Store.RevokeSubject).
func (i *Issuer) RevokeSubject(ctx context.Context, subject string) error {
	start := i.clock()
	err := i.revokeSubject(ctx, subject)
	i.observe(ctx, "revoke_subject", start, err)
	return err
}

func (i *Issuer) revokeSubject(ctx context.Context, subject string) error {
	now := i.cfg.Now()
	if err := i.call(ctx, "revoke_subject", func() error { return i.cfg.Store.RevokeSubject(ctx, subject, now, now.Add(i.cfg.SubjectRevocationTTL)) }); err != nil {
		return newError(jwtgate.ErrUnavailable, err, "The token store is unavailable; try again later")
	}
	return nil
}

// logReuse tells the operator that a spent refresh token came back: the
// family is revoked, and someone may hold a stolen token.
func (i *Issuer) logReuse(ctx context.Context, t *jwtgate.Token) {
	suppressed, ok := i.reuseLog.Allow(i.cfg.Now())
	if !ok || !i.cfg.Logger.Enabled(ctx, slog.LevelWarn) {
		return
	}
	var clientID string
	if c, ok := t.Claims.(*jwtgate.Claims); ok {
		_, _ = c.Get("client_id", &clientID)
	}
	attrs := []slog.Attr{slog.String("reason", "refresh_reused"), slog.String("sid", t.SessionID), slog.String("sub", t.Subject)}
	if clientID != "" {
		attrs = append(attrs, slog.String("client_id", clientID))
	}
	if suppressed > 0 {
		attrs = append(attrs, slog.Int("suppressed", suppressed))
	}
	i.cfg.Logger.LogAttrs(ctx, slog.LevelWarn, "jwtgate: a spent refresh token came back; its family is revoked", attrs...)
}

func invalidGrant(cause error) error {
	return &jwtgate.Error{Kind: ErrInvalidGrant, Cause: cause, Description: "The refresh token is invalid, expired, revoked or already used"}
}

// pair signs an access token and a refresh token of one family.
func (i *Issuer) pair(now time.Time, g grant, family, refreshID string) (*Pair, error) {
	// Whole seconds: a verifier that rounds "now" down to the second (PyJWT,
	// joserfc, jose's maxTokenAge) would otherwise see a token issued up to a
	// second in the future during its first second.
	now = now.Truncate(time.Second)
	accessExp := now.Add(i.cfg.AccessTTL)
	refreshExp := now.Add(i.cfg.RefreshTTL)
	var aud any = i.cfg.Audience[0]
	if len(i.cfg.Audience) > 1 {
		aud = i.cfg.Audience
	}
	access, err := i.sign(AccessTokenType, claimSet(g, i.cfg.Issuer, aud, now, accessExp, newID(), family))
	if err != nil {
		return nil, err
	}
	refresh, err := i.sign(RefreshTokenType, claimSet(g, i.cfg.Issuer, i.cfg.Issuer, now, refreshExp, refreshID, family))
	if err != nil {
		return nil, err
	}
	typ := "Bearer"
	if g.jkt != "" {
		typ = "DPoP"
	}
	return &Pair{
		AccessToken: access, RefreshToken: refresh, TokenType: typ,
		ExpiresIn: int64(i.cfg.AccessTTL / time.Second),
		IssuedAt:  now, AccessExpiresAt: accessExp, RefreshExpiresAt: refreshExp, Family: family,
	}, nil
}

// grant is what a family's tokens carry, from the login to every refresh.
type grant struct {
	sub, scope, clientID string
	jkt                  string // the DPoP key's thumbprint, or ""
	extra                map[string]any
}

// claimSet is the claims of one token: RFC 9068 §2.2's iss, exp, aud, sub,
// client_id, iat and jti, the family as sid, the scope, the DPoP key's
// thumbprint as cnf.jkt, and the grant's own claims. NumericDates in whole
// seconds.
func claimSet(g grant, iss string, aud any, iat, exp time.Time, jti, sid string) jwt.MapClaims {
	c := make(jwt.MapClaims, len(g.extra)+10)
	for k, v := range g.extra {
		c[k] = v
	}
	c["iss"], c["sub"], c["aud"], c["jti"], c["sid"], c["client_id"] = iss, g.sub, aud, jti, sid, g.clientID
	c["iat"], c["exp"] = iat.Unix(), exp.Unix()
	if g.scope != "" {
		c["scope"] = g.scope
	}
	if g.jkt != "" {
		c["cnf"] = map[string]string{"jkt": g.jkt} // RFC 9449 §6.1
	}
	return c
}

func (i *Issuer) sign(typ string, c jwt.MapClaims) (string, error) {
	t := jwt.NewWithClaims(i.method, c)
	t.Header["typ"] = typ
	if i.cfg.Key.ID != "" {
		t.Header["kid"] = i.cfg.Key.ID
	}
	return t.SignedString(i.cfg.Key.SignKey)
}

// issuerClaims are the claims the Issuer sets itself.
var issuerClaims = []string{"iss", "sub", "aud", "exp", "nbf", "iat", "jti", "sid", "client_id", "scope", "scp", "cnf"}

// Why a refresh's DPoP binding is refused.
var (
	errProofNeeded = errors.New("jwtgate: issuer: a bound refresh token without a DPoP proof")
	errNotBound    = errors.New("jwtgate: issuer: a DPoP proof with a refresh token bound to no key")
	errOtherKey    = errors.New("jwtgate: issuer: a DPoP proof of another key than the refresh token's")
)

// isThumbprint reports whether s has the shape of a SHA-256 JWK thumbprint:
// 32 bytes in unpadded base64url.
func isThumbprint(s string) bool {
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	return err == nil && len(b) == 32
}

// grantClaims turns Grant.Claims into a map, refusing registered names.
func grantClaims(v any) (map[string]any, error) {
	if v == nil {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, errors.New("jwtgate: issuer: Grant.Claims: " + err.Error())
	}
	m, err := payloadExtras(b)
	if err != nil {
		return nil, errors.New("jwtgate: issuer: Grant.Claims must encode to a JSON object")
	}
	// The verifier reads a token one way only: it refuses names equal under
	// case folding, and case variants of the registered claims. Refuse them
	// here, where a name may come from user input, rather than mint tokens
	// that every verifier refuses.
	var members parse.Members[[]byte]
	for {
		n, _, ok := members.Next(b)
		if !ok {
			break
		}
		for _, name := range issuerClaims {
			if strings.EqualFold(string(n), name) {
				return nil, errors.New("jwtgate: issuer: Grant.Claims sets " + quote(string(n)) + ", which the Issuer sets itself")
			}
		}
	}
	if members.Failed() {
		return nil, errors.New("jwtgate: issuer: Grant.Claims holds two names that differ only in case (or a lone UTF-16 surrogate)")
	}
	return m, nil
}

// payloadExtras returns the members of a JSON object that the Issuer does not
// set itself, with numbers kept exact.
func payloadExtras(obj []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(obj))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil || m == nil {
		return nil, errors.New("jwtgate: not a JSON object")
	}
	for _, name := range issuerClaims {
		delete(m, name)
	}
	return m, nil
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// cloneKey copies k as jwtgate.New does: changing the Key given to New
// afterwards changes nothing.
func cloneKey(k *jwtgate.Key) *jwtgate.Key {
	c := *k
	if b, ok := c.VerifyKey.([]byte); ok {
		c.VerifyKey = bytes.Clone(b)
	}
	if b, ok := c.SignKey.([]byte); ok {
		c.SignKey = bytes.Clone(b)
	}
	return &c
}

func isNil(v any) bool {
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Func, reflect.Interface:
		return rv.IsNil()
	}
	return false
}

func newError(kind, cause error, desc string) *jwtgate.Error {
	return &jwtgate.Error{Kind: kind, Cause: cause, Description: desc}
}

func quote(s string) string {
	if len(s) > 64 {
		s = s[:64] + "…"
	}
	return `"` + s + `"`
}

// clock is the start of an operation an Observer will be told about: the
// zero time, without reading a clock, when there is none.
func (i *Issuer) clock() time.Time {
	if i.cfg.Observer == nil {
		return time.Time{}
	}
	return time.Now()
}

// observe tells the Observer how an operation ended.
func (i *Issuer) observe(ctx context.Context, op string, start time.Time, err error) {
	if i.cfg.Observer == nil {
		return
	}
	reason := jwtgate.Reason(err)
	if errors.Is(err, ErrRefreshReused) {
		reason = "refresh_reused"
	}
	i.cfg.Observer.Issued(ctx, &Issue{Op: op, Reason: reason, Start: start, Duration: time.Since(start), Err: err})
}

// call runs one call to the store, timed for the Observer.
func (i *Issuer) call(ctx context.Context, op string, fn func() error) error {
	if i.cfg.Observer == nil {
		return fn()
	}
	start := time.Now()
	err := fn()
	i.cfg.Observer.StoreCall(ctx, &jwtgate.StoreCall{Op: op, Start: start, Duration: time.Since(start), Err: err})
	return err
}

// Observer sees the issuing side's operations, where they happen, for
// metrics and traces: each login, refresh, logout and RevokeSubject, and
// each call to the Store. The OpenTelemetry module implements it (and
// jwtgate.Observer and jwks.Observer). Events are structs, so that a fact
// added later breaks no implementation; embed [NopObserver] to implement
// only some methods. Methods are called synchronously, after the fact:
// keep them fast, and keep nothing an event points to.
type Observer interface {
	// Issued is called after each operation.
	Issued(ctx context.Context, e *Issue)
	// StoreCall is called after each call to the Store: Op is its method
	// ("start_family", "rotate_family", "revoke_token", "revoke_family",
	// "revoke_subject").
	StoreCall(ctx context.Context, c *jwtgate.StoreCall)
}

// NopObserver implements [Observer] with methods that do nothing.
type NopObserver struct{}

func (NopObserver) Issued(context.Context, *Issue)                {}
func (NopObserver) StoreCall(context.Context, *jwtgate.StoreCall) {}

// Issue is one operation of the issuing side.
type Issue struct {
	// Op is "login", "refresh", "logout" or "revoke_subject".
	Op string
	// Reason is "" for a success, else jwtgate.Reason(Err), or
	// "refresh_reused" when a spent refresh token came back and its family
	// was revoked.
	Reason string
	// Start and Duration time the operation.
	Start    time.Time
	Duration time.Duration
	// Err is why it failed; nil when it succeeded.
	Err error
}
