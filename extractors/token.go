package extractors

// b64tokenChar reports the characters of RFC 6750's b64token before the
// trailing "=" padding: ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/".
// It is 1 for those, 0 otherwise, so that eight lookups combine with & and
// one branch.
var b64tokenChar = func() (t [256]uint8) {
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = 1
		t[c+'a'-'A'] = 1
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = 1
	}
	for _, c := range "-._~+/" {
		t[c] = 1
	}
	return t
}()

// isB64Token reports whether s matches 1*( ALPHA / DIGIT / "-" / "." / "_" /
// "~" / "+" / "/" ) *"=" (RFC 6750 §2.1).
func isB64Token(s string) bool {
	i := 0
	// Eight at a time: tokens are hundreds of characters, checked on every
	// request, cache hits included.
	for ; i+8 <= len(s); i += 8 {
		w := s[i : i+8]
		if b64tokenChar[w[0]]&b64tokenChar[w[1]]&b64tokenChar[w[2]]&b64tokenChar[w[3]]&
			b64tokenChar[w[4]]&b64tokenChar[w[5]]&b64tokenChar[w[6]]&b64tokenChar[w[7]] == 0 {
			break
		}
	}
	for i < len(s) && b64tokenChar[s[i]] == 1 {
		i++
	}
	if i == 0 {
		return false
	}
	for i < len(s) && s[i] == '=' {
		i++
	}
	return i == len(s)
}

// hasPrefixFold reports whether s starts with prefix, ignoring ASCII case.
func hasPrefixFold(s, prefix string) bool {
	if len(s) < len(prefix) {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		a, b := s[i], prefix[i]
		if a == b {
			continue
		}
		if 'A' <= a && a <= 'Z' {
			a += 'a' - 'A'
		}
		if 'A' <= b && b <= 'Z' {
			b += 'a' - 'A'
		}
		if a != b {
			return false
		}
	}
	return true
}

// trimLeftSP removes leading SP (0x20) only; a TAB is left in place so that
// the token rule refuses it.
func trimLeftSP(s string) string {
	for len(s) > 0 && s[0] == ' ' {
		s = s[1:]
	}
	return s
}

// isHTTPToken reports whether s is an RFC 9110 token, the syntax of header
// field names and cookie names.
func isHTTPToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c < 0x80 && containsByte("!#$%&'*+-.^_`|~", c):
		default:
			return false
		}
	}
	return true
}

func containsByte(s string, c byte) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return true
		}
	}
	return false
}
