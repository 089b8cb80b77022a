package issuing

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"unicode/utf8"

	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/dpop"
	"github.com/jwtgate/jwtgate/core/internal/parse"
	"github.com/jwtgate/jwtgate/extractors"
)

// DefaultMaxBody is the largest request body the [Endpoints] read unless
// Endpoints.MaxBody says otherwise: 64 KiB, far more than a login needs.
const DefaultMaxBody = 64 << 10

// LoginRequest is the JSON body of POST /login, {"username","password"},
// as [Endpoints] hand it to CheckCredentials.
type LoginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
	// Raw is the whole body, for an application whose login has other
	// members (a one-time code, a tenant): decode them from it. It is the
	// request's own copy; it may be kept. It holds the password: never log
	// it.
	Raw json.RawMessage `json:"-"`
}

// ErrBadCredentials is what Endpoints.CheckCredentials returns (or wraps)
// for a wrong username or password. It is answered 401
// {"error":"invalid_credentials"} with the Authenticator's challenge, the
// same for an unknown user as for a wrong password.
var ErrBadCredentials = errors.New("jwtgate: wrong username or password")

// Endpoints is login, refresh and logout over HTTP for any framework: the
// contract of the example apps (examples/README.md), decided here once so
// that each framework's wrapper (httpjwt.LoginHandler, echojwt, ginjwt,
// fiberjwt) only translates a request into a [Request] and writes the
// [Response] back.
//
// Each Handle method expects POST and answers JSON with Cache-Control:
// no-store (RFC 6749 §5.1); failures are {"error","error_description"} with
// fixed descriptions, never a token nor an internal error's text:
//
//	every endpoint  405 invalid_request          a method other than POST (Allow: POST)
//	                413 invalid_request          a body over MaxBody
//	                415 invalid_request          a body that is not Content-Type: application/json
//	                503 temporarily_unavailable  the store cannot answer
//	                500 server_error             anything else that fails on the server
//	POST /login     200                          the pair: {"access_token","refresh_token","token_type","expires_in"}
//	                200 (?mode=cookie)           the three cookies, and {"csrf_token","expires_in"}
//	                400 invalid_request          not one JSON object with non-empty "username" and "password"
//	                                             strings; a mode other than cookie; cookie mode not enabled
//	                401 invalid_credentials      CheckCredentials returned ErrBadCredentials
//	POST /refresh   200                          as login: the pair for {"refresh_token"}, cookies for the cookie
//	                400 invalid_request          no refresh token, one in both the body and the cookie, a bad body
//	                401 invalid_grant            forged, expired, revoked or spent (a spent one revokes its family)
//	                403 csrf                     the refresh cookie without its login's CSRF token, or cross-origin
//	POST /logout    204                          the token and its whole family revoked; cookie mode's cookies
//	                                             cleared when the request carried them
//	                400, 401, 403, 503           the access token refused, as the Authenticator answers it
//
// With DPoP (RFC 9449: the Authenticator's Config.DPoP is set), a login or
// refresh that carries a DPoP proof header (htm POST, htu the endpoint's
// URL) is answered tokens bound to the proof's key: cnf.jkt in both, and
// token_type "DPoP"; a bound family refreshes only with a proof of the same
// key. The Authenticator checks the proof (CheckDPoPProof), with its replay
// store and nonces. The token endpoint's answers (RFC 9449 §5, §8):
//
//	/login, /refresh  400 invalid_dpop_proof     a proof that fails a check; no proof while the Authenticator
//	                                             requires DPoP; a bound refresh token without a proof of its key,
//	                                             or an unbound one with a proof
//	                  400 use_dpop_nonce         the proof lacks the current nonce, sent in DPoP-Nonce
//	                  400 invalid_request        a proof in cookie mode, whose cookies cannot carry a bound token
//
// Without Config.DPoP a DPoP header is ignored and Bearer tokens are
// issued, as RFC 9449 §5 lets a server that does not support DPoP do; the
// client tells by token_type. When the Authenticator has nonces, every
// answer to a request with a proof carries the current one in DPoP-Nonce.
//
// The Content-Type rule stops login CSRF: an HTML form on another site can
// POST text/plain, application/x-www-form-urlencoded or multipart/form-data
// across origins without asking, and would otherwise log the victim's
// browser into the attacker's account in cookie mode; application/json
// cannot be sent cross-origin without a CORS preflight the server refuses.
// A refresh or logout without a body (cookie mode sends none) is not
// subject to it. A logout checks its token first, so that a forged
// cross-site form is answered 403 csrf, as every other forged request.
//
// Endpoints is configured by its fields; call [Endpoints.Validate] at start
// (the wrappers do, and panic). It is safe for concurrent use as long as its
// fields are not changed.
type Endpoints struct {
	// Issuer mints, rotates and revokes the tokens; required. Cookie mode is
	// on when its Config.Cookies is set: POST /login?mode=cookie, the
	// refresh cookie at /refresh, and clearing the cookies at /logout. It
	// is not configured here again, so the endpoints, the Issuer and its
	// CSRF check cannot disagree.
	Issuer *Issuer
	// Authenticator verifies the access token of a logout, wherever its
	// extractor finds it, with cookie mode's CSRF check; and it renders
	// the failures of the Issuer and its own. Required. In cookie mode give
	// it the Issuer's Cookies and an extractor that reads the access cookie.
	Authenticator *jwtgate.Authenticator
	// CheckCredentials checks a login's credentials and returns what the
	// user is granted; required. Return ErrBadCredentials (or an error
	// wrapping it) for a wrong username or password, whether or not the
	// user exists, and take as long for either. An error wrapping
	// jwtgate.ErrUnavailable (a user database that cannot answer) is
	// answered 503; any other error 500, and logged.
	CheckCredentials func(ctx context.Context, req LoginRequest) (Grant, error)
	// MaxBody bounds a request body, in bytes. Default DefaultMaxBody
	// (64 KiB). A longer body is answered 413 without being read further.
	MaxBody int64
	// Logger gets one record per answer the server is to blame for: 500
	// (Error) and a store or credentials check that cannot answer, 503
	// (Warn), with the error's text, which is never sent. Default
	// slog.Default().
	Logger *slog.Logger
}

// Request is what the endpoints read of a request: the read-only view the
// verifier reads (headers, cookies, query, method), and the body. Every
// adapter builds one over its framework's request.
type Request interface {
	extractors.Request
	// Body returns the request's body, or its first limit bytes when it is
	// longer. The endpoints call it at most once per request, and may keep
	// what it returns (LoginRequest.Raw): an implementation over buffers
	// that its framework reuses returns a copy.
	Body(limit int64) ([]byte, error)
}

// FromHTTP returns the Request view of a net/http request: the body is read
// from r.Body.
func FromHTTP(r *http.Request) Request { return httpRequest{extractors.FromHTTP(r), r} }

type httpRequest struct {
	extractors.HTTPRequest
	r *http.Request
}

func (h httpRequest) Body(limit int64) ([]byte, error) {
	if h.r.Body == nil {
		return nil, nil
	}
	return io.ReadAll(io.LimitReader(h.r.Body, limit))
}

// Response is an answer of the [Endpoints]: the status, the header fields,
// the cookies to set (one Set-Cookie line each) and the body. A 204 has no
// body and no Content-Type.
type Response struct {
	Status  int
	Header  http.Header
	Cookies []*http.Cookie
	Body    []byte
}

// Write writes r on w: the header fields (replacing any of the same name),
// one Set-Cookie line per cookie, the status and the body. The adapters
// over net/http, Echo and Gin answer with it.
func (r Response) Write(w http.ResponseWriter) {
	h := w.Header()
	for name, values := range r.Header {
		h[name] = append([]string(nil), values...)
	}
	for _, c := range r.Cookies {
		h.Add("Set-Cookie", c.String())
	}
	w.WriteHeader(r.Status)
	if len(r.Body) > 0 {
		_, _ = w.Write(r.Body)
	}
}

// The endpoints' own refusals. Descriptions are fixed: nothing of the
// request is echoed.
var (
	errMethod      = jwtgate.Response{Status: http.StatusMethodNotAllowed, Code: "invalid_request", Description: "The method must be POST"}
	errTooLarge    = jwtgate.Response{Status: http.StatusRequestEntityTooLarge, Code: "invalid_request", Description: "The request body is too large"}
	errUnreadable  = jwtgate.Response{Status: http.StatusBadRequest, Code: "invalid_request", Description: "The request body could not be read"}
	errMediaType   = jwtgate.Response{Status: http.StatusUnsupportedMediaType, Code: "invalid_request", Description: "The request body must be application/json"}
	errMalformed   = jwtgate.Response{Status: http.StatusBadRequest, Code: "invalid_request", Description: "The request body is malformed or incomplete"}
	errMode        = jwtgate.Response{Status: http.StatusBadRequest, Code: "invalid_request", Description: "The mode parameter must be cookie, or absent"}
	errNoCookies   = jwtgate.Response{Status: http.StatusBadRequest, Code: "invalid_request", Description: "Cookie mode is not enabled"}
	errNoRefresh   = jwtgate.Response{Status: http.StatusBadRequest, Code: "invalid_request", Description: "No refresh token was sent"}
	errTwoRefresh  = jwtgate.Response{Status: http.StatusBadRequest, Code: "invalid_request", Description: "The refresh token was sent in the body and in a cookie"}
	errCookieDPoP  = jwtgate.Response{Status: http.StatusBadRequest, Code: "invalid_request", Description: "DPoP is not available in cookie mode"}
	errNoProof     = jwtgate.Response{Status: http.StatusBadRequest, Code: "invalid_dpop_proof", Description: "A DPoP proof is required"}
	errServer      = jwtgate.Response{Status: http.StatusInternalServerError, Code: "server_error", Description: "Internal error"}
	errUnavailable = jwtgate.Response{Status: http.StatusServiceUnavailable, Code: "temporarily_unavailable", Description: "The service is unavailable; try again later"}
)

// Validate reports every mistake in e's configuration at once: a nil
// Issuer, Authenticator or CheckCredentials, a negative MaxBody. The
// wrappers call it when they are built and panic on an error; a Handle
// method of an invalid Endpoints answers 500.
func (e *Endpoints) Validate() error {
	if e == nil {
		return errors.New("jwtgate: endpoints: *Endpoints is nil")
	}
	var errs []error
	add := func(msg string) { errs = append(errs, errors.New("jwtgate: endpoints: "+msg)) }
	if e.Issuer == nil {
		add("Issuer is required")
	}
	if e.Authenticator == nil {
		add("Authenticator is required")
	}
	if e.CheckCredentials == nil {
		add("CheckCredentials is required")
	}
	if e.MaxBody < 0 {
		add("MaxBody may not be negative")
	}
	return errors.Join(errs...)
}

// HandleLogin answers POST /login: it reads {"username","password"}, asks
// CheckCredentials, starts a refresh-token family and answers the pair, or
// in cookie mode (?mode=cookie) sets the cookies and answers the CSRF token.
func (e *Endpoints) HandleLogin(ctx context.Context, r Request) Response {
	if resp, ok := e.precheck(ctx, r); !ok {
		return resp
	}
	body, resp, ok := e.readBody(r)
	if !ok {
		return resp
	}
	if !isJSON(r) {
		return refusal(errMediaType)
	}
	login, ok := decodeLogin(body)
	if !ok {
		return refusal(errMalformed)
	}
	// The mode is settled before anything is minted: a mistyped mode must not
	// hand a browser's JavaScript the tokens cookie mode keeps from it.
	cookieMode := false
	switch mode, n := r.Query("mode"); {
	case n == 0:
	case n == 1 && mode == "cookie":
		if e.Issuer.cfg.Cookies == nil {
			return refusal(errNoCookies)
		}
		cookieMode = true
	default:
		return refusal(errMode)
	}
	// The proof is checked before the password (a client told to use a
	// nonce retries without the credentials check having run), and
	// recorded as used after it: a flood of wrong passwords, each with a
	// fresh proof of a key of the client's own, must not fill the replay
	// store.
	proof, resp, ok := e.proof(r, cookieMode)
	if !ok {
		return resp
	}
	grant, err := e.CheckCredentials(ctx, login)
	switch {
	case errors.Is(err, ErrBadCredentials):
		return refusal(jwtgate.Response{Status: http.StatusUnauthorized, WWWAuthenticate: e.Authenticator.Challenge(), Code: "invalid_credentials", Description: "Wrong username or password"})
	case errors.Is(err, jwtgate.ErrUnavailable):
		e.log(ctx, slog.LevelWarn, "login: the credentials check cannot answer", err)
		return refusal(errUnavailable)
	case err != nil:
		e.log(ctx, slog.LevelError, "login: the credentials check failed", err)
		return refusal(errServer)
	}
	jkt := ""
	if proof != nil {
		if err := proof.Use(ctx); err != nil {
			return e.issuerFailure(ctx, "dpop", err)
		}
		jkt = proof.Thumbprint()
	}
	grant.JKT = jkt // bound to the key the request proved, and to no other
	pair, err := e.Issuer.Login(ctx, grant)
	if err != nil {
		return e.issuerFailure(ctx, "login", err)
	}
	if cookieMode {
		return e.cookieAnswer(pair)
	}
	return e.tokenAnswer(pair, jkt)
}

// HandleRefresh answers POST /refresh: a refresh token from the body
// {"refresh_token"} is rotated and the new pair answered; in cookie mode, a
// request without one spends the refresh cookie instead, after the CSRF
// check (Issuer.RefreshCookie), and answers as a cookie-mode login.
func (e *Endpoints) HandleRefresh(ctx context.Context, r Request) Response {
	if resp, ok := e.precheck(ctx, r); !ok {
		return resp
	}
	body, resp, ok := e.readBody(r)
	if !ok {
		return resp
	}
	var token string
	if !blank(body) {
		if !isJSON(r) {
			return refusal(errMediaType)
		}
		if token, ok = decodeRefresh(body); !ok {
			return refusal(errMalformed)
		}
	}
	hasCookie := false
	if c := e.Issuer.cfg.Cookies; c != nil {
		// A repeated cookie counts, so that RefreshCookie refuses it.
		_, refreshName, _ := c.Names()
		v, n := r.Cookie(refreshName)
		hasCookie = v != "" || n > 1
	}
	switch {
	case token != "" && hasCookie:
		return refusal(errTwoRefresh)
	case token != "":
		proof, resp, ok := e.proof(r, false)
		if !ok {
			return resp
		}
		pair, err := e.refresh(ctx, token, proof)
		if err != nil {
			return e.issuerFailure(ctx, "refresh", err)
		}
		return e.tokenAnswer(pair.Pair, pair.jkt)
	case hasCookie:
		if _, resp, ok := e.proof(r, true); !ok {
			return resp
		}
		pair, err := e.Issuer.RefreshCookie(ctx, r)
		if err != nil {
			return e.issuerFailure(ctx, "refresh", err)
		}
		return e.cookieAnswer(pair)
	default:
		return refusal(errNoRefresh)
	}
}

// HandleLogout answers POST /logout: it authenticates the access token
// itself (Authenticator.Authenticate: header or cookie as its extractor
// says, CSRF-checked when it came from a cookie), so it is mounted without
// the authenticating middleware; then it revokes the token and its whole
// family (Issuer.Logout) and answers 204, clearing cookie mode's cookies
// when the request carried them.
//
// A body, which it does not read, must still be application/json; it is
// checked after the token, so that a forged cross-site form is answered as
// the CSRF refusal it is (403 csrf), and before anything is revoked.
func (e *Endpoints) HandleLogout(ctx context.Context, r Request) Response {
	if resp, ok := e.precheck(ctx, r); !ok {
		return resp
	}
	t, err := e.Authenticator.Authenticate(ctx, r)
	if err == nil && t == nil {
		// CredentialsOptional let a request without a token through: there is
		// nothing to log out.
		err = &jwtgate.Error{Kind: jwtgate.ErrTokenMissing}
	}
	if err != nil {
		return refusal(e.Authenticator.Response(err))
	}
	body, resp, ok := e.readBody(r)
	if !ok {
		return resp
	}
	if !blank(body) && !isJSON(r) {
		return refusal(errMediaType)
	}
	if err := e.Issuer.Logout(ctx, t); err != nil {
		return e.issuerFailure(ctx, "logout", err)
	}
	out := Response{Status: http.StatusNoContent, Header: http.Header{"Cache-Control": {"no-store"}}}
	if c := e.Issuer.cfg.Cookies; c != nil {
		accessName, _, csrfName := c.Names()
		_, access := r.Cookie(accessName)
		_, csrf := r.Cookie(csrfName)
		if access > 0 || csrf > 0 {
			out.Cookies = ClearCookies(c)
		}
	}
	return out
}

// precheck refuses a request to an Endpoints that is not configured, and
// any method but POST: a GET is a safe method, which the CSRF check lets
// through, so a logout or cookie refresh mounted for every method must not
// act on one.
func (e *Endpoints) precheck(ctx context.Context, r Request) (Response, bool) {
	if err := e.Validate(); err != nil {
		e.log(ctx, slog.LevelError, "misconfigured", err)
		return refusal(errServer), false
	}
	if r.Method() != http.MethodPost {
		resp := refusal(errMethod)
		resp.Header.Set("Allow", http.MethodPost)
		return resp, false
	}
	return Response{}, true
}

// proof checks the request's DPoP proof, if the Authenticator takes DPoP,
// all but its one-time use, which the caller records (DPoPProof.Use) once
// the credentials or the refresh token are known good: nil for a request
// without one, which is refused when DPoP is required.
func (e *Endpoints) proof(r Request, cookieMode bool) (*jwtgate.DPoPProof, Response, bool) {
	mode := e.Authenticator.DPoPMode()
	if mode == dpop.Off {
		return nil, Response{}, true
	}
	_, n := r.Header("DPoP")
	switch {
	case n > 0 && cookieMode:
		return nil, refusal(errCookieDPoP), false
	case n == 0 && mode == dpop.Required:
		return nil, refusal(errNoProof), false
	case n == 0:
		return nil, Response{}, true
	}
	p, err := e.Authenticator.ReadDPoPProof(r, "", "")
	if err != nil {
		return nil, e.issuerFailure(context.Background(), "dpop", err), false
	}
	return p, Response{}, true
}

// refreshed is a pair and the thumbprint it is bound to.
type refreshed struct {
	*Pair
	jkt string
}

// refresh is Issuer.RefreshWithProof with the proof recorded as used
// between the refresh token's check and its rotation: after the token is
// known good (a wrong one fills no replay store), before anything is spent
// (a replayed proof spends nothing, nor revokes the family as a reuse).
func (e *Endpoints) refresh(ctx context.Context, token string, proof *jwtgate.DPoPProof) (refreshed, error) {
	i := e.Issuer
	start := i.clock()
	jkt := ""
	if proof != nil {
		jkt = proof.Thumbprint()
	}
	p, err := func() (*Pair, error) {
		t, err := i.verifyRefresh(ctx, token, jkt)
		if err != nil {
			return nil, err
		}
		if proof != nil {
			if err := proof.Use(ctx); err != nil {
				return nil, err
			}
		}
		return i.rotate(ctx, t, jkt)
	}()
	i.observe(ctx, "refresh", start, err)
	return refreshed{p, jkt}, err
}

// readBody reads at most MaxBody bytes of the body.
func (e *Endpoints) readBody(r Request) ([]byte, Response, bool) {
	limit := e.MaxBody
	if limit == 0 {
		limit = DefaultMaxBody
	}
	body, err := r.Body(limit + 1)
	var tooLarge *http.MaxBytesError // an http.MaxBytesReader of the application's, tighter than ours
	switch {
	case errors.As(err, &tooLarge) || int64(len(body)) > limit:
		return nil, refusal(errTooLarge), false
	case err != nil:
		return nil, refusal(errUnreadable), false
	}
	return body, Response{}, true
}

// issuerFailure answers an error of the Issuer as the Authenticator renders
// it (invalid_grant, csrf, temporarily_unavailable), logging what is the
// server's fault.
func (e *Endpoints) issuerFailure(ctx context.Context, op string, err error) Response {
	resp := e.Authenticator.Response(err)
	if errors.Is(err, dpop.ErrInvalidProof) || errors.Is(err, dpop.ErrUseNonce) {
		// A token endpoint's error (RFC 9449 §5, §8): 400, no challenge.
		resp.Status, resp.WWWAuthenticate = http.StatusBadRequest, ""
	}
	switch {
	case resp.Status >= http.StatusInternalServerError && resp.Status != http.StatusServiceUnavailable:
		e.log(ctx, slog.LevelError, op+" failed", err)
	case resp.Status == http.StatusServiceUnavailable:
		e.log(ctx, slog.LevelWarn, op+": the token store cannot answer", err)
	}
	return refusal(resp)
}

func (e *Endpoints) log(ctx context.Context, level slog.Level, msg string, err error) {
	logger := slog.Default()
	if e != nil && e.Logger != nil {
		logger = e.Logger
	}
	logger.LogAttrs(ctx, level, "jwtgate: endpoints: "+msg, slog.String("error", err.Error()))
}

// refusal is a failure's answer: its JSON body, Content-Type, Cache-Control
// and challenge as every jwtgate answer carries them.
func refusal(r jwtgate.Response) Response {
	h := make(http.Header, 3)
	r.SetHeaders(h)
	return Response{Status: r.Status, Header: h, Body: r.Body()}
}

// success is a 200 whose body is v's JSON.
func success(v any, cookies []*http.Cookie) Response {
	b, err := json.Marshal(v)
	if err != nil { // the types marshalled here cannot fail
		return refusal(errServer)
	}
	return Response{
		Status:  http.StatusOK,
		Header:  http.Header{"Content-Type": {"application/json"}, "Cache-Control": {"no-store"}},
		Cookies: cookies,
		Body:    b,
	}
}

// tokenAnswer is the OAuth 2.0 token response (RFC 6749 §5.1), with the
// nonce the client's next proof needs when the request carried one.
func (e *Endpoints) tokenAnswer(p *Pair, jkt string) Response {
	resp := success(p, nil)
	if nonce := e.Authenticator.DPoPNonce(); jkt != "" && nonce != "" && resp.Status == http.StatusOK {
		resp.Header.Set("DPoP-Nonce", nonce)
	}
	return resp
}

// cookieAnswer is cookie mode's: the three cookies, and in the body only
// what the page needs, the CSRF token and the access token's lifetime.
func (e *Endpoints) cookieAnswer(p *Pair) Response {
	c := e.Issuer.cfg.Cookies
	return success(struct {
		CSRFToken string `json:"csrf_token"`
		ExpiresIn int64  `json:"expires_in"`
	}{c.CSRFToken(p.Family), p.ExpiresIn}, SetCookies(c, p))
}

// isJSON reports whether the request says Content-Type: application/json,
// parameters aside, the media type compared in ASCII case only (RFC 9110
// §8.3.1): strings.EqualFold would also take a Unicode look-alike. Two
// Content-Type lines are refused: which one would the body follow?
func isJSON(r Request) bool {
	ct, n := r.Header("Content-Type")
	if n != 1 {
		return false
	}
	for i := 0; i < len(ct); i++ {
		if ct[i] == ';' {
			ct = ct[:i]
			break
		}
	}
	ct = trimOWS(ct)
	const want = "application/json"
	if len(ct) != len(want) {
		return false
	}
	for i := 0; i < len(ct); i++ {
		c := ct[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != want[i] {
			return false
		}
	}
	return true
}

func trimOWS(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}

// blank reports whether a body is empty or JSON whitespace only: no body,
// as cookie mode's refresh and logout send.
func blank(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return false
		}
	}
	return true
}

// decodeLogin reads a login body with the reader the verifier reads tokens
// with: one JSON object whose member names are matched exactly, two names
// equal under case folding refused, so that the body has one reading only,
// whatever reads it before or after (a proxy, a WAF, the application's own
// decoding of Raw).
func decodeLogin(body []byte) (LoginRequest, bool) {
	l := LoginRequest{Raw: body}
	ok := readObject(body, func(name string, value []byte) (ok bool) {
		switch name {
		case "username":
			l.Username, ok = parse.String(value)
		case "password":
			l.Password, ok = parse.String(value)
		default:
			ok = true // the application's own members, read from Raw
		}
		return ok
	})
	return l, ok && l.Username != "" && l.Password != ""
}

// decodeRefresh reads {"refresh_token": "…"}; an object without it yields
// "", as no body does.
func decodeRefresh(body []byte) (string, bool) {
	var token string
	ok := readObject(body, func(name string, value []byte) bool {
		if name == "refresh_token" {
			var ok bool
			token, ok = parse.String(value)
			return ok
		}
		return true
	})
	return token, ok
}

// readObject calls member for each member of the JSON object body, and
// reports whether body is one such object and every call returned true.
func readObject(body []byte, member func(name string, value []byte) bool) bool {
	if !utf8.Valid(body) {
		return false
	}
	var m parse.Members[[]byte]
	for {
		name, value, ok := m.Next(body)
		if !ok {
			return !m.Failed()
		}
		if !member(string(name), value) {
			return false
		}
	}
}
