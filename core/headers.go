package jwtgate

import (
	"hash/maphash"
	"strings"
	"sync/atomic"
)

// headerMemo is what checkHeader found in one header segment that a
// verified token carried.
type headerMemo struct {
	seg           string // the segment, base64url as sent
	alg, kid, typ string
}

// headerMemos remembers the checked headers of verified tokens, sixteen
// slots chosen by a hash of the segment. A service's tokens carry a handful
// of headers (one per signing key: {"alg":"HS256","typ":"JWT"}, or a kid
// each), so decoding and checking the header of every token again is work
// whose outcome is known: checkHeader depends on nothing but the segment's
// bytes and the Authenticator's configuration, which never changes. A
// segment equal byte for byte to a remembered one gets the remembered alg,
// kid and typ; any other is checked as ever. Only a token that passed every
// check (signature, claims) files its header, so that nothing a client
// sends without a valid token takes a slot; two headers that share a slot
// take turns, each then checked as if there were no memo.
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

// file remembers what checkHeader found in seg, which may be borrowed from
// the framework (copied here).
func file(slot *atomic.Pointer[headerMemo], seg string, env *envelope) {
	slot.Store(&headerMemo{seg: strings.Clone(seg), alg: env.alg, kid: env.kid, typ: env.typ})
}
