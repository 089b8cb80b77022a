package jwtgate

import "hash/maphash"

// CacheLen exposes the verified-token cache's size to the tests.
func CacheLen(a *Authenticator) int {
	if a.cache == nil {
		return -1
	}
	return a.cache.len()
}

// Causes of DPoP refusals the tests tell apart.
var (
	ErrProofRSASize = errProofRSASize
	ErrNoPath       = errNoPath
)

// The causes of ErrInvalidToken, unexported since Reason names them; the
// tests still tell them apart with errors.Is.
var (
	ErrTokenTooLarge     = errTokenTooLarge
	ErrTokenShape        = errTokenShape
	ErrHeaderInvalid     = errHeaderInvalid
	ErrTypeNotAllowed    = errTypeNotAllowed
	ErrCriticalHeader    = errCriticalHeader
	ErrClaimsInvalid     = errClaimsInvalid
	ErrAlgorithmMismatch = errAlgorithmMismatch
	ErrValidationFailed  = errValidationFailed
	ErrAuthorizedParty   = errAuthorizedParty
)

// DefaultMaxTokenSize is the default Config.MaxTokenSize, for the tests.
const DefaultMaxTokenSize = defaultMaxTokenSize

// HeaderMemos is how many header segments a remembers (headerMemos).
func HeaderMemos(a *Authenticator) int {
	n := 0
	for i := range a.headers.slots {
		if a.headers.slots[i].Load() != nil {
			n++
		}
	}
	return n
}

// HeaderSlot is the slot the memo of the header segment seg takes in a.
func HeaderSlot(a *Authenticator, seg string) uint64 {
	return maphash.String(a.headers.seed, seg) % uint64(len(a.headers.slots))
}

// HeaderRemembered reports whether a remembers the header segment seg.
func HeaderRemembered(a *Authenticator, seg string) bool {
	hm, _ := a.headers.lookup(seg)
	return hm != nil
}
