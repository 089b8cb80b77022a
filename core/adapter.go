package jwtgate

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/jwtgate/jwtgate/core/internal/refusal"
	"github.com/jwtgate/jwtgate/extractors"
)

// What the adapters call besides Authenticate: the decisions each of them
// would otherwise restate, made here once.

// AcceptedHeaders sets the headers the answer to a request with the verified
// token t must carry: Cache-Control: private when t came in the URL query
// (RFC 6750 §2.3), so that no shared cache keeps a response its URL
// authenticated. Adapters call it once a request has passed.
func (a *Authenticator) AcceptedHeaders(t *Token, h interface{ Set(key, value string) }) {
	if t != nil && t.SentInURL() {
		h.Set("Cache-Control", "private")
	}
	if t != nil && t.JKT != "" && a.dpop != nil && a.dpop.Nonces != nil {
		h.Set("DPoP-Nonce", a.dpop.Nonces.Nonce()) // the one the next proof carries (RFC 9449 §9)
	}
}

// SetHeaders sets the headers of the answer r: the WWW-Authenticate challenge
// when r has one, Content-Type application/json and Cache-Control no-store.
// The adapters' default error answers are SetHeaders, r.Status and r.Body().
func (r Response) SetHeaders(h interface{ Set(key, value string) }) {
	if r.WWWAuthenticate != "" {
		if hh, ok := h.(http.Header); ok {
			// Its canonical form, which http.Header.Set would allocate on
			// every refusal; the same field on the wire.
			hh["Www-Authenticate"] = []string{r.WWWAuthenticate}
		} else {
			h.Set("WWW-Authenticate", r.WWWAuthenticate)
		}
	}
	if r.DPoPNonce != "" {
		h.Set("DPoP-Nonce", r.DPoPNonce)
	}
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
}

// ErrMisconfigured is the kind of a request the server cannot decide because
// it is wired wrongly: a scope guard (every adapter's RequireScopes) found no
// verified token in a request that carries one, because the authenticating
// middleware does not run before it; or AuthenticateWith was given a Policy
// that CheckPolicy refuses. Answered 500 {"error":"server_error"}: the
// client did nothing wrong. Each mistake is logged once per Authenticator,
// at Error, to Config.Logger or else slog.Default().
var ErrMisconfigured = errors.New("jwtgate: misconfigured")

// Authorize is the scope guard of every adapter's RequireScopes: nil when t
// grants every one of scopes; an *Error of kind ErrInsufficientScope (403)
// when it lacks one. When t is nil — no verified token in the request's
// context — it answers ErrTokenMissing (401) for a request that sends no
// token (one let through by CredentialsOptional), and ErrMisconfigured (500)
// for a request that does send one: the authenticating middleware did not
// run before the guard, which is the server's wiring, not the client's
// fault.
//
// A request whose authentication was refused, and which the application let
// go on (its context marked by adapt.WithRefusal), is refused again here with
// that refusal: a scope guard never lets a request through without a token
// that grants the scopes.
//
// A refusal is logged as Authenticate's are (reason "insufficient_scope",
// the scopes required) and given to Config.OnError; the Observer is told of
// every check, granted or refused (Observer.Authorized), apart from the
// request's authentication it saw already.
func (a *Authenticator) Authorize(ctx context.Context, r extractors.Request, t *Token, scopes ...string) error {
	var start time.Time
	if a.observer != nil {
		start = time.Now()
	}
	var err *Error
	switch {
	case t != nil:
		if t.CheckScopes(scopes...) == nil {
			if a.observer != nil {
				a.observer.Authorized(ctx, &Outcome{Start: start, Duration: time.Since(start), Token: t, Source: t.Source, Alg: t.Algorithm})
			}
			return nil
		}
		// A bound token came with the DPoP scheme: the error goes in the DPoP
		// challenge (RFC 9449 §7.1).
		err = &Error{Kind: ErrInsufficientScope, Description: "The access token lacks a required scope", Scopes: scopes, facts: factsOf(t), dpop: t.JKT != ""}
	case refusedBefore(ctx) != nil:
		// The authenticating middleware refused the request and the
		// application let it go on (an ErrorHandler that continues): the
		// guard refuses it as authentication did, never as a wiring
		// mistake, and never lets it through. Logged and observed once, by
		// Authenticate.
		err = refusedBefore(ctx)
		if a.observer != nil {
			a.observer.Authorized(ctx, &Outcome{Start: start, Duration: time.Since(start), Err: err, Reason: Reason(err)})
		}
		return err
	default:
		_, _, isDPoP, _ := dpopRequest(r)
		if raw, _, xerr := a.extractor.Extract(r); raw == "" && xerr == nil && !isDPoP {
			err = newError(ErrTokenMissing, nil, "")
			break
		}
		a.wiring.Do(func() {
			a.logger.LogAttrs(ctx, slog.LevelError, "jwtgate: a scope guard found no verified token in a request that sends one: mount the authenticating middleware (New) before RequireScopes, on the same routes")
		})
		err = newError(ErrMisconfigured, errors.New("jwtgate: a scope guard runs without the authenticating middleware before it"), "The server is misconfigured")
	}
	if a.onError != nil {
		err.noteReason() // before the hook may share err (see fail)
		a.onError(ctx, err)
	}
	a.logRefusal(ctx, &attempt{r: r}, err)
	if a.observer != nil {
		o := &Outcome{Start: start, Duration: time.Since(start), Token: t, Err: err, Reason: err.noteReason()}
		if t != nil {
			o.Source, o.Alg = t.Source, t.Algorithm
		}
		a.observer.Authorized(ctx, o)
	}
	return err
}

// refusedBefore is the refusal adapt.WithRefusal put in ctx, or nil.
func refusedBefore(ctx context.Context) *Error {
	e, _ := ctx.Value(refusal.Key{}).(*Error)
	return e
}
