//go:build race

package fiberjwt

// raceEnabled: the race detector makes sync.Pool drop items at random, so
// pooled objects are sometimes allocated afresh.
const raceEnabled = true
