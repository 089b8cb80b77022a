// Package redisstore is a issuing.Store in Redis, for a service that runs as
// several instances: a logout on one is a refusal on all of them at once, and
// a refresh-token family spent on one is spent everywhere.
//
//	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
//	store := redisstore.New(client, redisstore.Options{})
//	auth, err := jwtgate.New(jwtgate.Config{ /* … */ Revoker: store })
//	issuer, err := issuing.New(issuing.Config{ /* … */ Store: store})
//
// It works with any redis.UniversalClient: a single node, Sentinel or Cluster.
// Every key expires with the tokens it concerns (PEXPIRE), so nothing grows
// forever. A family lives in one hash, so its rotation is one Lua script on
// one key and works on Cluster.
//
// # Faults
//
// Every call is bounded by Options.Timeout within the caller's context. When
// Redis is down or slow the call fails; the verifier then answers 503 (fail
// closed) unless jwtgate.Config.RevocationFailOpen is set, and the client
// reconnects by itself once Redis is back.
//
// A Redis that restarts without persistence loses its revocations: revoked
// tokens become valid again until they expire, and every refresh-token family
// is forgotten (their refresh tokens are then refused, so users log in again).
// The store cannot tell. Run Redis with persistence (appendonly yes, or RDB
// snapshots with an acceptable window) wherever a lost revocation matters.
package redisstore

import (
	"context"
	"errors"
	"strconv"
	"time"

	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/issuing"
	"github.com/redis/go-redis/v9"
)

// Options configures a Store. The zero value is usable.
type Options struct {
	// Prefix starts every key. Default "jwtgate:".
	Prefix string
	// Timeout bounds each call to Redis, within the caller's context. Default
	// 500 ms.
	Timeout time.Duration
	// Now is the clock entries are compared with. Default time.Now.
	Now func() time.Time
}

// Store is a issuing.Store in Redis. It is safe for concurrent use.
type Store struct {
	rdb     redis.UniversalClient
	prefix  string
	timeout time.Duration
	now     func() time.Time
}

var _ issuing.Store = (*Store)(nil)

// New returns a Store over client. It panics if client is nil.
func New(client redis.UniversalClient, opts Options) *Store {
	if client == nil {
		panic("redisstore: New: client is nil")
	}
	s := &Store{rdb: client, prefix: opts.Prefix, timeout: opts.Timeout, now: opts.Now}
	if s.prefix == "" {
		s.prefix = "jwtgate:"
	}
	if s.timeout <= 0 {
		s.timeout = 500 * time.Millisecond
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// Keys. A family's hash tag keeps the whole family in one slot on Cluster.
func (s *Store) tokenKey(id string) string        { return s.prefix + "t:{" + id + "}" }
func (s *Store) familyKey(family string) string   { return s.prefix + "f:{" + family + "}" }
func (s *Store) subjectKey(subject string) string { return s.prefix + "s:{" + subject + "}" }

var errEmptyID = errors.New("redisstore: empty id")

func ms(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }

// ttl is how long Redis keeps an entry that matters until until: at least
// 1 ms (callers skip entries already past).
func (s *Store) ttl(until time.Time) string {
	d := until.Sub(s.now()).Milliseconds()
	if d < 1 {
		d = 1
	}
	return strconv.FormatInt(d, 10)
}

func (s *Store) ctx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.timeout)
}

func wrap(err error) error {
	if err == nil {
		return nil
	}
	return errors.Join(errUnavailable, err)
}

var errUnavailable = errors.New("redisstore: redis unavailable")

// IsRevoked implements jwtgate.Revoker: one pipelined round trip reads the
// token's, its family's and its subject's entries.
func (s *Store) IsRevoked(ctx context.Context, t *jwtgate.Token) (bool, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	pipe := s.rdb.Pipeline()
	var tok *redis.StringCmd
	var fam, sub *redis.SliceCmd
	if t.ID != "" {
		tok = pipe.Get(ctx, s.tokenKey(t.ID))
	}
	if t.SessionID != "" {
		fam = pipe.HMGet(ctx, s.familyKey(t.SessionID), "rev", "until")
	}
	if t.Subject != "" {
		sub = pipe.HMGet(ctx, s.subjectKey(t.Subject), "before", "until")
	}
	if pipe.Len() == 0 {
		return false, nil
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return false, wrap(err)
	}
	now := s.now().UnixMilli()
	if tok != nil {
		until, err := tok.Int64()
		switch {
		case errors.Is(err, redis.Nil):
		case err != nil:
			return false, wrap(err)
		case now < until:
			return true, nil
		}
	}
	if fam != nil {
		v, err := fam.Result()
		if err != nil {
			return false, wrap(err)
		}
		if v[0] == "1" && now < toInt(v[1]) {
			return true, nil
		}
	}
	if sub != nil {
		v, err := sub.Result()
		if err != nil {
			return false, wrap(err)
		}
		if v[0] != nil && now < toInt(v[1]) && (t.IssuedAt.IsZero() || t.IssuedAt.UnixMilli() <= toInt(v[0])) {
			return true, nil
		}
	}
	return false, nil
}

func toInt(v any) int64 {
	s, _ := v.(string)
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

// Entries hold their until (ms since the epoch, by the store's clock) and
// expire after until − now, so that Redis forgets them when their tokens have
// expired even if its clock and the store's differ.

// revokeToken keeps the later until.
var revokeToken = redis.NewScript(`
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > cur then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
end
return 1`)

// RevokeToken implements issuing.Store.
func (s *Store) RevokeToken(ctx context.Context, id string, until time.Time) error {
	if id == "" {
		return errEmptyID
	}
	if !until.After(s.now()) {
		return nil // the token has expired: nothing to remember
	}
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	return wrap(revokeToken.Run(ctx, s.rdb, []string{s.tokenKey(id)}, ms(until), s.ttl(until)).Err())
}

// extendUntil is shared Lua: raise the hash's until and its expiry.
const extendUntil = `
local function extend(key, untilms, ttl)
  local cur = tonumber(redis.call('HGET', key, 'until') or '0')
  if untilms > cur then
    redis.call('HSET', key, 'until', untilms)
    redis.call('PEXPIRE', key, ttl)
  end
end
`

var revokeFamily = redis.NewScript(extendUntil + `
redis.call('HSET', KEYS[1], 'rev', '1')
extend(KEYS[1], tonumber(ARGV[1]), ARGV[2])
return 1`)

// RevokeFamily implements issuing.Store.
func (s *Store) RevokeFamily(ctx context.Context, family string, until time.Time) error {
	if family == "" {
		return errEmptyID
	}
	if !until.After(s.now()) {
		return nil
	}
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	return wrap(revokeFamily.Run(ctx, s.rdb, []string{s.familyKey(family)}, ms(until), s.ttl(until)).Err())
}

var revokeSubject = redis.NewScript(extendUntil + `
local before = tonumber(redis.call('HGET', KEYS[1], 'before') or '0')
if tonumber(ARGV[1]) > before then
  redis.call('HSET', KEYS[1], 'before', ARGV[1])
end
extend(KEYS[1], tonumber(ARGV[2]), ARGV[3])
return 1`)

// RevokeSubject implements issuing.Store.
func (s *Store) RevokeSubject(ctx context.Context, subject string, before, until time.Time) error {
	if subject == "" {
		return errEmptyID
	}
	if !until.After(s.now()) {
		return nil
	}
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	return wrap(revokeSubject.Run(ctx, s.rdb, []string{s.subjectKey(subject)}, ms(before), ms(until), s.ttl(until)).Err())
}

var startFamily = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'cur', ARGV[1], 'until', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1`)

var errFamilyExists = errors.New("redisstore: family exists")

// StartFamily implements issuing.Store.
func (s *Store) StartFamily(ctx context.Context, family, tokenID string, until time.Time) error {
	if family == "" || tokenID == "" {
		return errEmptyID
	}
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	if !until.After(s.now()) {
		return nil // born expired: every rotation will find it unknown
	}
	n, err := startFamily.Run(ctx, s.rdb, []string{s.familyKey(family)}, tokenID, ms(until), s.ttl(until)).Int()
	if err != nil {
		return wrap(err)
	}
	if n == 0 {
		return errFamilyExists
	}
	return nil
}

// rotateFamily is the atomic rotation: one script, one key.
var rotateFamily = redis.NewScript(extendUntil + `
local f = redis.call('HMGET', KEYS[1], 'cur', 'rev', 'until')
if not f[1] or f[2] == '1' or tonumber(f[3] or '0') <= tonumber(ARGV[4]) then
  return 'unknown'
end
if f[1] ~= ARGV[1] then
  redis.call('HSET', KEYS[1], 'rev', '1')
  return 'reused'
end
redis.call('HSET', KEYS[1], 'cur', ARGV[2])
extend(KEYS[1], tonumber(ARGV[3]), ARGV[5])
return 'ok'`)

// RotateFamily implements issuing.Store.
func (s *Store) RotateFamily(ctx context.Context, family, presented, next string, until time.Time) error {
	if family == "" || presented == "" || next == "" {
		return errEmptyID
	}
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	res, err := rotateFamily.Run(ctx, s.rdb, []string{s.familyKey(family)}, presented, next, ms(until), ms(s.now()), s.ttl(until)).Text()
	if err != nil {
		return wrap(err)
	}
	switch res {
	case "ok":
		return nil
	case "reused":
		return issuing.ErrRefreshReused
	default:
		return issuing.ErrFamilyUnknown
	}
}
