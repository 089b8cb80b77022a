package jwtgate

import (
	"bytes"
	"encoding/json"
	"errors"
)

// scanObject walks the members of the top-level JSON object in data and calls
// fn with each member's unescaped name and raw value. It finds member
// boundaries exactly for valid JSON; it does not validate everything, so the
// caller must also decode data with encoding/json (golang-jwt does) and refuse
// it when that fails. Why scan at all: encoding/json keeps the last of two
// duplicate names and matches names case-insensitively, and a verifier must
// not read a token differently from the issuer that signed it (RFC 7515 §4,
// RFC 7519 §4).
func scanObject(data []byte, fn func(name, value []byte) error) error {
	i := skipWS(data, 0)
	if i >= len(data) || data[i] != '{' {
		return errNotObject
	}
	i = skipWS(data, i+1)
	if i < len(data) && data[i] == '}' {
		i++
	} else {
		for {
			if i >= len(data) || data[i] != '"' {
				return errNotObject
			}
			end, escaped, err := skipString(data, i)
			if err != nil {
				return err
			}
			name := data[i+1 : end-1]
			if escaped {
				var s string
				if json.Unmarshal(data[i:end], &s) != nil {
					return errNotObject
				}
				name = []byte(s)
			}
			i = skipWS(data, end)
			if i >= len(data) || data[i] != ':' {
				return errNotObject
			}
			i = skipWS(data, i+1)
			start := i
			if i, err = skipValue(data, i); err != nil {
				return err
			}
			if err := fn(name, data[start:i]); err != nil {
				return err
			}
			i = skipWS(data, i)
			if i < len(data) && data[i] == ',' {
				i = skipWS(data, i+1)
				continue
			}
			if i < len(data) && data[i] == '}' {
				i++
				break
			}
			return errNotObject
		}
	}
	if skipWS(data, i) != len(data) {
		return errNotObject
	}
	return nil
}

var errNotObject = errors.New("jwtgate: not a JSON object")

func skipWS(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index after the string starting at data[i] == '"'.
func skipString(data []byte, i int) (end int, escaped bool, err error) {
	for j := i + 1; j < len(data); j++ {
		switch data[j] {
		case '\\':
			escaped = true
			j++
		case '"':
			return j + 1, escaped, nil
		}
	}
	return 0, false, errNotObject
}

func skipValue(data []byte, i int) (int, error) {
	if i >= len(data) {
		return 0, errNotObject
	}
	switch data[i] {
	case '"':
		end, _, err := skipString(data, i)
		return end, err
	case '{', '[':
		depth := 0
		for j := i; j < len(data); j++ {
			switch data[j] {
			case '"':
				end, _, err := skipString(data, j)
				if err != nil {
					return 0, err
				}
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1, nil
				}
			}
		}
		return 0, errNotObject
	}
	j := i
	for j < len(data) {
		c := data[j]
		if c == ',' || c == '}' || c == ']' || c == ' ' || c == '\t' || c == '\n' || c == '\r' {
			break
		}
		j++
	}
	if j == i {
		return 0, errNotObject
	}
	return j, nil
}

// jsonString decodes a raw JSON value that must be a string.
func jsonString(v []byte) (string, bool) {
	if len(v) < 2 || v[0] != '"' {
		return "", false
	}
	if bytes.IndexByte(v, '\\') < 0 {
		return string(v[1 : len(v)-1]), true
	}
	var s string
	if json.Unmarshal(v, &s) != nil {
		return "", false
	}
	return s, true
}

// jsonStrings decodes a raw JSON value that must be an array of strings.
func jsonStrings(v []byte) ([]string, bool) {
	if len(v) == 0 || v[0] != '[' {
		return nil, false
	}
	var out []string
	if json.Unmarshal(v, &out) != nil {
		return nil, false
	}
	// json.Unmarshal turns null elements into "": refuse them.
	if bytes.Contains(v, []byte("null")) {
		for _, s := range out {
			if s == "" {
				return nil, false
			}
		}
	}
	return out, true
}

// seenNames detects duplicate member names without a map for small objects.
type seenNames struct {
	small [24][]byte
	n     int
	more  map[string]struct{}
}

func (s *seenNames) add(name []byte) (dup bool) {
	if s.more != nil {
		if _, ok := s.more[string(name)]; ok {
			return true
		}
		s.more[string(name)] = struct{}{}
		return false
	}
	for _, o := range s.small[:s.n] {
		if bytes.Equal(o, name) {
			return true
		}
	}
	if s.n < len(s.small) {
		s.small[s.n] = name
		s.n++
		return false
	}
	s.more = make(map[string]struct{}, 2*len(s.small))
	for _, o := range s.small {
		s.more[string(o)] = struct{}{}
	}
	s.more[string(name)] = struct{}{}
	return false
}

func (s *seenNames) has(name string) bool {
	if s.more != nil {
		_, ok := s.more[name]
		return ok
	}
	for _, o := range s.small[:s.n] {
		if string(o) == name {
			return true
		}
	}
	return false
}
