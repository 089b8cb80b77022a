//go:build !race

package echojwt_test

// raceEnabled: see race_test.go.
const raceEnabled = false
