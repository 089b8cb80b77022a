//go:build race

package echojwt_test

// raceEnabled is true in a -race build, where sync.Pool drops some of what
// is put back, so that allocation counts resting on a pool are pinned
// without the race detector.
const raceEnabled = true
