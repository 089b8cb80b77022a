//go:build !race

package fiberjwt

const raceEnabled = false
