package jwtgate

import (
	"bytes"
	"encoding/json"
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
		if json.Valid(data) && !json.Valid(value) {
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

// FuzzScanObject checks that, on every valid JSON object, scanObject finds
// exactly the member names encoding/json finds, in order: a verifier must not
// read a payload differently from the JSON decoder behind it.
func FuzzScanObject(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":1,"b":"x"}`, `{"a":{"b":[1,2,{"c":"\"}"}]},"d":null}`, `{"\u0065xp":1}`, `{"a":"\\"}`, `[]`, `{"a":1}x`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := names(t, data)
		var obj map[string]json.RawMessage
		// Callers refuse invalid UTF-8 before scanning (encoding/json would
		// replace it with U+FFFD).
		if !utf8.Valid(data) || json.Unmarshal(data, &obj) != nil || !bytes.HasPrefix(bytes.TrimLeft(data, " \t\r\n"), []byte("{")) {
			return // not a valid object: scanObject may say anything, the decoder refuses it
		}
		if err != nil {
			t.Fatalf("scanObject refused a valid object %q: %v", data, err)
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
		if len(got) != len(want) {
			t.Fatalf("names %q, encoding/json %q", got, want)
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("names %q, encoding/json %q", got, want)
			}
		}
	})
}
