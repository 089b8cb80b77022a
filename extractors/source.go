package extractors

// Source says where an extractor found a token: the kind of place and its
// name. The core decides by the kind, never by a name or a label: a token
// from a cookie gets the CSRF checks (cookie mode), one from the URL (a
// query or path parameter) an answer no shared cache keeps. Every
// extractor, a custom one too, returns the Source of each token it finds;
// a token with a Source of no known kind is refused as the server's
// misconfiguration.
type Source struct {
	// Kind is the kind of place: a header, a cookie, the query, a form body
	// or a path parameter.
	Kind SourceKind
	// Name is the header's, cookie's or parameter's name.
	Name string
}

// SourceKind is the kind of place a token came from.
type SourceKind uint8

// The kinds of Source. The zero value is no kind: an extractor must say.
const (
	// InHeader: a request header, such as Authorization.
	InHeader SourceKind = iota + 1
	// InCookie: a cookie. The core applies cookie mode's CSRF checks.
	InCookie
	// InQuery: a URL query parameter. The core marks the answer
	// Cache-Control: private (RFC 6750 §2.3).
	InQuery
	// InForm: a field of an application/x-www-form-urlencoded body.
	InForm
	// InPath: a path parameter. In the URL, as a query parameter is.
	InPath
)

var kindNames = [...]string{"", "header", "cookie", "query", "form", "param"}

// String is the kind's name as a Source's String gives it: header, cookie,
// query, form or param; "" for no kind.
func (k SourceKind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return ""
}

// Known reports whether k is one of the kinds above.
func (k SourceKind) Known() bool { return k >= InHeader && k <= InPath }

// String is "kind:name", as the log records and metrics show a source, such
// as "header:Authorization"; "" for the zero Source.
func (s Source) String() string {
	switch {
	case s.IsZero():
		return ""
	case s.Kind == InHeader && s.Name == authorization:
		return bearerLabel // the common case, without building it
	}
	return s.Kind.String() + ":" + s.Name
}

// InURL reports whether the token was part of the URL (a query or path
// parameter), which logs and Referer headers keep (RFC 6750 §5.3).
func (s Source) InURL() bool { return s.Kind == InQuery || s.Kind == InPath }

// IsZero reports whether s is the zero Source: no token was found.
func (s Source) IsZero() bool { return s == Source{} }

const bearerLabel = "header:" + authorization
