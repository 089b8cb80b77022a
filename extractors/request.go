package extractors

// Request is the read-only view of an HTTP request that extractors work on.
// Each adapter implements it over its framework's request without copying or
// allocating: every method returns the first value it finds and how many
// values there are, so that a repeated header, cookie or parameter can be
// refused (RFC 6750 §3.1, "repeats the same parameter") without building a
// slice.
//
// Names are matched as HTTP matches them: header names case-insensitively,
// cookie, query and form names exactly. A value that is absent is ("", 0).
type Request interface {
	// Header returns the first value of the named header field and the number of
	// field lines that carry it.
	Header(name string) (value string, count int)
	// Cookie returns the value of the first cookie with this name and the number
	// of cookies with this name.
	Cookie(name string) (value string, count int)
	// Query returns the first value of the URL query parameter (unescaped) and
	// the number of times the parameter appears.
	Query(name string) (value string, count int)
	// Form returns the first value of the field in an
	// application/x-www-form-urlencoded body and the number of times it
	// appears. Implementations return ("", 0) for any other content type.
	Form(name string) (value string, count int)
	// Param returns the value of a path parameter, or "" when the router has
	// none by this name (net/http before Go 1.22 patterns, for example).
	Param(name string) string
	// Method returns the request method, such as "GET".
	Method() string
	// Path returns the request's path as sent, escaped, as net/http's
	// URL.EscapedPath gives it (never "": "/" at least), for DPoP's htu
	// and the log records. The core refuses to check a DPoP proof against
	// an empty path.
	Path() string
	// Scheme returns "https" for a request that came over TLS, else
	// "http": DPoP's htu is compared with it and the Host header unless
	// Config.DPoP's PublicURL says otherwise.
	Scheme() string
}
