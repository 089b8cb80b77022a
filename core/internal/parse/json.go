// Package parse reads what a compact JWS carries — base64url segments, and the
// JSON objects of its header and payload — strictly, and without
// reflection.
//
// The JOSE header and the claims are read by this reader rather than by
// encoding/json, for two reasons. Correctness: encoding/json keeps the last
// of two duplicate names, matches names case-insensitively and turns a lone
// UTF-16 surrogate into U+FFFD, and a verifier must read a token one way
// only, the way its issuer meant it, whatever claims type reads it after
// (RFC 7515 §4, RFC 7519 §4, RFC 7493 §2). Cost: it reads a segment once,
// without reflection, and hands out substrings of it.
//
// What the reader accepts is RFC 8259 JSON (FuzzMembers holds it to
// encoding/json's json.Valid), less what JSON allows and a JWT must not
// carry:
//
//   - two member names of one object that are equal under Unicode case
//     folding (strings.EqualFold): "role" and "ROLE", "kind" and "\u212aind"
//     (a Kelvin sign), in the top-level object and in every nested one;
//   - a \u escape of a UTF-16 surrogate that is not half of a pair (I-JSON,
//     RFC 7493 §2.1);
//   - nesting deeper than encoding/json's limit.
//
// Callers check that the text is valid UTF-8 first.
package parse

import (
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// Text is what the reader reads: a decoded segment as bytes (on the stack),
// or as a string whose substrings can be kept without copying.
type Text interface{ ~string | ~[]byte }

// MaxDepth is the deepest nesting encoding/json accepts.
const MaxDepth = 10000

// Members walks the members of the top-level JSON object in data: the one way
// to read an object.
//
//	var m parse.Members[string]
//	for {
//		name, value, ok := m.Next(data)
//		if !ok {
//			break
//		}
//		use(name, value)
//	}
//	if m.Failed() { … }
//
// Every call gets the same data. The walker keeps positions, never the data
// itself, so that a segment decoded into a stack buffer stays there. name is
// unescaped (a copy only when it holds escapes); value is the member's raw
// JSON value, whose grammar has been checked, nested objects' names
// included. Next reports false at the end of the object and on the first
// error; Failed tells which.
type Members[T Text] struct {
	i     int
	state uint8 // 0 before '{', 1 inside, 2 done, 3 failed
	dup   bool  // failed on two names equal under folding
	plain bool  // the value Next returned last is a string without escapes
	count int
	names nameSet
}

const (
	stateStart = iota
	stateInside
	stateDone
	stateFailed
)

// Next reads the next member.
func (m *Members[T]) Next(data T) (name, value T, ok bool) {
	switch m.state {
	case stateStart:
		i := skipWS(data, 0)
		if i >= len(data) || data[i] != '{' {
			m.state = stateFailed
			return name, value, false
		}
		m.i, m.state = i+1, stateInside
	case stateInside:
	default:
		return name, value, false
	}
	m.state = stateFailed // until the member is read
	i := skipWS(data, m.i)
	if i >= len(data) {
		return name, value, false
	}
	if data[i] == '}' {
		if skipWS(data, i+1) == len(data) {
			m.state = stateDone
		}
		return name, value, false
	}
	if m.count > 0 {
		if data[i] != ',' {
			return name, value, false
		}
		i = skipWS(data, i+1) // a name must follow: no trailing comma
	}
	if i >= len(data) || data[i] != '"' {
		return name, value, false
	}
	end, escaped, ok := scanString(data, i)
	if !ok {
		return name, value, false
	}
	name = data[i+1 : end-1]
	if escaped {
		s, _ := Unquote(data[i:end])
		name = T(s)
		m.dup = addName(&m.names, data, -1, 0, s)
	} else {
		m.dup = addName(&m.names, data, i+1, end-1, "")
	}
	if m.dup {
		return name, value, false
	}
	i = skipWS(data, end)
	if i >= len(data) || data[i] != ':' {
		return name, value, false
	}
	i = skipWS(data, i+1)
	m.plain = false
	if i < len(data) && data[i] == '"' {
		// A string, scanned here to learn whether it has escapes (String).
		if end, escaped, ok = scanString(data, i); !ok {
			return name, value, false
		}
		m.plain = !escaped
	} else if end, ok, m.dup = scanValue(data, i); !ok {
		return name, value, false
	}
	m.i, m.state = end, stateInside
	m.count++
	return name, data[i:end], true
}

// String is String(value) for the value Next returned last, without
// reading it again when Next found a string without escapes: then its
// bytes between the quotes are the string.
func (m *Members[T]) String(value T) (string, bool) {
	if m.plain && len(value) >= 2 {
		return string(value[1 : len(value)-1]), true
	}
	return String(value)
}

// Failed reports whether the walk stopped on an error: data is not one JSON
// object the reader accepts.
func (m *Members[T]) Failed() bool { return m.state == stateFailed }

// Duplicate reports whether the walk failed on two names of one object equal
// under case folding, rather than on the grammar.
func (m *Members[T]) Duplicate() bool { return m.state == stateFailed && m.dup }

// Object reports whether data is one JSON object the reader accepts.
func Object[T Text](data T) bool {
	var m Members[T]
	for {
		if _, _, ok := m.Next(data); !ok {
			return !m.Failed()
		}
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func skipWS[T Text](data T, i int) int {
	for i < len(data) && isSpace(data[i]) {
		i++
	}
	return i
}

// scanString returns the index after the JSON string starting at data[i] ==
// '"', and whether it holds escapes. It refuses control characters,
// malformed escapes, and a surrogate escape that is not half of a pair.
func scanString[T Text](data T, i int) (end int, escaped, ok bool) {
	for j := i + 1; j < len(data); j++ {
		for j < len(data) && plainChar[data[j]] { // most of a token's strings
			j++
		}
		if j >= len(data) {
			break
		}
		switch c := data[j]; {
		case c == '"':
			return j + 1, escaped, true
		case c == '\\':
			escaped = true
			j++
			if j >= len(data) {
				return 0, false, false
			}
			switch data[j] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				r, ok := hex4(data, j+1)
				if !ok {
					return 0, false, false
				}
				j += 4
				if utf16.IsSurrogate(r) {
					// A high surrogate, then a low one.
					if r >= 0xdc00 || j+6 >= len(data) || data[j+1] != '\\' || data[j+2] != 'u' {
						return 0, false, false
					}
					if r2, ok := hex4(data, j+3); !ok || r2 < 0xdc00 || r2 > 0xdfff {
						return 0, false, false
					}
					j += 6
				}
			default:
				return 0, false, false
			}
		case c < 0x20:
			return 0, false, false
		}
	}
	return 0, false, false
}

// plainChar is true for the bytes a JSON string holds as they are: not a
// quote, a backslash or a control character.
var plainChar = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

func hexValue(c byte) rune {
	switch {
	case c >= '0' && c <= '9':
		return rune(c - '0')
	case c >= 'a' && c <= 'f':
		return rune(c - 'a' + 10)
	case c >= 'A' && c <= 'F':
		return rune(c - 'A' + 10)
	}
	return -1
}

func hex4[T Text](b T, i int) (rune, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	var r rune
	for k := i; k < i+4; k++ {
		h := hexValue(b[k])
		if h < 0 {
			return 0, false
		}
		r = r<<4 | h
	}
	return r, true
}

// Number returns the index after the JSON number at data[i].
func Number[T Text](data T, i int) (int, bool) {
	j := i
	if j < len(data) && data[j] == '-' {
		j++
	}
	switch {
	case j >= len(data):
		return 0, false
	case data[j] == '0':
		j++
	case data[j] >= '1' && data[j] <= '9':
		j = skipDigits(data, j+1)
	default:
		return 0, false
	}
	if j < len(data) && data[j] == '.' {
		k := skipDigits(data, j+1)
		if k == j+1 {
			return 0, false
		}
		j = k
	}
	if j < len(data) && (data[j] == 'e' || data[j] == 'E') {
		j++
		if j < len(data) && (data[j] == '+' || data[j] == '-') {
			j++
		}
		k := skipDigits(data, j)
		if k == j {
			return 0, false
		}
		j = k
	}
	return j, true
}

func skipDigits[T Text](data T, j int) int {
	for j < len(data) && data[j] >= '0' && data[j] <= '9' {
		j++
	}
	return j
}

// scanLiteral returns the index after lit at data[i].
func scanLiteral[T Text](data T, i int, lit string) (int, bool) {
	if len(data)-i < len(lit) {
		return 0, false
	}
	for k := 0; k < len(lit); k++ {
		if data[i+k] != lit[k] {
			return 0, false
		}
	}
	return i + len(lit), true
}

// scanScalar returns the index after the string, number or literal at
// data[i].
func scanScalar[T Text](data T, i int) (int, bool) {
	switch data[i] {
	case '"':
		end, _, ok := scanString(data, i)
		return end, ok
	case 't':
		return scanLiteral(data, i, "true")
	case 'f':
		return scanLiteral(data, i, "false")
	case 'n':
		return scanLiteral(data, i, "null")
	}
	return Number(data, i)
}

// scanValue returns the index after the JSON value at data[i], checking its
// whole grammar; dup says it failed on two names of a nested object equal
// under folding.
func scanValue[T Text](data T, i int) (end int, ok, dup bool) {
	if i >= len(data) {
		return 0, false, false
	}
	switch data[i] {
	case '[':
		// Most arrays in a token (aud, scp, crit, amr) hold strings only.
		if end, ok, flat := scanFlatArray(data, i); flat {
			return end, ok, false
		}
		return scanContainer(data, i)
	case '{':
		return scanContainer(data, i)
	}
	end, ok = scanScalar(data, i)
	return end, ok, false
}

// scanFlatArray scans the array at data[i] when it holds no container; flat
// is false when it does.
func scanFlatArray[T Text](data T, i int) (end int, ok, flat bool) {
	i = skipWS(data, i+1)
	if i < len(data) && data[i] == ']' {
		return i + 1, true, true
	}
	for {
		if i >= len(data) {
			return 0, false, true
		}
		if data[i] == '[' || data[i] == '{' {
			return 0, false, false
		}
		if i, ok = scanScalar(data, i); !ok {
			return 0, false, true
		}
		i = skipWS(data, i)
		if i >= len(data) {
			return 0, false, true
		}
		switch data[i] {
		case ']':
			return i + 1, true, true
		case ',':
			i = skipWS(data, i+1)
		default:
			return 0, false, true
		}
	}
}

// scanContainer scans the object or array at data[i]. Nesting is followed
// with an explicit stack, so depth costs no recursion, and each nested
// object's names are checked as the top level's are.
func scanContainer[T Text](data T, i int) (end int, ok, dup bool) {
	var cbuf [16]byte
	closers := cbuf[:0] // the closing bracket of each open container
	var sbuf [2]nameSet
	sets := sbuf[:0] // the names of each open object
	for {
		// A value starts at i.
		if i >= len(data) {
			return 0, false, false
		}
		switch data[i] {
		case '{', '[':
			closer := byte('}')
			if data[i] == '[' {
				closer = ']'
			}
			i = skipWS(data, i+1)
			if i < len(data) && data[i] == closer {
				i, ok = i+1, true
				break
			}
			// encoding/json's limit, counting the object around the value.
			if len(closers)+2 > MaxDepth {
				return 0, false, false
			}
			closers = append(closers, closer)
			if closer == '}' {
				sets = append(sets, nameSet{})
				if i, ok, dup = scanMemberName(data, i, &sets[len(sets)-1]); !ok {
					return 0, false, dup
				}
			}
			continue
		default:
			if i, ok = scanScalar(data, i); !ok {
				return 0, false, false
			}
		}
		// A value ended at i: close containers, or move to the next element.
		for {
			if len(closers) == 0 {
				return i, true, false
			}
			i = skipWS(data, i)
			if i >= len(data) {
				return 0, false, false
			}
			closer := closers[len(closers)-1]
			if data[i] == closer {
				closers = closers[:len(closers)-1]
				if closer == '}' {
					sets = sets[:len(sets)-1]
				}
				i++
				continue
			}
			if data[i] != ',' {
				return 0, false, false
			}
			i = skipWS(data, i+1)
			if closer == '}' {
				if i, ok, dup = scanMemberName(data, i, &sets[len(sets)-1]); !ok {
					return 0, false, dup
				}
			}
			break
		}
	}
}

// scanMemberName reads `"name" :` at data[i], a member of the object whose
// names are in set, and returns where the value starts.
func scanMemberName[T Text](data T, i int, set *nameSet) (next int, ok, dup bool) {
	if i >= len(data) || data[i] != '"' {
		return 0, false, false
	}
	end, escaped, ok := scanString(data, i)
	if !ok {
		return 0, false, false
	}
	if escaped {
		s, _ := Unquote(data[i:end])
		dup = addName(set, data, -1, 0, s)
	} else {
		dup = addName(set, data, i+1, end-1, "")
	}
	if dup {
		return 0, false, true
	}
	i = skipWS(data, end)
	if i >= len(data) || data[i] != ':' {
		return 0, false, false
	}
	return skipWS(data, i+1), true, false
}

// nameSet holds the member names of one object, to find two equal under
// case folding: pairwise for the few names of an ordinary object, through a
// map of folded names past manyNames, so that a hostile object with
// thousands of names costs linear time, not quadratic. It keeps positions in
// the data, never the data, so that a segment decoded on the stack stays
// there.
type nameSet struct {
	refs [manyNames]nameRef
	n    int
	esc  []string            // names unescaped into copies
	fold map[string]struct{} // every name folded, once there are more than manyNames
}

// nameRef is where a name is: data[at:at+n], or esc[-at-1]. A negative n
// marks a name that is not all ASCII (its length is -n).
type nameRef struct {
	at, n int32
	h     uint32 // an ASCII name's hash under folding: names of unequal hashes differ
}

const manyNames = 24

// addName records a name of the set's object — data[at:end], or unescaped
// when at < 0 — and reports whether an earlier one equals it under folding.
func addName[T Text](s *nameSet, data T, at, end int, unescaped string) (dup bool) {
	var ref nameRef
	var ascii bool
	if at < 0 {
		s.esc = append(s.esc, unescaped)
		ref = nameRef{at: int32(-len(s.esc)), n: int32(len(unescaped))}
		ref.h, ascii = foldHash(unescaped)
	} else {
		ref = nameRef{at: int32(at), n: int32(end - at)}
		ref.h, ascii = foldHash(data[at:end])
	}
	if !ascii {
		ref.n = -ref.n
	}
	if s.fold != nil {
		return addFolded(s, foldName(s, data, ref))
	}
	for _, o := range s.refs[:s.n] {
		if o.n >= 0 && ref.n >= 0 && (o.n != ref.n || o.h != ref.h) {
			continue // two ASCII names that cannot be equal under folding
		}
		if sameFolded(s, data, o, ref) {
			return true
		}
	}
	if s.n < len(s.refs) {
		s.refs[s.n] = ref
		s.n++
		return false
	}
	s.fold = make(map[string]struct{}, 2*manyNames)
	for _, o := range s.refs {
		s.fold[foldName(s, data, o)] = struct{}{}
	}
	return addFolded(s, foldName(s, data, ref))
}

func addFolded(s *nameSet, key string) bool {
	if _, ok := s.fold[key]; ok {
		return true
	}
	s.fold[key] = struct{}{}
	return false
}

// sameFolded reports whether the names a and b are equal under case
// folding, as strings.EqualFold says.
func sameFolded[T Text](s *nameSet, data T, a, b nameRef) bool {
	if a.n >= 0 && b.n >= 0 { // ASCII: only the letters fold
		if a.n != b.n {
			return false
		}
		for k := int32(0); k < a.n; k++ {
			if asciiLower(nameByte(s, data, a, k)) != asciiLower(nameByte(s, data, b, k)) {
				return false
			}
		}
		return true
	}
	return strings.EqualFold(nameString(s, data, a), nameString(s, data, b))
}

func nameByte[T Text](s *nameSet, data T, r nameRef, k int32) byte {
	if r.at < 0 {
		return s.esc[-r.at-1][k]
	}
	return data[r.at+k]
}

// nameString returns the name r as a string: a copy for a []byte data. Only
// names that are not all ASCII take this way.
func nameString[T Text](s *nameSet, data T, r nameRef) string {
	if r.at < 0 {
		return s.esc[-r.at-1]
	}
	n := r.n
	if n < 0 {
		n = -n
	}
	return string(data[r.at : r.at+n])
}

// foldName returns a key equal for exactly the names strings.EqualFold
// finds equal: each rune replaced by the smallest rune of its case-folding
// orbit. It is always a new string, never a part of data.
func foldName[T Text](s *nameSet, data T, r nameRef) string {
	if r.n >= 0 {
		b := make([]byte, r.n)
		for k := range b {
			b[k] = asciiUpper(nameByte(s, data, r, int32(k)))
		}
		return string(b)
	}
	name := nameString(s, data, r)
	b := make([]byte, 0, len(name))
	for _, c := range name {
		b = utf8.AppendRune(b, foldRune(c))
	}
	return string(b)
}

// foldRune returns the smallest rune of r's simple case-folding orbit (the
// runes unicode.SimpleFold cycles through): the runes strings.EqualFold
// takes for r.
func foldRune(r rune) rune {
	least := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		least = min(least, f)
	}
	return least
}

// asciiUpper is foldRune for ASCII: an upper-case letter is the least of its
// orbit.
func asciiUpper(c byte) byte {
	if 'a' <= c && c <= 'z' {
		return c - ('a' - 'A')
	}
	return c
}

func asciiLower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// foldHash hashes s (FNV-1a) with its ASCII letters in lower case, and
// reports whether s is all ASCII (h is 0 when not).
func foldHash[T Text](s T) (h uint32, ascii bool) {
	h = 2166136261
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			return 0, false
		}
		h = (h ^ uint32(asciiLower(c))) * 16777619
	}
	return h, true
}

func isASCII[T Text](s T) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// Unquote decodes a JSON string value (quotes included) that the reader has
// accepted. Without escapes it is a substring (no copy when T is a string).
func Unquote[T Text](v T) (string, bool) {
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
		return "", false
	}
	body := v[1 : len(v)-1]
	// The plain run first, eight table lookups at a time (most of a token's
	// strings are plain through); it stops at a quote, a backslash or a
	// control character, and only a backslash may follow.
	i := 0
	for i+8 <= len(body) && plainChar[body[i]] && plainChar[body[i+1]] && plainChar[body[i+2]] && plainChar[body[i+3]] &&
		plainChar[body[i+4]] && plainChar[body[i+5]] && plainChar[body[i+6]] && plainChar[body[i+7]] {
		i += 8
	}
	for i < len(body) && plainChar[body[i]] {
		i++
	}
	if i == len(body) {
		return string(body), true
	}
	if body[i] != '\\' {
		return "", false
	}
	out := make([]byte, i, len(body))
	copy(out, body[:i])
	for i < len(body) {
		c := body[i]
		if c != '\\' {
			if c == '"' || c < 0x20 {
				return "", false
			}
			out = append(out, c)
			i++
			continue
		}
		if i+1 >= len(body) {
			return "", false
		}
		i++
		switch body[i] {
		case '"', '\\', '/':
			out = append(out, body[i])
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := hex4(body, i+1)
			if !ok {
				return "", false
			}
			i += 4
			if utf16.IsSurrogate(r) {
				if i+6 >= len(body) || body[i+1] != '\\' || body[i+2] != 'u' {
					return "", false
				}
				r2, ok := hex4(body, i+3)
				if !ok {
					return "", false
				}
				if r = utf16.DecodeRune(r, r2); r == utf8.RuneError {
					return "", false
				}
				i += 6
			}
			out = utf8.AppendRune(out, r)
		default:
			return "", false
		}
		i++
	}
	return string(out), true
}

// String decodes a raw JSON value that must be a string.
func String[T Text](v T) (string, bool) {
	if len(v) < 2 || v[0] != '"' {
		return "", false
	}
	return Unquote(v)
}

// Strings decodes a raw JSON value that must be an array of strings (null
// elements are refused).
func Strings[T Text](v T) ([]string, bool) {
	n, ok := CountStrings(v)
	if !ok {
		return nil, false
	}
	out := make([]string, 0, n)
	for i, s := 0, ""; ; {
		if s, i, ok = NextString(v, i); !ok {
			return out, true
		}
		out = append(out, s)
	}
}

// NextString walks an array of strings that CountStrings has accepted:
// start with i = 0; each call returns the next string unescaped and the
// index to pass next; ok is false after the last.
func NextString[T Text](v T, i int) (s string, next int, ok bool) {
	if i == 0 {
		i = 1
	}
	i = skipWS(v, i)
	if i < len(v) && v[i] == ',' {
		i = skipWS(v, i+1)
	}
	if i >= len(v) || v[i] != '"' {
		return "", i, false
	}
	end, _, _ := scanString(v, i)
	s, _ = Unquote(v[i:end])
	return s, end, true
}

// CountStrings checks that v is an array of strings and counts them.
func CountStrings[T Text](v T) (int, bool) {
	if len(v) < 2 || v[0] != '[' {
		return 0, false
	}
	n := 0
	i := skipWS(v, 1)
	if i < len(v) && v[i] == ']' {
		return 0, skipWS(v, i+1) == len(v)
	}
	for {
		if i >= len(v) || v[i] != '"' {
			return 0, false
		}
		end, _, ok := scanString(v, i)
		if !ok {
			return 0, false
		}
		n++
		i = skipWS(v, end)
		if i >= len(v) {
			return 0, false
		}
		if v[i] == ']' {
			return n, skipWS(v, i+1) == len(v)
		}
		if v[i] != ',' {
			return 0, false
		}
		i = skipWS(v, i+1)
	}
}

// Empty reports whether the raw JSON value v (accepted by the reader) says
// nothing: null, "", an empty array or object (whitespace inside
// aside), or an array of empty strings only.
func Empty[T Text](v T) bool {
	if len(v) == 0 {
		return true
	}
	switch v[0] {
	case 'n':
		return true // null: no other value starts with n
	case '"':
		return len(v) == 2
	case '{':
		return v[skipWS(v, 1)] == '}'
	case '[':
		i := skipWS(v, 1)
		for i < len(v) && v[i] != ']' {
			if v[i] != '"' || v[i+1] != '"' {
				return false
			}
			i = skipWS(v, i+2)
			if v[i] == ',' {
				i = skipWS(v, i+1)
			}
		}
		return true
	}
	return false
}

// NextElem walks the elements of an array the reader has accepted: start
// with i = 0; each call returns the next element's raw value and the index
// to pass next; ok is false after the last.
func NextElem[T Text](v T, i int) (elem T, next int, ok bool) {
	if i == 0 {
		i = 1
	}
	i = skipWS(v, i)
	if i < len(v) && v[i] == ',' {
		i = skipWS(v, i+1)
	}
	if i >= len(v) || v[i] == ']' {
		return elem, i, false
	}
	end, ok, _ := scanValue(v, i)
	if !ok {
		return elem, i, false
	}
	return v[i:end], end, true
}

// Fold returns a key that is equal for two names exactly when
// strings.EqualFold says they are equal.
func Fold(name string) string {
	var s nameSet
	r := nameRef{at: 0, n: int32(len(name))}
	if !isASCII(name) {
		r.n = -r.n
	}
	return foldName(&s, name, r)
}
