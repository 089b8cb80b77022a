package extractors

import (
	"net/url"
	"strings"
)

// The parsing of Cookie lines and of application/x-www-form-urlencoded text,
// in one place for every Request view: net/http's (HTTPRequest), and the
// views of frameworks that hand out raw lines and bytes (Fiber).

// LookupCookie finds the cookie called name in Cookie header lines, read as
// net/http and browsers read them: pairs separated by ';', spaces and tabs
// trimmed around each pair and around its name (so "access_token =B" is the
// cookie access_token), one pair of double quotes removed from the value. It
// returns the first value and the number of cookies with the name. Unlike
// net/http it does not drop a cookie whose value holds characters a cookie
// may not: the extractor refuses it instead. It does not allocate.
func LookupCookie[T ~string | ~[]byte](lines []T, name string) (value T, count int) {
	for _, line := range lines {
		for len(line) > 0 {
			var part T
			if i := indexByte(line, ';'); i >= 0 {
				part, line = line[:i], line[i+1:]
			} else {
				part, line = line, line[len(line):]
			}
			part = trimSpace(part)
			if len(part) == 0 {
				continue
			}
			k, v := part, part[len(part):]
			if i := indexByte(part, '='); i >= 0 {
				k, v = part[:i], part[i+1:]
			}
			if string(trimSpace(k)) != name {
				continue
			}
			if count == 0 {
				if len(v) > 1 && v[0] == '"' && v[len(v)-1] == '"' {
					v = v[1 : len(v)-1]
				}
				value = v
			}
			count++
		}
	}
	return value, count
}

// LookupQuery finds the parameter called name in application/x-www-form-
// urlencoded text — a URL's raw query, a form body — read as net/url reads
// it: pairs separated by '&' only, names and values unescaped ('+' is a
// space). It returns the first value, unescaped, and the number of times the
// name appears. A value that cannot be unescaped is returned as sent, so
// that the token rule refuses it. Only unescaping a value, or a []byte
// value, allocates.
func LookupQuery[T ~string | ~[]byte](raw T, name string) (value string, count int) {
	for len(raw) > 0 {
		var pair T
		if i := indexByte(raw, '&'); i >= 0 {
			pair, raw = raw[:i], raw[i+1:]
		} else {
			pair, raw = raw, raw[len(raw):]
		}
		k, v := pair, pair[len(pair):]
		if i := indexByte(pair, '='); i >= 0 {
			k, v = pair[:i], pair[i+1:]
		}
		if !queryKeyEqual(k, name) {
			continue
		}
		if count == 0 {
			value = string(v)
			if strings.ContainsAny(value, "%+") {
				if u, err := url.QueryUnescape(value); err == nil {
					value = u
				}
			}
		}
		count++
	}
	return value, count
}

func indexByte[T ~string | ~[]byte](s T, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}

// trimSpace removes leading and trailing ASCII space (SP, HTAB, CR, LF), as
// net/textproto.TrimString does.
func trimSpace[T ~string | ~[]byte](s T) T {
	for len(s) > 0 && isASCIISpace(s[0]) {
		s = s[1:]
	}
	for len(s) > 0 && isASCIISpace(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}

func isASCIISpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// queryKeyEqual reports whether the raw (escaped) query key decodes to name,
// decoding on the fly instead of allocating. A key with a bad escape matches
// nothing, as url.ParseQuery skips it.
func queryKeyEqual[T ~string | ~[]byte](raw T, name string) bool {
	if indexByte(raw, '%') < 0 && indexByte(raw, '+') < 0 {
		return string(raw) == name
	}
	j := 0
	for i := 0; i < len(raw); {
		c := raw[i]
		switch c {
		case '+':
			c = ' '
			i++
		case '%':
			if i+2 >= len(raw) {
				return false
			}
			hi, ok1 := unhex(raw[i+1])
			lo, ok2 := unhex(raw[i+2])
			if !ok1 || !ok2 {
				return false
			}
			c = hi<<4 | lo
			i += 3
		default:
			i++
		}
		if j >= len(name) || name[j] != c {
			return false
		}
		j++
	}
	return j == len(name)
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
