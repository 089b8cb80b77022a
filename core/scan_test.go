package jwtgate

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func names(t testing.TB, data []byte) ([]string, error) {
	t.Helper()
	var out []string
	err := scanObject(data, func(name, value []byte) error {
		out = append(out, string(name))
		if !json.Valid(value) {
			t.Fatalf("scanObject gave invalid value %q for %q", value, name)
		}
		return nil
	})
	return out, err
}

func TestScanObject(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		in    string
		want  []string
		error bool
	}{
		{name: "empty object", in: `{}`, want: nil},
		{name: "spaces", in: " {\r\n \"a\" : 1 ,\t\"b\":[1,{\"c\":\"}\"}] } ", want: []string{"a", "b"}},
		{name: "escaped name", in: `{"\u0061\"":true}`, want: []string{`a"`}},
		{name: "nested braces in strings", in: `{"a":"{[","b":{"x":"]}"}}`, want: []string{"a", "b"}},
		{name: "escaped quote in value", in: `{"a":"x\"}","b":null}`, want: []string{"a", "b"}},
		{name: "array", in: `[1]`, error: true},
		{name: "string", in: `"x"`, error: true},
		{name: "trailing garbage", in: `{"a":1}x`, error: true},
		{name: "two objects", in: `{}{}`, error: true},
		{name: "unterminated", in: `{"a":1`, error: true},
		{name: "missing colon", in: `{"a" 1}`, error: true},
		{name: "BOM", in: "\xef\xbb\xbf{}", error: true},
		{name: "empty", in: ``, error: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := names(t, []byte(tt.in))
			if tt.error {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

// FuzzScanObject holds the JSON reader to encoding/json: on valid UTF-8 it
// accepts exactly the objects json.Valid accepts, and finds exactly the
// member names encoding/json finds, in order. A verifier must not read a
// payload differently from the JSON decoders behind it and behind the issuer.
func FuzzScanObject(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":1,"b":"x"}`, `{"a":{"b":[1,2,{"c":"\"}"}]},"d":null}`, `{"\u0065xp":1}`, `{"a":"\\"}`, `[]`, `{"a":1}x`,
		`{"a":-0.5e+3}`, `{"a":01}`, `{"a":1.}`, `{"a":[1,]}`, `{"a":tru}`, "{\"a\":\"\x01\"}", `{"a":"\x"}`, `{"a":{"b":}}`, `{"a":[[[]]]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if !utf8.Valid(data) {
			return // callers refuse invalid UTF-8 first (encoding/json would replace it with U+FFFD)
		}
		got, err := names(t, data)
		isObject := json.Valid(data) && bytes.HasPrefix(bytes.TrimLeft(data, " \t\r\n"), []byte("{"))
		if (err == nil) != isObject {
			t.Fatalf("scanObject error %v on %q, json.Valid object: %v", err, data, isObject)
		}
		if !isObject {
			return
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		_, _ = dec.Token() // {
		var want []string
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				t.Fatal(err)
			}
			want = append(want, tok.(string))
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				t.Fatal(err)
			}
		}
		assert.Equal(t, want, got)
	})
}

// FuzzUnquote holds the string decoder to encoding/json's, escapes and lone
// surrogates included.
func FuzzUnquote(f *testing.F) {
	for _, s := range []string{`"a"`, `"\u00e9\n"`, `"\ud83d\ude00"`, `"\ud83d"`, `"\ude00\ud83d"`, `"\ud83d\u0041"`, `"\/\b\f\r\t\"\\"`, `"é"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) || s != strings.Trim(s, " \t\r\n") {
			return // the reader hands out values without surrounding space
		}
		var want string
		wantErr := json.Unmarshal([]byte(s), &want)
		end, _, ok := scanString(s, 0)
		if ok && end != len(s) {
			ok = false // trailing bytes: not one string
		}
		if (wantErr == nil) != (len(s) > 0 && s[0] == '"' && ok) {
			t.Fatalf("scanString ok=%v on %q, encoding/json: %v", ok, s, wantErr)
		}
		if wantErr != nil {
			return
		}
		got, ok := unquote(s)
		require.True(t, ok)
		assert.Equal(t, want, got)
		gotB, ok := jsonString([]byte(s))
		require.True(t, ok)
		assert.Equal(t, want, gotB)
	})
}

// FuzzJSONStrings holds the array-of-strings reader (aud, scp, crit) to
// encoding/json, with null elements refused.
func FuzzJSONStrings(f *testing.F) {
	for _, s := range []string{`[]`, `["a"]`, `["a","b"]`, `[ "a" , "\u0062" ]`, `["a",null]`, `[1]`, `["a",]`, `"a"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) || s != strings.Trim(s, " \t\r\n") {
			return // the reader hands out values without surrounding space
		}
		var raw []json.RawMessage
		valid := json.Unmarshal([]byte(s), &raw) == nil && raw != nil
		var want []string
		for _, r := range raw {
			var v string
			if r[0] != '"' || json.Unmarshal(r, &v) != nil {
				valid = false
				break
			}
			want = append(want, v)
		}
		got, ok := jsonStrings(s)
		if ok != valid {
			t.Fatalf("jsonStrings ok=%v on %q, encoding/json: %v", ok, s, valid)
		}
		if ok {
			assert.Equal(t, len(want), len(got))
			for i := range want {
				assert.Equal(t, want[i], got[i])
			}
		}
	})
}

// FuzzDecodeSegment holds decodeSegment to encoding/base64's strict raw URL
// decoding: the same bytes, the same refusals.
func FuzzDecodeSegment(f *testing.F) {
	for _, s := range []string{"", "A", "AA", "AB", "AAA", "AAB", "eyJhbGciOiJIUzI1NiJ9", "____", "-_-_", "a+b/", "AA==", "A\n", "QUJD"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if strings.ContainsAny(s, "\r\n") {
			return // encoding/base64 skips line breaks; compactShape has refused them already
		}
		want, wantErr := base64.RawURLEncoding.Strict().DecodeString(s)
		dst := make([]byte, decodedLen(len(s)))
		n, ok := decodeSegment(dst, s)
		if ok != (wantErr == nil) {
			t.Fatalf("decodeSegment ok=%v on %q, encoding/base64: %v", ok, s, wantErr)
		}
		if ok {
			assert.Equal(t, want, dst[:n])
		}
	})
}
