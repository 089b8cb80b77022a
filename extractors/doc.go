// Package extractors finds the bearer token in an HTTP request, following the
// strict reading of RFC 6750 that jwtgate enforces.
//
// # The Request view
//
// Extractors do not see a framework's request directly; they see a [Request],
// a small read-only view with one method per place a token can be sent
// (header, cookie, query parameter, form field, path parameter) plus the
// request method. Each lookup returns the first value and how many values there
// are, so that repeats can be refused without building a slice. [FromHTTP]
// adapts a *net/http.Request; adapters for other frameworks implement the same
// interface.
//
// # Methods
//
// [AuthorizationBearer] reads "Authorization: Bearer <token>" (RFC 6750 §2.1),
// the method every client should use. [Header], [Cookie], [Query], [Form] and
// [Param] read one named location each. [Exclusive] combines several methods
// and refuses a request that uses more than one of them; [Chain] tries them in
// turn for the rare setup that needs it. [Parse] builds an extractor from an
// echo/fiber-style lookup string such as "header:Authorization:Bearer ,cookie:jwt".
//
// # Strict rules
//
// An extractor returns ("", "", nil) when the request does not carry a token by
// its method; the core then answers 401 with no error code. It returns an error
// when the request carries credentials in a way RFC 6750 forbids, and the core
// answers 400 invalid_request (RFC 6750 §3.1). Every such error wraps one of
// three sentinels, to be tested with errors.Is:
//
//   - [ErrMalformed]: the value is not exactly one b64token
//     (1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="), or an
//     Authorization header starts with "Bearer" but is not "Bearer", one or more
//     spaces and one b64token;
//   - [ErrRepeated]: the header, cookie, query or form parameter appears more
//     than once, even with equal values;
//   - [ErrMultipleMethods]: the token was sent by more than one method
//     (RFC 6750 §2: "Clients MUST NOT use more than one method").
//
// An empty cookie, query, form or path value ("access_token=") counts as
// absent, so a cleared cookie does not turn into an error.
//
// # Opt-in sources and their risks
//
// Only the Authorization header is safe by default. A token in the query string
// (RFC 6750 §2.3) ends up in access logs, proxy logs, browser history and
// Referer headers; RFC 6750 §5.3 says not to pass bearer tokens in page URLs.
// Use [Query] only when a client cannot set headers (a WebSocket or
// EventSource handshake, for example), and keep such tokens short-lived. The
// form body (RFC 6750 §2.2) is read only for a request that is not GET or HEAD
// and whose content type is application/x-www-form-urlencoded; reading it
// consumes the body (the handler still finds the fields in
// http.Request.PostForm). Cookies carry the token to every request the browser
// sends to the site, so a cookie-based setup needs CSRF protection. None of
// these sources is enabled unless the application asks for it.
//
// # Performance
//
// Extractors are built once and are safe for concurrent use. Looking for a
// token that is absent, and finding one in the Authorization header of a
// net/http request, do not allocate.
package extractors
