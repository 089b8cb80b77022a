package jwtgate

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/jwtgate/jwtgate/core/dpop"
	"github.com/jwtgate/jwtgate/core/internal/kinds"
)

// The kinds of failure. Every error returned by [Authenticator.Authenticate]
// and [Authenticator.Authorize] wraps exactly one of them, named after RFC 6750 §3.1; the
// issuing package's Issuer adds issuing.ErrInvalidGrant for refresh tokens.
var (
	// ErrTokenMissing: the request carries no token. Answered 401 with a bare
	// challenge (no error code), as RFC 6750 §3.1 asks.
	ErrTokenMissing = errors.New("jwtgate: token missing")
	// ErrInvalidRequest: the token is presented in a malformed way (sent by two
	// methods, repeated, "Bearer" with nothing after it). Answered 400.
	ErrInvalidRequest = errors.New("jwtgate: invalid request")
	// ErrInvalidToken: the token is malformed, forged, expired, not yet valid,
	// for someone else, of the wrong type or revoked. Answered 401.
	ErrInvalidToken = errors.New("jwtgate: invalid token")
	// ErrInsufficientScope: the token is valid but lacks a required scope.
	// Answered 403.
	ErrInsufficientScope = errors.New("jwtgate: insufficient scope")
	// ErrUnavailable: the revocation store could not answer, so the token could
	// not be checked. Answered 503: a token that cannot be checked never passes
	// unless Config.RevocationFailOpen says so.
	ErrUnavailable = errors.New("jwtgate: revocation store unavailable")
)

// Causes a KeySource and a Revoker return, wrapped beside ErrInvalidToken.
var (
	// ErrUnknownKey: no key is bound to the token's kid and alg. A
	// KeySource returns it (wrapped or not) for a token it has no key for.
	ErrUnknownKey = errors.New("jwtgate: no key for token")
	// ErrTokenRevoked: the Revoker says the token was revoked.
	ErrTokenRevoked = errors.New("jwtgate: token revoked")
)

// The other causes of ErrInvalidToken. An application tells them apart by
// [Reason] ("too_large", "malformed", "header", "type", "critical_header",
// "algorithm", "authorized_party", "validation", …), the vocabulary of the
// logs and metrics; causes found by golang-jwt (jwt.ErrTokenExpired,
// jwt.ErrTokenSignatureInvalid, …) are wrapped as they are.
var (
	errTokenTooLarge     = errors.New("jwtgate: token too large")
	errTokenShape        = errors.New("jwtgate: token is not a compact JWS")
	errHeaderInvalid     = errors.New("jwtgate: token header not accepted")
	errTypeNotAllowed    = errors.New("jwtgate: token type not allowed")
	errCriticalHeader    = errors.New("jwtgate: unsupported critical header")
	errClaimsInvalid     = errors.New("jwtgate: token claims not accepted")
	errAlgorithmMismatch = errors.New("jwtgate: token algorithm does not match its key")
	errValidationFailed  = errors.New("jwtgate: custom validation failed")
	errAuthorizedParty   = errors.New("jwtgate: token issued to another client")
)

// Error is the error type of every failure. Kind is one of the kinds,
// Cause says why; both are reachable with errors.Is and errors.As.
type Error struct {
	Kind  error
	Cause error
	// Description is the fixed, client-safe text sent as error_description.
	Description string
	// Scopes are the scopes the route requires, for insufficient_scope.
	Scopes []string

	facts facts     // what was read of the token, for the log
	mode  dpop.Mode // the route's, for the challenges
	dpop  bool      // the request used the DPoP scheme
	nonce string    // for use_dpop_nonce: the nonce to use
	// reason is Reason's answer, noted by the first of the log record and
	// the Observer that needs it (noteReason), so that the other does not
	// work it out again; a refusal nobody records never pays for it.
	reason string
}

func (e *Error) Error() string {
	if e.Cause == nil {
		return e.Kind.Error()
	}
	return e.Kind.Error() + ": " + e.Cause.Error()
}

// The sentinels of echo-jwt, gofiber's contrib jwt and auth0's
// go-jwt-middleware, for code migrated from them: errors.Is(err,
// ErrJWTMissing) holds for a request without a token or with a malformed
// credential (ErrTokenMissing, ErrInvalidRequest), errors.Is(err,
// ErrJWTInvalid) for a token refused (ErrInvalidToken). The adapters of
// Echo and Fiber export them under the same names.
var (
	ErrJWTMissing = errors.New("jwtgate: missing or malformed jwt")
	ErrJWTInvalid = errors.New("jwtgate: invalid or expired jwt")
)

// Is reports whether target is ErrJWTMissing or ErrJWTInvalid and e of a
// kind it covers; errors.Is finds the kind and the cause through Unwrap.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrJWTMissing:
		return e.Kind == ErrTokenMissing || e.Kind == ErrInvalidRequest
	case ErrJWTInvalid:
		return e.Kind == ErrInvalidToken
	}
	return false
}

// Unwrap returns the kind and the cause.
func (e *Error) Unwrap() []error {
	if e.Cause == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Cause}
}

func newError(kind, cause error, desc string) *Error {
	return &Error{Kind: kind, Cause: cause, Description: desc}
}

// Response is how a failure is answered: the status, the WWW-Authenticate
// value (empty when none is sent) and the JSON body
// {"error":"…","error_description":"…"}.
type Response struct {
	Status          int
	WWWAuthenticate string
	Code            string
	Description     string
	// DPoPNonce, for use_dpop_nonce, is the nonce the client's next proof
	// must carry, sent in the DPoP-Nonce header (RFC 9449 §9).
	DPoPNonce string
}

// Body returns the JSON body. jwtgate's own codes and descriptions need no
// escaping (RFC 6750 §3 restricts them to printable ASCII without '"' and
// '\'), so the body is built without encoding/json unless an application's
// text needs it.
func (r Response) Body() []byte {
	if !validChallengeText(r.Code) || !validChallengeText(r.Description) {
		// An application's own text: let encoding/json escape it.
		b, _ := json.Marshal(struct {
			Code        string `json:"error"`
			Description string `json:"error_description"`
		}{r.Code, r.Description})
		return b
	}
	b := make([]byte, 0, 40+len(r.Code)+len(r.Description))
	b = append(b, `{"error":"`...)
	b = append(b, r.Code...)
	b = append(b, `","error_description":"`...)
	b = append(b, r.Description...)
	b = append(b, `"}`...)
	return b
}

// Response says how to answer err: 401 with a bare challenge for a missing
// token, 400 invalid_request, 401 invalid_token, 403 insufficient_scope with
// the required scopes, 503 when the revocation store is unavailable, 401 with
// body error "invalid_grant" for a refresh token the Issuer refused. An error
// that did not come from jwtgate is answered 500 with a generic body and never
// its text.
func (a *Authenticator) Response(err error) Response {
	e, ok := asError(err)
	if !ok {
		return Response{Status: http.StatusInternalServerError, Code: "server_error", Description: "Internal error"}
	}
	desc := e.Description
	switch e.Kind {
	case ErrTokenMissing:
		if desc == "" {
			desc = "No access token was sent"
		}
		return Response{Status: http.StatusUnauthorized, WWWAuthenticate: a.challengeFor(e, "", "", ""), Code: "missing_token", Description: desc}
	case ErrInvalidRequest:
		return a.challengeResponse(e, http.StatusBadRequest, "invalid_request", desc, "")
	case ErrInsufficientScope:
		return a.challengeResponse(e, http.StatusForbidden, "insufficient_scope", desc, strings.Join(e.Scopes, " "))
	case ErrUnavailable:
		return Response{Status: http.StatusServiceUnavailable, Code: "temporarily_unavailable", Description: desc}
	case ErrCSRF:
		return Response{Status: http.StatusForbidden, Code: "csrf", Description: desc}
	case ErrMisconfigured:
		return Response{Status: http.StatusInternalServerError, Code: "server_error", Description: desc}
	case kinds.ErrInvalidGrant:
		// The token endpoint's code (RFC 6749 §5.2) in the body; the challenge
		// speaks RFC 6750, whose code for a bad token is invalid_token.
		r := a.challengeResponse(e, http.StatusUnauthorized, "invalid_token", desc, "")
		r.Code = "invalid_grant"
		return r
	case dpop.ErrInvalidProof:
		return a.challengeResponse(e, http.StatusUnauthorized, "invalid_dpop_proof", desc, "")
	case dpop.ErrUseNonce:
		r := a.challengeResponse(e, http.StatusUnauthorized, "use_dpop_nonce", desc, "")
		r.DPoPNonce = e.nonce
		return r
	default:
		return a.challengeResponse(e, http.StatusUnauthorized, "invalid_token", desc, "")
	}
}

// asError is errors.As for *Error, without its allocation when err is one
// itself (every refusal the core makes): a variable whose address errors.As
// takes lives on the heap.
func asError(err error) (*Error, bool) {
	if e, ok := err.(*Error); ok {
		return e, true
	}
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

func (a *Authenticator) challengeResponse(e *Error, status int, code, desc, scope string) Response {
	if desc == "" {
		desc = "The access token is invalid"
	}
	return Response{Status: status, WWWAuthenticate: a.challengeFor(e, code, desc, scope), Code: code, Description: desc}
}

// challengeFor is the WWW-Authenticate value of a refusal: the Bearer
// challenge (RFC 6750 §3), the DPoP challenge with the algorithms proofs may
// use (RFC 9449 §7.1), or both while both kinds of token are accepted — the
// error, when there is one, in the challenge of the scheme the request used.
func (a *Authenticator) challengeFor(e *Error, code, desc, scope string) string {
	mode := e.mode
	if mode == dpop.Inherit {
		mode = a.mode(Policy{})
	}
	var b strings.Builder
	// One allocation: room for the longest challenge these parts make.
	b.Grow(len(a.challenge) + len(code) + len(desc) + len(scope) + len(a.realm) + len(a.dpopAlgs) + 64)
	params := func() {
		if code == "" {
			return
		}
		b.WriteString(`, error="`)
		b.WriteString(code)
		b.WriteByte('"')
		if scope != "" {
			b.WriteString(`, scope="`)
			b.WriteString(scope)
			b.WriteByte('"')
		} else {
			b.WriteString(`, error_description="`)
			b.WriteString(desc)
			b.WriteByte('"')
		}
	}
	if mode != dpop.Required {
		b.WriteString(a.challenge)
		if !e.dpop {
			params()
		}
	}
	if mode == dpop.Allowed || mode == dpop.Required {
		if mode == dpop.Allowed {
			b.WriteString(", ")
		}
		b.WriteString(`DPoP realm="`)
		b.WriteString(a.realm)
		b.WriteString(`", algs="`)
		b.WriteString(a.dpopAlgs)
		b.WriteByte('"')
		if e.dpop || mode == dpop.Required {
			params()
		}
	}
	return b.String()
}

// WriteError answers err on w as [Authenticator.Response] says; see
// writeResponse. Adapters over an http.ResponseWriter use it; the others
// render the same Response themselves.
func (a *Authenticator) WriteError(w http.ResponseWriter, err error) {
	writeResponse(w, a.Response(err))
}

// writeResponse writes r on w: the WWW-Authenticate challenge when r has one,
// Content-Type application/json, Cache-Control no-store, the status and the
// body. Applications use it for their own errors in the same shape, such as a
// login's {"error":"invalid_credentials"}.
func writeResponse(w http.ResponseWriter, r Response) {
	r.SetHeaders(w.Header())
	w.WriteHeader(r.Status)
	_, _ = w.Write(r.Body())
}

// Challenge returns the bare challenge, Bearer realm="…", for an
// application's own 401 answers (RFC 9110 §15.5.2: every 401 carries one).
func (a *Authenticator) Challenge() string { return a.challenge }

// validChallengeText reports whether s may appear inside a quoted realm,
// error_description or scope value: %x20-21 / %x23-5B / %x5D-7E (RFC 6750 §3).
func validChallengeText(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// noteReason returns Reason(e), working it out once. Only the goroutine
// refusing the request calls it, before the error is handed to anything
// that may share it (fail notes it before OnError).
func (e *Error) noteReason() string {
	if e.reason == "" {
		e.reason = Reason(e)
	}
	return e.reason
}
