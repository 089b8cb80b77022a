//go:build !race

package jwtgate_test

// raceEnabled: see race_test.go.
const raceEnabled = false
