package jwtgate

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtgate/jwtgate/extractors"
)

// Token is a verified token. Each request gets a Token of its own, and
// Claims of its own: what a handler changes in them (a *Claims' fields, a
// jwt.MapClaims, a claims type of yours) is never seen by another request,
// cached or not. A token served from the verified-token cache is a copy of
// the cached one: jwtgate's *Claims copied field by field, any other claims
// type decoded again from the payload.
type Token struct {
	// Raw is the token as it was sent. Never log it or send it back.
	Raw string
	// Source says where the extractor found it: its kind (header, cookie,
	// query, form, path parameter) and name.
	Source extractors.Source
	// Algorithm is the header's alg, equal to the verifying key's algorithm.
	Algorithm string
	// KeyID is the header's kid, "" when absent.
	KeyID string
	// Type is the header's typ, "" when absent.
	Type string
	// Claims is the value Config.NewClaims returned (by default *Claims),
	// filled in from the payload.
	Claims jwt.Claims

	// Issuer, Subject and ID are the iss, sub and jti claims ("" when absent).
	Issuer, Subject, ID string
	// SessionID is the sid claim: the refresh-token family (the login) the
	// token was issued from, "" when absent.
	SessionID string
	// JKT is the token's cnf.jkt: the RFC 7638 thumbprint of the key it is
	// bound to (RFC 9449 §6), "" for a bearer token. A token that has one
	// was verified with a DPoP proof of that key.
	JKT string
	// ClientID is the client the token was issued to: its azp claim (OpenID
	// Connect's authorized party), else its client_id (RFC 9068); "" when it
	// has neither.
	ClientID string
	// ExpiresAt and IssuedAt are the exp and iat claims (zero when absent).
	ExpiresAt, IssuedAt time.Time

	scope string
	scp   []string // read-only, shared with the cached token's
	node  *own     // the request's own allocation, which NewContext may use once as its context node
}

// own is a Token for one request: the Token, the default Claims it points
// to, room for a one-element Audience (most tokens'), and what makes it the
// context node NewContext hands out (see NewContext), in one allocation of
// the 576-byte size class, its malloc header included (TestOwnSize).
type own struct {
	Token
	claims Claims
	aud    [1]string       // a one-element Audience's copy
	parent context.Context // set once, by NewContext
	used   atomic.Bool     // NewContext has made o a context
}

// newOwn returns an own whose Token knows it.
func newOwn() *own {
	o := new(own)
	o.Token.node = o
	return o
}

// copyClaims makes o's Claims a copy of c that shares nothing a handler can
// write: the dates point into the copy, and the lists are copies (capped,
// so that an append reallocates rather than write into another's array).
func (o *own) copyClaims(c *Claims) {
	o.claims = *c
	for i, d := range []**jwt.NumericDate{&o.claims.ExpiresAt, &o.claims.NotBefore, &o.claims.IssuedAt} {
		if *d != nil {
			*d = &o.claims.dates[i]
		}
	}
	o.claims.Audience = cloneList(o.aud[:], c.Audience)
	o.claims.Scp = cloneList(nil, c.Scp)
	o.Token.Claims = &o.claims
}

// cloneList copies src into buf (one element, or nil) when it fits, else
// into a slice of its own; nil stays nil.
func cloneList(buf []string, src jwt.ClaimStrings) jwt.ClaimStrings {
	switch len(src) {
	case 0:
		if src == nil {
			return nil
		}
		return jwt.ClaimStrings{}
	case 1:
		if buf != nil {
			buf[0] = src[0]
			return buf[:1:1]
		}
	}
	return slices.Clone(src)
}

// JWT returns the token as golang-jwt's *jwt.Token, for handlers written
// against golang-jwt (echo-jwt, gin-jwt and gofiber's contrib jwt store
// one): Raw, Method (the signing method of its alg), Header (decoded),
// Claims (t.Claims itself), Signature and Valid, true. It is built on each
// call; the adapters' StoreJWTToken option stores it under ContextKey.
func (t *Token) JWT() *jwt.Token {
	jt := &jwt.Token{Raw: t.Raw, Method: signingMethod(t.Algorithm), Claims: t.Claims, Valid: true}
	jt.Header, _ = t.Header() // verified: it decodes
	if i := strings.LastIndexByte(t.Raw, '.'); i >= 0 {
		jt.Signature, _ = strictB64.DecodeString(t.Raw[i+1:])
	}
	return jt
}

// Header decodes the token's JOSE header. It is decoded on each call: the
// verification itself reads the header without building a map.
func (t *Token) Header() (map[string]any, error) {
	seg, _, _ := strings.Cut(t.Raw, ".")
	b, err := strictB64.DecodeString(seg)
	if err != nil {
		return nil, err
	}
	var h map[string]any
	if err := json.Unmarshal(b, &h); err != nil {
		return nil, err
	}
	return h, nil
}

// Scopes returns the token's scopes: the space-separated scope claim and the
// scp claim (an array, or a space-separated string), read by RFC 6749 §3.3's
// grammar, as HasScope and every RequireScopes read them: split on single
// spaces only; a piece with a character outside the grammar (a tab, a
// quote, a non-ASCII letter) is not a scope and is left out.
func (t *Token) Scopes() []string { return appendScopes(nil, t.scope, t.scp) }

// HasScope reports whether the token grants scope s: whether s is one of
// Scopes(). Scopes compare exactly.
func (t *Token) HasScope(s string) bool { return hasScope(t.scope, t.scp, s) }

type ctxKey struct{}

// NewContext returns a copy of ctx that carries t. Every adapter stores the
// verified token this way, so code below any framework reads it the same way.
//
// The first call for a Token the Authenticator returned uses a context
// node allocated with the Token, so that carrying it costs no allocation
// of its own; any other call allocates as context.WithValue does.
func NewContext(ctx context.Context, t *Token) context.Context {
	if t != nil && t.node != nil && &t.node.Token == t && t.node.used.CompareAndSwap(false, true) {
		t.node.parent = ctx
		return t.node
	}
	return context.WithValue(ctx, ctxKey{}, t)
}

// FromContext returns the verified token stored in ctx, if any.
func FromContext(ctx context.Context) (*Token, bool) {
	t, ok := ctx.Value(ctxKey{}).(*Token)
	return t, ok && t != nil
}

// ClaimsFromContext returns the claims of the token in ctx as T, the type
// Config.NewClaims returns (by default *Claims). It reports false when ctx
// carries no token or its claims are of another type.
func ClaimsFromContext[T jwt.Claims](ctx context.Context) (T, bool) {
	t, ok := FromContext(ctx)
	if !ok {
		var zero T
		return zero, false
	}
	c, ok := t.Claims.(T)
	return c, ok
}

// CheckScopes returns nil when t grants every scope in required, and
// otherwise an *Error of kind ErrInsufficientScope whose Scopes are
// required, answered 403 with scope="…" in the challenge (RFC 6750 §3.1):
// for a check inside a handler, where a route's RequireScopes does not fit.
// A nil t (a request without token let through by CredentialsOptional)
// fails with ErrTokenMissing.
func (t *Token) CheckScopes(required ...string) error {
	if t == nil {
		return newError(ErrTokenMissing, nil, "")
	}
	for _, s := range required {
		if !t.HasScope(s) {
			return &Error{Kind: ErrInsufficientScope, Description: "The access token lacks a required scope", Scopes: required}
		}
	}
	return nil
}

// SentInURL reports whether the token came in the URL: a query or path
// parameter, by its Source's kind. A 2xx answer to such a request carries
// Cache-Control: private (RFC 6750 §2.3), which every adapter sets.
func (t *Token) SentInURL() bool { return t.Source.InURL() }

// An own, once NewContext has used it, is a context carrying its token:
// what context.WithValue(parent, ctxKey{}, &o.Token) is, without an
// allocation of its own.

func (o *own) Deadline() (deadline time.Time, ok bool) { return o.parent.Deadline() }
func (o *own) Done() <-chan struct{}                   { return o.parent.Done() }
func (o *own) Err() error                              { return o.parent.Err() }
func (o *own) Value(key any) any {
	if key == (ctxKey{}) {
		return &o.Token
	}
	return o.parent.Value(key)
}
func (o *own) String() string { return fmt.Sprint(o.parent) + ".WithValue(jwtgate token)" }
