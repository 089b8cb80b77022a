// Package dpop configures DPoP (RFC 9449) for a jwtgate Authenticator:
// [Config] (jwtgate.Config.DPoP), the route [Mode] a jwtgate.Policy asks for,
// the stores a proof's checks need ([ReplayStore], [NonceSource]) with
// single-instance implementations, and the errors a refused proof wraps.
// The checks themselves are the core's (package jwtgate): this package
// holds no security decision.
package dpop

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"
)

// Config turns DPoP (RFC 9449) on. DPoP binds an access token to a key its client holds: the
// token carries the key's thumbprint (cnf.jkt), and each request carries a
// proof — a JWT signed with that key, for this method and URL, now, once —
// so a stolen token is useless without the private key. Set Config.DPoP to
// accept such tokens:
//
//	auth, err := jwtgate.New(jwtgate.Config{
//		// …
//		DPoP: &dpop.Config{Replay: dpop.NewMemoryReplayStore(nil)},
//	})
//
// A request presents a bound token as "Authorization: DPoP <token>" with its
// proof in one DPoP header. jwtgate checks the proof as RFC 9449 §4.3 lists:
// typ dpop+jwt; an asymmetric alg of Algorithms; a public key in its jwk
// header (never private members); the signature; htm the request's method;
// htu the request's URL without query and fragment (normalized as RFC 3986
// §6.2.2 and §6.2.3 say; behind a proxy, PublicURL's origin); iat within
// Window; a jti never seen within Window (Replay); the nonce when Nonces is
// set; ath the hash of the access token; and the token's cnf.jkt equal to
// the proof key's RFC 7638 thumbprint. A token bound to a key and sent as
// Bearer is refused; with Required, so is any Bearer token.
//
// Failures are answered as RFC 9449 §7.1 says: 401 with
// WWW-Authenticate: DPoP algs="…", error="invalid_dpop_proof" (or
// use_dpop_nonce, with a DPoP-Nonce header), and a Bearer challenge beside
// it while Bearer tokens are accepted.
type Config struct {
	// Mode is Allowed (the default: DPoP and Bearer tokens), or
	// Required (DPoP only), or Off (as a nil Config). A route may ask
	// for another mode (jwtgate.Policy).
	Mode Mode
	// Algorithms lists the algorithms a proof may be signed with; asymmetric
	// ones only. Default: every asymmetric algorithm jwtgate supports.
	Algorithms []string
	// Window is how far a proof's iat may be from now, either way, and how
	// long its jti is remembered. Default 60 s.
	Window time.Duration
	// Replay remembers the proofs seen, so that each is used once; required.
	// NewMemoryReplayStore for one instance; the Redis store shares it
	// between instances. A Replay that cannot answer refuses the request
	// with 503, as the revocation store does.
	Replay ReplayStore
	// Nonces, when set, makes every proof carry a nonce this server issued
	// (RFC 9449 §9): a proof without a current one is answered 401
	// use_dpop_nonce with a fresh nonce in the DPoP-Nonce header, and every
	// accepted DPoP request gets the current nonce there too. NewNonces
	// makes a rotating, stateless source.
	Nonces NonceSource
	// PublicURL is the origin — scheme://host[:port] — clients reach this
	// service at, for a service behind a proxy: htu is compared with it and
	// the request's path. Default: http:// (https:// when the adapter knows
	// the request came over TLS) and the request's Host.
	PublicURL string
}

// Mode says which kind of token a route takes.
type Mode uint8

const (
	// Inherit, in a Policy, is the Authenticator's mode.
	Inherit Mode = iota
	// Off accepts Bearer tokens only; a DPoP header is ignored and a
	// token bound to a key is refused.
	Off
	// Allowed accepts DPoP-bound tokens with their proof, and Bearer
	// tokens that are not bound.
	Allowed
	// Required accepts DPoP-bound tokens with their proof only.
	Required
	// Unsupported, in a Policy, is a transport that cannot carry a
	// proof (an RPC: the grpc and connect interceptors use it): Bearer
	// tokens only, as Off, with Bearer challenges only, and a credential
	// of the DPoP scheme refused with 400 invalid_request
	// (ErrNotSupported) rather than read as no token. It needs no
	// Config.DPoP.
	Unsupported
)

// ReplayStore remembers DPoP proofs, so that each is used once.
// Implementations must be safe for concurrent use; the Redis store is one.
type ReplayStore interface {
	// Remember records id until until (inclusive: the verifier still takes
	// a proof at that instant), and reports whether it was new: false when
	// id was recorded already (a replay). Atomic: of two calls with one id,
	// one only is told it was new. issued is the proof's iat, for a store
	// that must tell proofs made before it lost its records (the Redis
	// store); until is issued plus the Window. id is the key's thumbprint
	// and the proof's jti, which the client chose: any length, any bytes.
	Remember(ctx context.Context, id string, issued, until time.Time) (new bool, err error)
}

// NonceSource issues the nonces DPoP proofs must carry (RFC 9449 §9).
type NonceSource interface {
	// Nonce returns the current nonce.
	Nonce() string
	// Valid reports whether nonce is one the source still accepts.
	Valid(nonce string) bool
}

// The errors of DPoP: ErrInvalidProof and ErrUseNonce are kinds of a
// jwtgate *Error, the others causes of its ErrInvalidToken (or, for
// ErrNotSupported, of its ErrInvalidRequest); all are reachable with errors.Is.
var (
	// ErrInvalidProof: the DPoP proof is missing, repeated, malformed,
	// forged, for another request, stale, replayed, or for another key.
	// Answered 401 with error="invalid_dpop_proof" in the DPoP challenge (a
	// token endpoint answers 400).
	ErrInvalidProof = errors.New("jwtgate: invalid DPoP proof")
	// ErrUseNonce: the proof lacks the nonce the server requires.
	// Answered 401 with error="use_dpop_nonce" and a DPoP-Nonce header.
	ErrUseNonce = errors.New("jwtgate: DPoP nonce required")
	// ErrTokenBound: a token bound to a key (cnf.jkt) came as a bearer
	// token, without a DPoP proof of its key.
	ErrTokenBound = errors.New("jwtgate: token bound to a key, sent without its proof")
	// ErrTokenNotBound: a token came with the DPoP scheme, but is bound to
	// no key.
	ErrTokenNotBound = errors.New("jwtgate: DPoP token bound to no key")
	// ErrRequired: the route takes DPoP-bound tokens only.
	ErrRequired = errors.New("jwtgate: DPoP required")
	// ErrNotSupported: a credential of the DPoP scheme where the
	// transport cannot carry a proof (Policy Unsupported, an RPC);
	// the cause of an ErrInvalidRequest.
	ErrNotSupported = errors.New("jwtgate: the DPoP scheme is not supported here")
)

// Thumbprint is the base64url SHA-256 of a JWK's canonical JSON (RFC 7638
// §3): what cnf.jkt holds.
func Thumbprint(canonicalJWK string) string {
	h := sha256.Sum256([]byte(canonicalJWK))
	return base64.RawURLEncoding.EncodeToString(h[:])
}

// MemoryReplayStore is a ReplayStore for one instance: a map, swept of the
// entries past their until at most once a minute (by a Remember), so its
// size is bounded by the proofs of the last window and minute.
type MemoryReplayStore struct {
	mu        sync.Mutex
	now       func() time.Time
	seen      map[string]time.Time
	lastSweep time.Time
}

// NewMemoryReplayStore returns an empty ReplayStore. now is its clock; nil
// means time.Now.
func NewMemoryReplayStore(now func() time.Time) *MemoryReplayStore {
	if now == nil {
		now = time.Now
	}
	return &MemoryReplayStore{now: now, seen: map[string]time.Time{}}
}

// Remember implements ReplayStore.
func (s *MemoryReplayStore) Remember(_ context.Context, id string, _, until time.Time) (bool, error) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if now.Sub(s.lastSweep) > time.Minute {
		s.lastSweep = now
		for k, u := range s.seen {
			if now.After(u) {
				delete(s.seen, k)
			}
		}
	}
	// Until is inclusive: at that very instant the verifier still takes the
	// proof, so it must still be a replay.
	if u, ok := s.seen[id]; ok && !now.After(u) {
		return false, nil
	}
	s.seen[strings.Clone(id)] = until
	return true, nil
}

// Nonces is a NonceSource that needs no storage and agrees between
// instances that share its key: the nonce of a period is an HMAC of the
// period's number, and the current and the previous period's nonces are
// valid, so a nonce lives between one and two periods.
type Nonces struct {
	key    []byte
	period time.Duration
	now    func() time.Time
}

// NewNonces returns rotating nonces: key is at least 32 random bytes, the
// same on every instance; period is how often the nonce changes (at least a
// second); now is the clock (nil: time.Now).
func NewNonces(key []byte, period time.Duration, now func() time.Time) (*Nonces, error) {
	if len(key) < 32 {
		return nil, errors.New("jwtgate: NewNonces: the key must be at least 32 random bytes")
	}
	if period < time.Second {
		return nil, errors.New("jwtgate: NewNonces: the period must be at least a second")
	}
	if now == nil {
		now = time.Now
	}
	return &Nonces{key: slices.Clone(key), period: period, now: now}, nil
}

func (n *Nonces) at(epoch int64) string {
	m := hmac.New(sha256.New, n.key)
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(epoch))
	m.Write([]byte("jwtgate dpop nonce v1\x00"))
	m.Write(b[:])
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:18])
}

func (n *Nonces) epoch() int64 { return n.now().UnixNano() / int64(n.period) }

// Nonce implements NonceSource.
func (n *Nonces) Nonce() string { return n.at(n.epoch()) }

// Valid implements NonceSource.
func (n *Nonces) Valid(nonce string) bool {
	e := n.epoch()
	return hmac.Equal([]byte(nonce), []byte(n.at(e))) || hmac.Equal([]byte(nonce), []byte(n.at(e-1)))
}
