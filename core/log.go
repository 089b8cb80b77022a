package jwtgate

import (
	"context"
	"log/slog"
	"strings"
)

// facts are what a refusal's log record says about the token, where they
// were read: never the token, a signature or a key.
type facts struct {
	alg, kid, typ string
	iss, sub      string
	aud           string // the raw JSON value
	claim         string // the required claim that was missing
}

func factsOf(t *Token) facts {
	return facts{alg: t.Algorithm, kid: t.KeyID, typ: t.Type, iss: t.Issuer, sub: t.Subject}
}

// logRefusal writes one record per refusal: the reason, the request's
// method and path where the view has them, the token source, and what was
// read of the token (alg, kid, typ, iss, sub, aud, the missing claim) beside
// what the configuration expects (iss, aud) when it tells why, and the
// cause on one line. Client refusals are logged at Config.RefusalLevel
// (default Debug); a store that cannot answer at Warn, at most once a second
// with the count of those left out.
func (a *Authenticator) logRefusal(ctx context.Context, at *attempt, err *Error) {
	level := a.refusalLevel.Level()
	if err.Kind == ErrUnavailable {
		level = slog.LevelWarn
	}
	if err.Kind == ErrMisconfigured || !a.logger.Enabled(ctx, level) {
		return // ErrMisconfigured is logged once per mistake, at Error, where it is found
	}
	var suppressed int
	if level >= slog.LevelWarn {
		var ok bool
		if suppressed, ok = a.warnLimit.Allow(a.now()); !ok {
			return
		}
	}
	reason := err.noteReason()
	attrs := make([]slog.Attr, 0, 16)
	attrs = append(attrs, slog.String("reason", reason), slog.Int("status", a.Response(err).Status))
	if at.r != nil {
		attrs = append(attrs, slog.String("method", at.r.Method()), slog.String("path", at.r.Path()))
	}
	f := err.facts
	for _, kv := range [...][2]string{{"source", at.source.String()}, {"alg", f.alg}, {"kid", f.kid}, {"typ", f.typ}, {"iss", f.iss}, {"sub", f.sub}, {"aud", f.aud}, {"claim", f.claim}} {
		if kv[1] != "" {
			attrs = append(attrs, slog.String(kv[0], kv[1]))
		}
	}
	switch reason {
	case "issuer":
		attrs = append(attrs, slog.String("iss_expected", strings.Join(a.issuers, " ")))
	case "audience":
		attrs = append(attrs, slog.String("aud_expected", strings.Join(a.audience, " ")))
	case "authorized_party":
		attrs = append(attrs, slog.String("azp_expected", strings.Join(a.parties, " ")))
	case "insufficient_scope":
		attrs = append(attrs, slog.String("scope_required", strings.Join(err.Scopes, " ")))
	}
	if err.Cause != nil {
		attrs = append(attrs, slog.String("error", oneLine(err.Cause)))
	}
	if suppressed > 0 {
		attrs = append(attrs, slog.Int("suppressed", suppressed))
	}
	a.logger.LogAttrs(ctx, level, "jwtgate: request refused", attrs...)
}
