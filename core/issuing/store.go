package issuing

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	jwtgate "github.com/jwtgate/jwtgate/core"
)

// Store keeps what makes tokens revocable: revoked token IDs (jti), revoked
// refresh-token families, "log out everywhere" marks per subject, and the
// state of each refresh-token family. The [Issuer] writes it; the verifier
// reads it through the [jwtgate.Revoker] it embeds (set Config.Revoker to the store).
//
// Every entry carries an until time: the latest exp of the tokens it
// concerns. A verifier still accepts a token for its leeway after its exp
// (RFC 7519 §4.1.4; up to [jwtgate.MaxLeeway], the largest any
// jwtgate.Authenticator accepts), so a store keeps the entry, and counts it as
// revoking, until until + jwtgate.MaxLeeway: a revocation never ends before
// the token does, whatever the leeway of the verifiers that read the store.
// It may forget the entry then, so its size stays bounded by the number of
// live tokens. (RotateFamily still finds a family past its own until
// expired: only revocations outlive it.)
//
// A store that loses its entries (a process restart for [MemoryStore], a
// Redis without persistence) must never make a revoked token valid again. It
// notes, to the millisecond, when it began again after the loss (its loss
// marker), and counts as revoked every token issued before it, and every
// token without iat: it cannot tell which of them were revoked. NumericDates
// are whole seconds, so a token issued in the marker's own second may have
// been issued, revoked and lost within that second: it is revoked unless its
// family (sid) started at or after the marker, a login after the loss (see
// [IssuedBeforeLoss]). Users of the tokens refused log in again; logins after
// the loss work at once, those of the marker's second included.
//
// Implementations must be safe for concurrent use. [MemoryStore] is the
// embedded one; a store shared by several instances (Redis) lives in its own
// package. The conformance suite's RunStore checks any implementation.
type Store interface {
	// IsRevoked reports whether t is revoked: its jti, its family (sid claim),
	// or its subject since a time at or after its iat. As few round trips as
	// the store can: one on a single server.
	//
	// Token IDs are keyed by jti alone: RFC 7519 §4.1.7 makes a jti unique
	// across issuers. Subjects are keyed by sub alone, so with several issuers
	// a "log out everywhere" reaches the same sub of each.
	jwtgate.Revoker
	// RevokeToken revokes the token whose jti is id until until (its exp),
	// and MaxLeeway after.
	RevokeToken(ctx context.Context, id string, until time.Time) error
	// RevokeFamily revokes every refresh and access token of a family, until
	// until (the latest exp of its tokens) and MaxLeeway after.
	RevokeFamily(ctx context.Context, family string, until time.Time) error
	// RevokeSubject revokes every token of subject issued at or before
	// before, and every token of subject without iat. iat is usually whole
	// seconds: a token whose iat is the second of before, with no fraction,
	// is revoked unless its family (sid) started after before — a login in
	// that second after the mark — so the store records when each family
	// started. The mark lasts until until and MaxLeeway after: until must be
	// at least the latest exp of the subject's tokens, those of other issuers
	// included (see Config.SubjectRevocationTTL).
	RevokeSubject(ctx context.Context, subject string, before, until time.Time) error
	// StartFamily records a new refresh-token family whose current refresh
	// token is tokenID.
	StartFamily(ctx context.Context, family, tokenID string, until time.Time) error
	// RotateFamily atomically replaces the family's current refresh token
	// presented by next. If presented is not the current one (it was spent
	// already) the family is revoked and ErrRefreshReused returned; if the
	// family is unknown, expired or revoked, ErrFamilyUnknown.
	RotateFamily(ctx context.Context, family, presented, next string, until time.Time) error
}

// Errors of [Store.RotateFamily], wrapped in ErrInvalidGrant by the Issuer.
var (
	// ErrRefreshReused: a spent refresh token was presented again; its family
	// is now revoked (RFC 6819 §5.2.2.3).
	ErrRefreshReused = errors.New("jwtgate: refresh token reused; family revoked")
	// ErrFamilyUnknown: the refresh token's family is unknown, expired or
	// revoked.
	ErrFamilyUnknown = errors.New("jwtgate: refresh token family unknown or revoked")
)

// MemoryStore is the embedded [Store]: maps under one mutex, for a single
// instance. Entries are dropped once their tokens have expired and
// jwtgate.MaxLeeway has passed (see [Store]), in a sweep that a write runs at
// most once a minute, so memory stays bounded by the
// live tokens and no goroutine is started. Everything is lost with the
// process, so a token issued before the store was made (the process
// started), or in that second but of no family started since, or without
// iat, counts as revoked (see [Store]): after a restart users log in again.
// Use a shared store (Redis) when several instances serve one API.
type MemoryStore struct {
	epoch     time.Time // when the store was made, by its clock, to the millisecond: its loss marker
	mu        sync.RWMutex
	now       func() time.Time
	tokens    map[string]time.Time
	families  map[string]*memFamily
	subjects  map[string]memSubject
	lastSweep time.Time
}

type memFamily struct {
	current string
	revoked bool
	started time.Time // when StartFamily ran, by the store's clock
	until   time.Time
}

type memSubject struct{ before, until time.Time }

// NewMemoryStore returns an empty store. now is its clock; nil means time.Now.
func NewMemoryStore(now func() time.Time) *MemoryStore {
	if now == nil {
		now = time.Now
	}
	return &MemoryStore{
		epoch:    time.UnixMilli(now().UnixMilli()),
		now:      now,
		tokens:   make(map[string]time.Time),
		families: make(map[string]*memFamily),
		subjects: make(map[string]memSubject),
	}
}

// IsRevoked implements [jwtgate.Revoker].
func (s *MemoryStore) IsRevoked(_ context.Context, t *jwtgate.Token) (bool, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	// Everything revoked before the store was made is lost (a restart): a
	// token issued before then, or in that second but of no family started
	// since, or without iat, cannot be told apart from one that was
	// revoked, so it counts as revoked. Most tokens are issued after.
	if !t.IssuedAt.After(s.epoch) {
		var started time.Time
		if f, ok := s.families[t.SessionID]; ok && t.SessionID != "" {
			started = f.started
		}
		if IssuedBeforeLoss(t.IssuedAt, s.epoch, started) {
			return true, nil
		}
	}
	// The clock is read only when an entry is found: most tokens have none.
	if t.ID != "" {
		if until, ok := s.tokens[t.ID]; ok && live(s.now(), until) {
			return true, nil
		}
	}
	if t.SessionID != "" {
		if f, ok := s.families[t.SessionID]; ok && f.revoked && live(s.now(), f.until) {
			return true, nil
		}
	}
	if t.Subject != "" {
		if m, ok := s.subjects[t.Subject]; ok && live(s.now(), m.until) {
			var started time.Time
			if f, ok := s.families[t.SessionID]; ok && t.SessionID != "" {
				started = f.started
			}
			if IssuedBefore(t.IssuedAt, m.before, started) {
				return true, nil
			}
		}
	}
	return false, nil
}

// RevokeToken implements [Store].
func (s *MemoryStore) RevokeToken(_ context.Context, id string, until time.Time) error {
	if id == "" {
		return errEmptyID
	}
	s.write(func(now time.Time) {
		if until.After(s.tokens[id]) {
			s.tokens[strings.Clone(id)] = until // id may share a whole token payload
		}
	})
	return nil
}

// RevokeFamily implements [Store].
func (s *MemoryStore) RevokeFamily(_ context.Context, family string, until time.Time) error {
	if family == "" {
		return errEmptyID
	}
	s.write(func(now time.Time) {
		f, ok := s.families[family]
		if !ok {
			f = &memFamily{}
			s.families[strings.Clone(family)] = f
		}
		f.revoked = true
		if until.After(f.until) {
			f.until = until
		}
	})
	return nil
}

// RevokeSubject implements [Store].
func (s *MemoryStore) RevokeSubject(_ context.Context, subject string, before, until time.Time) error {
	if subject == "" {
		return errEmptyID
	}
	s.write(func(now time.Time) {
		m := s.subjects[subject]
		if before.After(m.before) {
			m.before = before
		}
		if until.After(m.until) {
			m.until = until
		}
		if _, ok := s.subjects[subject]; !ok {
			subject = strings.Clone(subject)
		}
		s.subjects[subject] = m
	})
	return nil
}

// StartFamily implements [Store].
func (s *MemoryStore) StartFamily(_ context.Context, family, tokenID string, until time.Time) error {
	if family == "" || tokenID == "" {
		return errEmptyID
	}
	var err error
	s.write(func(now time.Time) {
		if _, ok := s.families[family]; ok {
			err = errFamilyExists
			return
		}
		s.families[strings.Clone(family)] = &memFamily{current: strings.Clone(tokenID), started: now, until: until}
	})
	return err
}

// RotateFamily implements [Store].
func (s *MemoryStore) RotateFamily(_ context.Context, family, presented, next string, until time.Time) error {
	if family == "" || presented == "" || next == "" {
		return errEmptyID
	}
	var err error
	s.write(func(now time.Time) {
		f, ok := s.families[family]
		switch {
		case !ok || f.revoked || !now.Before(f.until):
			err = ErrFamilyUnknown
		case f.current != presented:
			f.revoked = true
			err = ErrRefreshReused
		default:
			f.current = strings.Clone(next)
			if until.After(f.until) {
				f.until = until
			}
		}
	})
	return err
}

// Len returns the number of entries held (tokens, families, subjects), for
// tests and metrics.
func (s *MemoryStore) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.tokens) + len(s.families) + len(s.subjects)
}

var (
	errEmptyID      = errors.New("jwtgate: store: empty id")
	errFamilyExists = errors.New("jwtgate: store: family exists")
)

const sweepEvery = time.Minute

func (s *MemoryStore) write(fn func(now time.Time)) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	fn(now)
	if now.Sub(s.lastSweep) >= sweepEvery {
		s.lastSweep = now
		s.sweepLocked(now)
	}
}

// Sweep drops every entry whose tokens have all expired, MaxLeeway ago.
// Writes run it at most once a minute; call it yourself to free memory
// sooner.
func (s *MemoryStore) Sweep() {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweepLocked(now)
}

func (s *MemoryStore) sweepLocked(now time.Time) {
	for k, until := range s.tokens {
		if !live(now, until) {
			delete(s.tokens, k)
		}
	}
	for k, f := range s.families {
		if !live(now, f.until) {
			delete(s.families, k)
		}
	}
	for k, m := range s.subjects {
		if !live(now, m.until) {
			delete(s.subjects, k)
		}
	}
}

// IssuedBeforeLoss reports whether a token issued at iat, of a family that
// started at started (zero when the store has no record of it), counts as
// issued before a store lost its entries and began again at epoch (its loss
// marker, to the millisecond), and so as revoked: the store cannot tell
// whether it was. That is a token without iat; one whose iat is in an
// earlier second, or has a fraction at or before epoch; and one whose iat of
// whole seconds falls in epoch's own second, unless its family started at
// or after epoch (a login after the loss: NumericDates are whole seconds,
// and a token issued, revoked and lost within that second says the same
// second). An iat after epoch is not. Stores call it so that every store
// reads a loss alike; for a DPoP proof, which has no family, started is
// zero, and a proof of the marker's second counts as used.
func IssuedBeforeLoss(iat, epoch, started time.Time) bool {
	switch {
	case iat.IsZero():
		return true
	case iat.After(epoch):
		return false
	case iat.Nanosecond() != 0 || iat.Unix() != epoch.Unix():
		return true // an earlier second, or a fraction at or before epoch
	}
	return started.IsZero() || started.Before(epoch)
}

// live reports whether an entry of until still revokes at now: until the
// tokens' latest exp plus the largest leeway a verifier accepts them with.
func live(now, until time.Time) bool { return now.Before(until.Add(jwtgate.MaxLeeway)) }

// IssuedBefore reports whether a token issued at iat, of a family that
// started at started (zero when unknown), counts as issued at or before the
// mark of RevokeSubject: iat at or before it; or, for an iat of whole
// seconds in the mark's own second, a family that did not start after the
// mark (a token without a known family counts as issued before). Stores call
// it so that every store reads a subject mark alike.
func IssuedBefore(iat, mark, started time.Time) bool {
	switch {
	case iat.IsZero():
		return true
	case iat.Nanosecond() != 0 || iat.Unix() != mark.Unix():
		return !iat.After(mark)
	}
	return started.IsZero() || !started.After(mark)
}
