package jwtgate

// CacheLen exposes the verified-token cache's size to the tests.
func CacheLen(a *Authenticator) int {
	if a.cache == nil {
		return -1
	}
	return a.cache.len()
}
