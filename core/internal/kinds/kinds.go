// Package kinds holds the error kinds that the core answers and a package
// beside it exports: defined here once, so that the core can map them to
// statuses and reasons without importing the package that owns them.
package kinds

import "errors"

// ErrInvalidGrant is issuing.ErrInvalidGrant: the kind of every refresh
// failure, answered 401 invalid_grant (RFC 6749 §5.2).
var ErrInvalidGrant = errors.New("jwtgate: invalid grant")
