package jwtgate

import (
	"hash/maphash"
	"strings"
	"sync/atomic"
)

// headerMemo is what checkHeader found in one header segment.
type headerMemo struct {
	seg           string // the segment, base64url as sent
	alg, kid, typ string
}

// headerMemos remembers checked headers, sixteen slots chosen by a hash of
// the segment. A service's tokens carry a handful of headers (one per
// signing key: {"alg":"HS256","typ":"JWT"}, or a kid each), so decoding and
// checking the header of every token again is work whose outcome is known:
// checkHeader depends on nothing but the segment's bytes and the
// Authenticator's configuration, which never changes. A segment equal byte
// for byte to a remembered one gets the remembered alg, kid and typ; any
// other is checked as ever.
//
// Who may file: a header that passed checkHeader takes an empty slot, so
// that a refusal under a service's usual header (a forged or expired token)
// is as cheap as an acceptance; only a token that then passed every check
// (signature, claims) replaces another header's memo. Headers that a
// client makes up can thus fill the slots valid tokens do not use, sixteen
// allocations in all, and never push out a valid token's header; two valid
// headers that share a slot take turns, each then checked as if there were
// no memo.
type headerMemos struct {
	seed  maphash.Seed
	slots [16]atomic.Pointer[headerMemo]
}

// lookup returns the memo of seg, or nil and the slot a memo of seg would
// be filed in.
func (m *headerMemos) lookup(seg string) (*headerMemo, *atomic.Pointer[headerMemo]) {
	slot := &m.slots[maphash.String(m.seed, seg)%uint64(len(m.slots))]
	if hm := slot.Load(); hm != nil && hm.seg == seg {
		return hm, nil
	}
	return nil, slot
}

// fill files what checkHeader found in seg when slot is empty, and reports
// whether it did.
func fill(slot *atomic.Pointer[headerMemo], seg string, env *envelope) bool {
	return slot.Load() == nil && slot.CompareAndSwap(nil, memoOf(seg, env))
}

// replace files what checkHeader found in seg, the header of a token that
// passed every check, in place of whatever slot held.
func replace(slot *atomic.Pointer[headerMemo], seg string, env *envelope) {
	slot.Store(memoOf(seg, env))
}

// memoOf is the memo of seg, which may be borrowed from the framework
// (copied here).
func memoOf(seg string, env *envelope) *headerMemo {
	return &headerMemo{seg: strings.Clone(seg), alg: env.alg, kid: env.kid, typ: env.typ}
}

// readHeader fills env's alg, kid and typ from the header segment seg:
// remembered, or checked (checkHeader) and then filed in an empty slot. It
// returns the slot a valid token's header is to replace (nil when there is
// nothing to do: remembered, or just filed).
func (a *Authenticator) readHeader(seg string, env *envelope) (*atomic.Pointer[headerMemo], error) {
	memo, slot := a.headers.lookup(seg)
	if memo != nil {
		env.alg, env.kid, env.typ = memo.alg, memo.kid, memo.typ
		return nil, nil
	}
	if err := a.checkHeader(seg, env); err != nil {
		return nil, err
	}
	if fill(slot, seg, env) {
		return nil, nil
	}
	return slot, nil
}
