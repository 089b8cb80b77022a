package jwtgate

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
