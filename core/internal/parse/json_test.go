package parse

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

// names walks data with Members and returns the names, checking every value
// is JSON.
func names(t testing.TB, data []byte) ([]string, bool) {
	t.Helper()
	var out []string
	var m Members[[]byte]
	for {
		name, value, ok := m.Next(data)
		if !ok {
			break
		}
		out = append(out, string(name))
		if !json.Valid(value) {
			t.Fatalf("Members gave invalid value %q for %q", value, name)
		}
	}
	// The string walk must agree with the []byte walk.
	var ms Members[string]
	n := 0
	for {
		name, _, ok := ms.Next(string(data))
		if !ok {
			break
		}
		if n >= len(out) || out[n] != name {
			t.Fatalf("string walk found %q, []byte walk %q", name, out)
		}
		n++
	}
	if ms.Failed() != m.Failed() || n != len(out) {
		t.Fatalf("string walk failed=%v after %d, []byte walk failed=%v after %d", ms.Failed(), n, m.Failed(), len(out))
	}
	return out, !m.Failed()
}

func TestMembers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want []string
		bad  bool
	}{
		{name: "empty object", in: `{}`, want: nil},
		{name: "spaces", in: " {\r\n \"a\" : 1 ,\t\"b\":[1,{\"c\":\"}\"}] } ", want: []string{"a", "b"}},
		{name: "escaped name", in: `{"\u0061\"":true}`, want: []string{`a"`}},
		{name: "nested braces in strings", in: `{"a":"{[","b":{"x":"]}"}}`, want: []string{"a", "b"}},
		{name: "escaped quote in value", in: `{"a":"x\"}","b":null}`, want: []string{"a", "b"}},
		{name: "surrogate pair", in: `{"a":"\ud83d\ude00"}`, want: []string{"a"}},
		{name: "same name in two nested objects", in: `{"a":{"x":1},"b":{"x":1,"y":{"x":2}}}`, want: []string{"a", "b"}},
		{name: "names differing by more than case", in: `{"role":1,"roles":2,"rolE2":3}`, want: []string{"role", "roles", "rolE2"}},
		{name: "array", in: `[1]`, bad: true},
		{name: "string", in: `"x"`, bad: true},
		{name: "trailing garbage", in: `{"a":1}x`, bad: true},
		{name: "two objects", in: `{}{}`, bad: true},
		{name: "unterminated", in: `{"a":1`, bad: true},
		{name: "missing colon", in: `{"a" 1}`, bad: true},
		{name: "leading comma", in: `{,"a":1}`, bad: true},
		{name: "trailing comma", in: `{"a":1,}`, bad: true},
		{name: "missing comma", in: `{"a":1 "b":2}`, bad: true},
		{name: "BOM", in: "\xef\xbb\xbf{}", bad: true},
		{name: "empty", in: ``, bad: true},
		{name: "duplicate", in: `{"a":1,"a":2}`, bad: true},
		{name: "case variant", in: `{"role":"user","ROLE":"admin"}`, bad: true},
		{name: "escaped case variant", in: `{"tid":"a","\u0054ID":"b"}`, bad: true},
		{name: "Kelvin sign", in: `{"kind":1,"\u212aind":2}`, bad: true},
		{name: "long s", in: `{"is_admin":false,"i\u017f_admin":true}`, bad: true},
		{name: "long s unescaped", in: "{\"is_admin\":false,\"i\u017f_admin\":true}", bad: true},
		{name: "case variant nested", in: `{"org":{"role":"user","Role":"admin"}}`, bad: true},
		{name: "case variant in array", in: `{"a":[{"x":1},{"k":1,"K":2}]}`, bad: true},
		{name: "lone high surrogate", in: `{"sub":"\ud800"}`, bad: true},
		{name: "lone low surrogate", in: `{"sub":"\udc00x"}`, bad: true},
		{name: "reversed pair", in: `{"sub":"\ude00\ud83d"}`, bad: true},
		{name: "high surrogate then letter", in: `{"sub":"\ud83d\u0041"}`, bad: true},
		{name: "lone surrogate in a name", in: `{"\ud800":1}`, bad: true},
		{name: "lone surrogate nested", in: `{"a":[{"b":"\udfff"}]}`, bad: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ok := names(t, []byte(tt.in))
			if tt.bad {
				assert.False(t, ok)
				return
			}
			require.True(t, ok)
			assert.Equal(t, tt.want, got)
		})
	}
}

// TestManyNames holds an object with more names than the pairwise check
// takes to the same answers through the map of folded names, and to linear
// time: thousands of names must not cost a quadratic number of comparisons.
func TestManyNames(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{`)
	for i := range 3000 {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"n`)
		b.WriteString(strings.Repeat("x", i%7))
		b.WriteString(base64.RawURLEncoding.EncodeToString([]byte{byte(i >> 8), byte(i)}))
		b.WriteString(`":1`)
	}
	ok := b.String() + `}`
	got, valid := names(t, []byte(ok))
	require.True(t, valid)
	assert.Len(t, got, 3000)
	for _, dup := range []string{`,"NAAA":2}`, `,"n\u212a":1,"nk":2}`, `,"ab":1,"AB":2}`} {
		_, valid := names(t, []byte(b.String()+dup))
		assert.False(t, valid, dup)
	}
	nested := `{"x":` + ok + `,"y":` + b.String() + `,"NAAA":2}}`
	_, valid = names(t, []byte(nested))
	assert.False(t, valid, "the map of a nested object")

	n := testing.AllocsPerRun(5, func() { Object(ok) })
	assert.Less(t, n, 3000.0*3, "one map entry per name, not one per pair")
}

func TestEmpty(t *testing.T) {
	t.Parallel()
	for v, want := range map[string]bool{
		`null`: true, `""`: true, `[]`: true, `[ ]`: true, "[\n]": true, `{}`: true, "{ \t}": true, `[""]`: true, `["" , ""]`: true,
		`" "`: false, `"a"`: false, `0`: false, `false`: false, `[0]`: false, `["a"]`: false, `["","a"]`: false, `{"a":1}`: false, `[null]`: false, `[[]]`: false,
	} {
		assert.Equal(t, want, Empty(v), v)
	}
}

// loneSurrogate reports whether valid JSON text holds a \u escape of a
// surrogate that is not half of a pair: a second reading, independent of the
// reader's.
func loneSurrogate(data []byte) bool {
	pendingHigh := false
	for i := 0; i < len(data); i++ {
		if data[i] != '\\' {
			if pendingHigh {
				return true
			}
			continue
		}
		i++
		if data[i] != 'u' {
			if pendingHigh {
				return true
			}
			continue
		}
		var r rune
		for _, c := range data[i+1 : i+5] {
			r = r<<4 | rune(strings.IndexByte("0123456789abcdef", c|0x20))
		}
		i += 4
		switch {
		case r >= 0xd800 && r < 0xdc00:
			if pendingHigh {
				return true
			}
			pendingHigh = true
		case r >= 0xdc00 && r < 0xe000:
			if !pendingHigh {
				return true
			}
			pendingHigh = false
		default:
			if pendingHigh {
				return true
			}
		}
	}
	return pendingHigh
}

// foldDuplicates reports whether an object anywhere in the JSON value read
// from dec has two names equal under strings.EqualFold: encoding/json's
// reading, compared pairwise.
func foldDuplicates(t *testing.T, dec *json.Decoder) bool {
	tok, err := dec.Token()
	require.NoError(t, err)
	switch tok {
	case json.Delim('{'):
		var seen []string
		dup := false
		for dec.More() {
			k, err := dec.Token()
			require.NoError(t, err)
			for _, s := range seen {
				if strings.EqualFold(s, k.(string)) {
					dup = true
				}
			}
			seen = append(seen, k.(string))
			if foldDuplicates(t, dec) {
				dup = true
			}
		}
		_, err := dec.Token()
		require.NoError(t, err)
		return dup
	case json.Delim('['):
		dup := false
		for dec.More() {
			if foldDuplicates(t, dec) {
				dup = true
			}
		}
		_, err := dec.Token()
		require.NoError(t, err)
		return dup
	}
	return false
}

// FuzzMembers holds the reader to encoding/json: on valid UTF-8 it accepts
// exactly the objects json.Valid accepts that have no lone surrogate escape
// and no two names of one object equal under case folding, and it finds
// exactly the member names encoding/json finds, in order. So no two names it
// accepts are equal under folding, and a verifier never reads a payload
// differently from the JSON decoders behind it and behind the issuer.
func FuzzMembers(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":1,"b":"x"}`, `{"a":{"b":[1,2,{"c":"\"}"}]},"d":null}`, `{"\u0065xp":1}`, `{"a":"\\"}`, `[]`, `{"a":1}x`,
		`{"a":-0.5e+3}`, `{"a":01}`, `{"a":1.}`, `{"a":[1,]}`, `{"a":tru}`, "{\"a\":\"\x01\"}", `{"a":"\x"}`, `{"a":{"b":}}`, `{"a":[[[]]]}`,
		`{"role":1,"ROLE":2}`, `{"k":1,"\u212a":2}`, `{"a":{"s":1,"\u017f":2}}`, `{"a":"\ud800"}`, `{"a":"\ud83d\ude00"}`, `{"a":"\\ud800"}`, `{"a":[{"x":1,"X":1}]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if !utf8.Valid(data) {
			return // callers refuse invalid UTF-8 first (encoding/json would replace it with U+FFFD)
		}
		got, ok := names(t, data)
		isObject := json.Valid(data) && bytes.HasPrefix(bytes.TrimLeft(data, " \t\r\n"), []byte("{"))
		want := isObject && !loneSurrogate(data) && !foldDuplicates(t, json.NewDecoder(bytes.NewReader(data)))
		if ok != want {
			t.Fatalf("Members accepted=%v %q; json.Valid object %v, lone surrogate %v", ok, data, isObject, isObject && loneSurrogate(data))
		}
		if !ok {
			return
		}
		for i := range got {
			for j := range i {
				if strings.EqualFold(got[i], got[j]) {
					t.Fatalf("accepted %q and %q", got[j], got[i])
				}
			}
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		_, _ = dec.Token() // {
		var names []string
		for dec.More() {
			tok, err := dec.Token()
			require.NoError(t, err)
			names = append(names, tok.(string))
			var skip json.RawMessage
			require.NoError(t, dec.Decode(&skip))
		}
		assert.Equal(t, names, got)
	})
}

// FuzzUnquote holds the string decoder to encoding/json's, escapes included,
// with lone surrogates refused where encoding/json makes them U+FFFD.
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
		wantOK := wantErr == nil && !loneSurrogate([]byte(s))
		if wantOK != (len(s) > 0 && s[0] == '"' && ok) {
			t.Fatalf("scanString ok=%v on %q, encoding/json: %v", ok, s, wantErr)
		}
		if !wantOK {
			return
		}
		got, ok := Unquote(s)
		require.True(t, ok)
		assert.Equal(t, want, got)
		gotB, ok := String([]byte(s))
		require.True(t, ok)
		assert.Equal(t, want, gotB)
	})
}

// FuzzStrings holds the array-of-strings reader (aud, scp, crit) to
// encoding/json, with null elements refused.
func FuzzStrings(f *testing.F) {
	for _, s := range []string{`[]`, `["a"]`, `["a","b"]`, `[ "a" , "\u0062" ]`, `["a",null]`, `[1]`, `["a",]`, `"a"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) || s != strings.Trim(s, " \t\r\n") || loneSurrogate([]byte(s)) {
			return // the reader hands out checked values without surrounding space
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
		got, ok := Strings(s)
		if ok != valid {
			t.Fatalf("Strings ok=%v on %q, encoding/json: %v", ok, s, valid)
		}
		if ok {
			assert.Equal(t, len(want), len(got))
			for i := range want {
				assert.Equal(t, want[i], got[i])
			}
		}
	})
}

// FuzzSegment holds Segment to encoding/base64's strict raw URL decoding: the
// same bytes, the same refusals.
func FuzzSegment(f *testing.F) {
	for _, s := range []string{"", "A", "AA", "AB", "AAA", "AAB", "eyJhbGciOiJIUzI1NiJ9", "____", "-_-_", "a+b/", "AA==", "A\n", "QUJD"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if strings.ContainsAny(s, "\r\n") {
			return // encoding/base64 skips line breaks; the caller has refused them already
		}
		want, wantErr := base64.RawURLEncoding.Strict().DecodeString(s)
		dst := make([]byte, DecodedLen(len(s)))
		n, ok := Segment(dst, s)
		if ok != (wantErr == nil) {
			t.Fatalf("Segment ok=%v on %q, encoding/base64: %v", ok, s, wantErr)
		}
		if ok {
			assert.Equal(t, want, dst[:n])
		}
	})
}

func TestFold(t *testing.T) {
	t.Parallel()
	for _, pair := range [][2]string{{"kind", "\u212aind"}, {"is_admin", "i\u017f_admin"}, {"Role", "rOLE"}, {"ǅ", "ǆ"}, {"straße", "STRAßE"}} {
		require.True(t, strings.EqualFold(pair[0], pair[1]))
		assert.Equal(t, Fold(pair[0]), Fold(pair[1]), pair)
	}
	for _, pair := range [][2]string{{"a", "b"}, {"ss", "ß"}, {"role", "roles"}} {
		require.False(t, strings.EqualFold(pair[0], pair[1]))
		assert.NotEqual(t, Fold(pair[0]), Fold(pair[1]), pair)
	}
}

func TestNextElem(t *testing.T) {
	t.Parallel()
	v := `[ 1, {"a":[2]} ,"x",[] ]`
	var got []string
	for e, i, ok := NextElem(v, 0); ok; e, i, ok = NextElem(v, i) {
		got = append(got, e)
	}
	assert.Equal(t, []string{"1", `{"a":[2]}`, `"x"`, "[]"}, got)
	_, _, ok := NextElem("[]", 0)
	assert.False(t, ok)
}

// TestUnquote holds Unquote to encoding/json on strings whose plain runs
// are every length up to 20 (the eight-at-a-time scan and the rest), with
// a quote, a backslash escape, a lone backslash, a control character or
// DEL at every position.
func TestUnquote(t *testing.T) {
	specials := []string{`"`, `\n`, `\"`, `\\`, `\u0041`, `\`, "\x01", "\x1f", "\x7f", "é", `\x`}
	n := 0
	for length := 0; length <= 20; length++ {
		plain := strings.Repeat("abcdefghij", 2)[:length]
		for pos := 0; pos <= length; pos++ {
			for _, sp := range append(specials, "") {
				s := `"` + plain[:pos] + sp + plain[pos:] + `"`
				var want string
				wantErr := json.Unmarshal([]byte(s), &want)
				got, ok := Unquote(s)
				require.Equal(t, wantErr == nil, ok, "%q: encoding/json %v", s, wantErr)
				if ok {
					require.Equal(t, want, got, s)
				}
				n++
			}
		}
	}
	assert.Equal(t, 2772, n)
}

// TestMembersString: Members.String, which skips reading again a string Next
// found plain, answers as String does for every kind of value, escaped
// strings, empty ones and values that are not strings.
func TestMembersString(t *testing.T) {
	doc := `{"a":"plain","b":"esc\u0041ped\n","c":"","d":1,"e":["x"],"f":{"g":"h"},"i":null,"j":"\"q\"","k":"é","l":true}`
	var m Members[string]
	n, plain := 0, 0
	for {
		name, value, ok := m.Next(doc)
		if !ok {
			break
		}
		want, wantOK := String(value)
		got, gotOK := m.String(value)
		assert.Equal(t, wantOK, gotOK, name)
		assert.Equal(t, want, got, name)
		if m.plain {
			plain++
		}
		n++
	}
	require.False(t, m.Failed())
	assert.Equal(t, 10, n)
	assert.Equal(t, 3, plain, "a, c and k are plain strings")
}
