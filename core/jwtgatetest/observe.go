package jwtgatetest

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	jwtgate "github.com/jwtgate/jwtgate/core"
)

// Every case runs with a recording logger and Observer: what a refusal
// leaves in the server's log and in metrics is checked through every
// adapter, like the answer itself.

// recorder is a slog.Handler that keeps every record, and an Observer that
// keeps every outcome.
type recorder struct {
	jwtgate.NopObserver
	mu         sync.Mutex
	records    []slog.Record
	outcomes   []jwtgate.Outcome
	authorized []jwtgate.Outcome // the scope guard's checks
}

func (r *recorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *recorder) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.records = append(r.records, rec.Clone())
	return nil
}
func (r *recorder) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *recorder) WithGroup(string) slog.Handler      { return r }

// reset forgets what the requests before the case's own left.
func (r *recorder) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.records, r.outcomes, r.authorized = nil, nil, nil
}

func (r *recorder) Authorized(_ context.Context, o *jwtgate.Outcome) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.authorized = append(r.authorized, *o)
}

func (r *recorder) Authenticated(_ context.Context, o *jwtgate.Outcome) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.outcomes = append(r.outcomes, *o)
}

// reasons maps the answers of the cases to the reason their refusal is
// logged and observed with (jwtgate.Reason).
var reasons = map[string]string{
	descSignature: "bad_signature", descMalformed: "malformed", descTooLarge: "too_large", descExpired: "expired",
	descNotYetValid: "not_yet_valid", descFuture: "issued_in_future", descIssuer: "issuer", descAudience: "audience",
	descSubject: "subject", descParty: "authorized_party", descRequiredClaim: "missing_claim", descClaims: "validation",
	descAlgorithm: "algorithm", descUnknownKey: "unknown_key", descHeader: "header", descType: "type",
	descCritical: "critical_header", descRevoked: "revoked", descMultiple: "multiple_methods", descRepeated: "repeated",
	descCredential: "malformed_request", descMissing: "missing_token", descScope: "insufficient_scope",
	descUnavailable: "store_unavailable", descMisconfigured: "misconfigured",
	descProof: "dpop_proof", descNonce: "use_dpop_nonce", descBound: "dpop_bound", descNotBound: "dpop_not_bound",
	descDPoPOnly: "dpop_required",
}

// checkObserved holds the log records and outcomes of one request to its
// answer: a refusal is one record with its reason (Debug for the client's
// fault, Warn for a store that cannot answer) and, when authentication
// refused it, one outcome with the same reason; nothing in them holds a
// token, a token segment or a key.
func checkObserved(t *testing.T, fx *fixture, e *env, rec *recorder, tc testCase) {
	w := tc.want
	t.Helper()
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var refusals []slog.Record
	var text strings.Builder
	for _, r := range rec.records {
		text.WriteString(r.Message)
		r.Attrs(func(a slog.Attr) bool {
			text.WriteString(" " + a.Key + "=" + a.Value.String())
			return true
		})
		text.WriteString("\n")
		if r.Message == "jwtgate: request refused" {
			refusals = append(refusals, r)
		}
	}
	checkNoLeak(t, fx, e.sent, nil, []byte(text.String()))
	if w.accepted && len(tc.scopes) > 0 {
		if assert.Len(t, rec.authorized, 1, "scope checks observed") {
			assert.Empty(t, rec.authorized[0].Reason, "a granted scope check")
			assert.NoError(t, rec.authorized[0].Err)
		}
	}
	if w.accepted {
		assert.Empty(t, refusals, "an accepted request logs no refusal")
		if assert.Len(t, rec.outcomes, 1, "outcomes observed") {
			assert.NoError(t, rec.outcomes[0].Err)
			assert.Empty(t, rec.outcomes[0].Reason)
			assert.False(t, rec.outcomes[0].Start.IsZero(), "an outcome has its start")
		}
		return
	}
	reason, known := reasons[w.desc]
	if w.code == "csrf" {
		reason, known = "csrf", true
	}
	if !assert.True(t, known, "no reason known for %q", w.desc) {
		return
	}
	if reason != "misconfigured" { // logged once per Authenticator, at Error, where it is found
		if assert.Len(t, refusals, 1, "one record per refusal: %s", text.String()) {
			r := refusals[0]
			wantLevel := slog.LevelDebug
			if reason == "store_unavailable" {
				wantLevel = slog.LevelWarn
			}
			assert.Equal(t, wantLevel, r.Level, "level")
			assert.Equal(t, reason, attr(r, "reason"), "the record's reason")
			assert.NotContains(t, attr(r, "error"), "\n", "errors print on one line")
			assert.NotEmpty(t, attr(r, "method"), "the request's method")
			wantPath := "/protected"
			if tc.path != "" { // RunTokens: the RPC's full method name
				wantPath = tc.path
			}
			assert.Equal(t, wantPath, attr(r, "path"), "the request's path")
		}
	}
	guard := reason == "insufficient_scope" || reason == "misconfigured" && tc.miswired ||
		(reason == "missing_token" && len(tc.scopes) > 0 && (tc.miswired || len(rec.outcomes) == 1 && rec.outcomes[0].Err == nil))
	switch {
	case guard:
		// The scope guard refused: authentication, observed, had passed
		// (or, miswired, never ran); the guard's check is observed.
		for _, o := range rec.outcomes {
			assert.NoError(t, o.Err)
		}
		if assert.Len(t, rec.authorized, 1, "scope checks observed") {
			assert.Equal(t, reason, rec.authorized[0].Reason, "the scope check's reason")
			assert.Error(t, rec.authorized[0].Err)
		}
	default:
		assert.Empty(t, rec.authorized, "a request refused by authentication never reaches the scope guard")
		if assert.Len(t, rec.outcomes, 1, "outcomes observed") {
			assert.Equal(t, reason, rec.outcomes[0].Reason, "the observed reason")
			assert.Error(t, rec.outcomes[0].Err)
			assert.GreaterOrEqual(t, rec.outcomes[0].Duration, time.Duration(0))
		}
	}
}

func attr(r slog.Record, key string) string {
	var v string
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == key {
			v = a.Value.String()
			return false
		}
		return true
	})
	return v
}
