package extractors

import (
	"errors"
	"fmt"
)

// The errors an extractor returns all wrap one of these sentinels, so that a
// caller can tell the three ways RFC 6750 §3.1 "invalid_request" arises with
// errors.Is. Compare with errors.Is, not ==: the errors returned also name the
// place the credentials were found.
var (
	// ErrMalformed reports credentials that are present but are not a single
	// RFC 6750 b64token, or an Authorization header that starts with "Bearer"
	// without the form "Bearer" 1*SP b64token.
	ErrMalformed = errors.New("extractors: malformed credentials")

	// ErrRepeated reports a header, cookie, query or form parameter that is
	// sent more than once, even with equal values (RFC 6750 §3.1, "repeats the
	// same parameter").
	ErrRepeated = errors.New("extractors: credentials repeated")

	// ErrMultipleMethods reports a token sent by more than one method, such as
	// both the Authorization header and a query parameter (RFC 6750 §2,
	// "Clients MUST NOT use more than one method to transmit the token in each
	// request").
	ErrMultipleMethods = errors.New("extractors: token sent by more than one method")
)

// sourceErrors holds the errors of one extractor, built once at construction
// so that refusing a request does not allocate either.
type sourceErrors struct {
	malformed, repeated error
}

func newSourceErrors(source Source) sourceErrors {
	return sourceErrors{
		malformed: fmt.Errorf("%w in %s", ErrMalformed, source.String()),
		repeated:  fmt.Errorf("%w in %s", ErrRepeated, source.String()),
	}
}

// multipleMethodsError names the first two places a token was found. It is
// allocated only when a request is refused.
type multipleMethodsError struct {
	first, second string
}

func (e *multipleMethodsError) Error() string {
	return ErrMultipleMethods.Error() + ": " + e.first + " and " + e.second
}

func (e *multipleMethodsError) Unwrap() error { return ErrMultipleMethods }
