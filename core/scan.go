package jwtgate

import (
	"errors"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// The JOSE header and the claims are read by a strict JSON reader of our own
// rather than by encoding/json, for two reasons. Correctness: encoding/json
// keeps the last of two duplicate names and matches names
// case-insensitively, and a verifier must not read a token differently from
// the issuer that signed it (RFC 7515 §4, RFC 7519 §4). Cost: it reads the
// payload once, without reflection, and hands out substrings of it.
//
// The reader accepts exactly RFC 8259 JSON (FuzzScanObject holds it to
// encoding/json's json.Valid); callers check UTF-8 validity before.

// text is what the reader reads: a decoded segment as bytes, or as a string
// whose substrings can be kept without copying.
type text interface{ ~string | ~[]byte }

var errNotObject = errors.New("jwtgate: not a JSON object")

// maxDepth is the deepest nesting encoding/json accepts.
const maxDepth = 10000

// objectReader walks the members of the top-level JSON object in data:
//
//	r := objectReader[string]{data: s}
//	for r.next() { use(r.name, r.value) }
//	if r.err != nil { … }
//
// name is unescaped; value is the member's raw JSON value, validated. The
// verification's hot path calls member directly: a reader behind a pointer
// would move the decoded header to the heap.
type objectReader[T text] struct {
	data  T
	i     int
	state uint8 // 0 before '{', 1 inside, 2 done
	name  T
	value T
	err   error
}

func (r *objectReader[T]) next() bool {
	switch r.state {
	case 0:
		r.i, r.state = openObject(r.data), 1
		if r.i < 0 {
			r.err, r.state = errNotObject, 2
			return false
		}
		fallthrough
	case 1:
		name, value, _, next, st := member(r.data, r.i)
		switch st {
		case memberOK:
			r.name, r.value, r.i = name, value, next
			return true
		case memberBad:
			r.err = errNotObject
		}
		r.state = 2
	}
	return false
}

// openObject returns the index after the opening brace of the object data
// must be, or -1.
func openObject[T text](data T) int {
	i := skipWS(data, 0)
	if i >= len(data) || data[i] != '{' {
		return -1
	}
	return i + 1
}

const (
	memberOK  = iota // a member was read
	memberEnd        // the object ended, and data with it
	memberBad        // not JSON, or more after the object
)

// member reads the member of an object at data[i], where i is just after the
// opening brace or after the previous member, and returns the index after it.
//
// nameAt is where name is in data, or -1 when name was unescaped into a copy.
func member[T text](data T, i int) (name, value T, nameAt, next int, status int) {
	i = skipWS(data, i)
	if i >= len(data) {
		return name, value, 0, 0, memberBad
	}
	switch data[i] {
	case '}':
		if skipWS(data, i+1) != len(data) {
			return name, value, 0, 0, memberBad
		}
		return name, value, 0, 0, memberEnd
	case ',':
		// Only between members: after '{' comes a name or '}'.
		j := i - 1
		for j >= 0 && (data[j] == ' ' || data[j] == '\t' || data[j] == '\n' || data[j] == '\r') {
			j--
		}
		if j < 0 || data[j] == '{' {
			return name, value, 0, 0, memberBad
		}
		i = skipWS(data, i+1)
	default:
		j := i - 1
		for j >= 0 && (data[j] == ' ' || data[j] == '\t' || data[j] == '\n' || data[j] == '\r') {
			j--
		}
		if j < 0 || data[j] != '{' {
			return name, value, 0, 0, memberBad // a member not first needs a comma
		}
	}
	if i >= len(data) || data[i] != '"' {
		return name, value, 0, 0, memberBad
	}
	end, escaped, ok := scanString(data, i)
	if !ok {
		return name, value, 0, 0, memberBad
	}
	name, nameAt = data[i+1:end-1], i+1
	if escaped {
		s, _ := unquote(data[i:end])
		name, nameAt = T(s), -1
	}
	i = skipWS(data, end)
	if i >= len(data) || data[i] != ':' {
		return name, value, 0, 0, memberBad
	}
	i = skipWS(data, i+1)
	end, ok = scanValue(data, i)
	if !ok {
		return name, value, 0, 0, memberBad
	}
	return name, data[i:end], nameAt, end, memberOK
}

// scanObject calls fn with each member of the JSON object data, as
// objectReader reads them. For code off the hot path.
func scanObject(data []byte, fn func(name, value []byte) error) error {
	r := objectReader[[]byte]{data: data}
	for r.next() {
		if err := fn(r.name, r.value); err != nil {
			return err
		}
	}
	return r.err
}

func skipWS[T text](data T, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}

// scanString returns the index after the JSON string starting at data[i] ==
// '"', and whether it holds escapes. It refuses control characters and
// malformed escapes.
func scanString[T text](data T, i int) (end int, escaped, ok bool) {
	for j := i + 1; j < len(data); j++ {
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
				if j+4 >= len(data) {
					return 0, false, false
				}
				for k := j + 1; k <= j+4; k++ {
					if hexValue(data[k]) < 0 {
						return 0, false, false
					}
				}
				j += 4
			default:
				return 0, false, false
			}
		case c < 0x20:
			return 0, false, false
		}
	}
	return 0, false, false
}

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

// scanNumber returns the index after the JSON number at data[i].
func scanNumber[T text](data T, i int) (int, bool) {
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

func skipDigits[T text](data T, j int) int {
	for j < len(data) && data[j] >= '0' && data[j] <= '9' {
		j++
	}
	return j
}

// scanLiteral returns the index after lit at data[i].
func scanLiteral[T text](data T, i int, lit string) (int, bool) {
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

// scanValue returns the index after the JSON value at data[i], checking its
// whole grammar; nesting is followed with an explicit stack, so depth costs
// no recursion.
func scanValue[T text](data T, i int) (int, bool) {
	var buf [32]byte
	stack := buf[:0] // the closing bracket of each open container
	for {
		// A value starts at i.
		if i >= len(data) {
			return 0, false
		}
		var ok bool
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
			if len(stack)+2 > maxDepth {
				return 0, false
			}
			stack = append(stack, closer)
			if closer == '}' {
				if i, ok = scanMemberName(data, i); !ok {
					return 0, false
				}
			}
			continue
		case '"':
			i, _, ok = scanString(data, i)
		case 't':
			i, ok = scanLiteral(data, i, "true")
		case 'f':
			i, ok = scanLiteral(data, i, "false")
		case 'n':
			i, ok = scanLiteral(data, i, "null")
		default:
			i, ok = scanNumber(data, i)
		}
		if !ok {
			return 0, false
		}
		// A value ended at i: close containers, or move to the next element.
		for {
			if len(stack) == 0 {
				return i, true
			}
			i = skipWS(data, i)
			if i >= len(data) {
				return 0, false
			}
			closer := stack[len(stack)-1]
			if data[i] == closer {
				stack = stack[:len(stack)-1]
				i++
				continue
			}
			if data[i] != ',' {
				return 0, false
			}
			i = skipWS(data, i+1)
			if closer == '}' {
				if i, ok = scanMemberName(data, i); !ok {
					return 0, false
				}
			}
			break
		}
	}
}

// scanMemberName reads `"name" :` at data[i] and returns where the value
// starts.
func scanMemberName[T text](data T, i int) (int, bool) {
	if i >= len(data) || data[i] != '"' {
		return 0, false
	}
	end, _, ok := scanString(data, i)
	if !ok {
		return 0, false
	}
	i = skipWS(data, end)
	if i >= len(data) || data[i] != ':' {
		return 0, false
	}
	return skipWS(data, i+1), true
}

// unquote decodes a JSON string value (quotes included) that scanString has
// accepted. Without escapes it is a substring (no copy when T is a string).
// A lone surrogate escape becomes U+FFFD, as encoding/json does.
func unquote[T text](v T) (string, bool) {
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
		return "", false
	}
	body := v[1 : len(v)-1]
	i := 0
	for i < len(body) && body[i] != '\\' {
		if body[i] == '"' || body[i] < 0x20 {
			return "", false
		}
		i++
	}
	if i == len(body) {
		return string(body), true
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
				r2, ok2 := rune(-1), false
				if i+6 < len(body) && body[i+1] == '\\' && body[i+2] == 'u' {
					r2, ok2 = hex4(body, i+3)
				}
				if dec := utf16.DecodeRune(r, r2); ok2 && dec != utf8.RuneError {
					r = dec
					i += 6
				} else {
					r = utf8.RuneError
				}
			}
			out = utf8.AppendRune(out, r)
		default:
			return "", false
		}
		i++
	}
	return string(out), true
}

func hex4[T text](b T, i int) (rune, bool) {
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

// jsonString decodes a raw JSON value that must be a string.
func jsonString[T text](v T) (string, bool) {
	if len(v) < 2 || v[0] != '"' {
		return "", false
	}
	return unquote(v)
}

// jsonStrings decodes a raw JSON value that must be an array of strings
// (null elements are refused).
func jsonStrings[T text](v T) ([]string, bool) {
	n, ok := countStrings(v)
	if !ok {
		return nil, false
	}
	out := make([]string, 0, n)
	i := skipWS(v, 1)
	for i < len(v) && v[i] == '"' {
		end, _, _ := scanString(v, i)
		s, _ := unquote(v[i:end])
		out = append(out, s)
		i = skipWS(v, end)
		if i < len(v) && v[i] == ',' {
			i = skipWS(v, i+1)
		}
	}
	return out, true
}

// countStrings checks that v is an array of strings and counts them.
func countStrings[T text](v T) (int, bool) {
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

// seenNames detects duplicate member names without a map for small objects.
// It remembers where names are in the data, not the names: storing slices of
// the data through a pointer would move a decoded segment to the heap.
//
//	if seen.has(data, name) { duplicate }
//	seen.push(name, at) // at: the name's index in data, -1 when unescaped into a copy
type seenNames struct {
	small [24][2]int32 // offset and length in the data
	n     int
	more  map[string]struct{} // escaped names, and names past len(small)
}

func (s *seenNames) push(name string, at int) {
	if at >= 0 && s.n < len(s.small) {
		s.small[s.n] = [2]int32{int32(at), int32(len(name))}
		s.n++
		return
	}
	if s.more == nil {
		s.more = make(map[string]struct{})
	}
	s.more[strings.Clone(name)] = struct{}{}
}

func has[T text](s *seenNames, data T, name string) bool {
	for _, o := range s.small[:s.n] {
		if int(o[1]) == len(name) && string(data[o[0]:o[0]+o[1]]) == name {
			return true
		}
	}
	if s.more != nil {
		_, ok := s.more[name]
		return ok
	}
	return false
}
