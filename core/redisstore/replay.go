package redisstore

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"time"

	"github.com/jwtgate/jwtgate/core/issuing"
	"github.com/redis/go-redis/v9"
)

// replayKey is where the record of proof id lives: a digest, since id holds
// a jti the client chose, of any length and content. Without a hash tag, so
// that on Cluster the records spread over every slot.
func (s *Store) replayKey(id string) string {
	h := sha256.Sum256([]byte(id))
	return s.prefix + "dpop:" + base64.RawURLEncoding.EncodeToString(h[:])
}

// pxUntil is the expiry, in whole milliseconds, of a record that must last
// until until, from now: rounded up, so that Redis forgets it no earlier
// than the verifier's window ends.
func pxUntil(until, now time.Time) time.Duration {
	d := until.Sub(now)
	return (d + time.Millisecond - 1).Truncate(time.Millisecond)
}

// Remember implements dpop.ReplayStore: it records id until until in
// Redis, and reports whether it was new, so that of all the instances
// sharing the Redis, one only accepts a DPoP proof. One pipelined round trip
// sets the record (SET NX PX, its expiry until − now by the store's clock)
// and then reads the loss marker (a second round trip on Cluster, see the
// package doc); when the marker is missing, another round trip creates
// it. A proof issued (its iat) before the marker, or in the marker's second,
// is reported as not new: Redis may have forgotten it (see the package doc
// and issuing.IssuedBeforeLoss). An until already past writes nothing: id is new
// unless a record of it is still there. An until at now is kept 1 ms, since
// jwtgate accepts a proof at the very end of its window.
//
// Like the store's other calls it ends within Options.Timeout, with an error
// when Redis has not answered, and jwtgate then answers 503: a proof is never
// accepted unchecked.
func (s *Store) Remember(ctx context.Context, id string, issued, until time.Time) (bool, error) {
	if id == "" {
		return false, errEmptyID
	}
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	key := s.replayKey(id)
	var set *redis.BoolCmd
	var exists, wait *redis.IntCmd
	now := s.now()
	write := !until.Before(now)
	epoch, err := s.exec(ctx, key, write, func(pipe redis.Pipeliner) { // the marker after the record
		if write {
			// At least 1 ms: the verifier still accepts a proof at its until.
			set = pipe.SetNX(ctx, key, "1", max(pxUntil(until, now), time.Millisecond))
			wait = s.wait(ctx, pipe)
		} else {
			exists = pipe.Exists(ctx, key)
		}
	})
	if err == nil {
		err = s.acked(wait)
	}
	if err != nil {
		return false, wrap(err)
	}
	var fresh bool
	if set != nil {
		ok, err := set.Result() // a SET NX that found the key is false, not redis.Nil
		if err != nil {
			return false, wrap(err)
		}
		fresh = ok
	} else {
		n, err := exists.Result()
		if err != nil {
			return false, wrap(err)
		}
		fresh = n == 0
	}
	mark, err := s.marker(ctx, epoch)
	if err != nil {
		// Fail closed: whether Redis lost its data is unknown, and with it
		// whether a proof it reports new was used before.
		return false, wrap(err)
	}
	if issuing.IssuedBeforeLoss(issued, mark, time.Time{}) {
		return false, nil // issued before the loss, or in its second: it may have been used
	}
	return fresh, nil
}
