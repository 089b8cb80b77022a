// Package refusal holds the context key under which an adapter marks a
// request whose refusal the application let go on (adapt.WithRefusal), so
// that the core's scope guard refuses it again rather than take the missing
// token for a wiring mistake.
package refusal

// Key is the context key; its value is the core's *jwtgate.Error.
type Key struct{}
