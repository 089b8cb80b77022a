//go:build race

package jwtgate_test

// raceEnabled is true in a -race build, where sync.Pool drops a quarter of
// what is put back (to find code that relies on it), so that the HMAC
// states it keeps are made again now and then: allocation counts that rest
// on a pool are pinned without the race detector (scripts/test.sh runs the
// allocation tests so too).
const raceEnabled = true
