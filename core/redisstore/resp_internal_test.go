package redisstore

import (
	"bufio"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReadValue: the tracking connection's RESP3 reader, on what Redis 7
// sends it (captured from a real server: HELLO's map, an invalidation of
// keys, a FLUSHALL's null invalidation, PONG, an error) and on broken
// input, which is an error, never a value.
func TestReadValue(t *testing.T) {
	t.Parallel()
	read := func(s string) (respValue, error) { return readValue(bufio.NewReader(strings.NewReader(s))) }

	v, err := read("%2\r\n$6\r\nserver\r\n$5\r\nredis\r\n$4\r\nrole\r\n$6\r\nmaster\r\n")
	require.NoError(t, err)
	assert.Equal(t, "master", mapString(v, "role"))
	assert.Equal(t, "redis", mapString(v, "server"))

	v, err = read(">2\r\n$10\r\ninvalidate\r\n*2\r\n$8\r\njg:t:{a}\r\n$8\r\njg:epoch\r\n")
	require.NoError(t, err)
	assert.Equal(t, byte('>'), v.kind)
	require.Len(t, v.elems, 2)
	assert.Equal(t, "invalidate", v.elems[0].str)
	assert.Equal(t, []respValue{{kind: '$', str: "jg:t:{a}"}, {kind: '$', str: "jg:epoch"}}, v.elems[1].elems)

	v, err = read(">2\r\n$10\r\ninvalidate\r\n_\r\n")
	require.NoError(t, err)
	assert.True(t, v.elems[1].null, "a FLUSHALL: every key")

	v, err = read("+PONG\r\n")
	require.NoError(t, err)
	assert.Equal(t, "PONG", v.str)
	assert.NoError(t, v.err)

	v, err = read("-NOPERM this user has no permissions\r\n")
	require.NoError(t, err)
	assert.EqualError(t, v.err, "NOPERM this user has no permissions")

	v, err = read("|1\r\n+key-popularity\r\n%0\r\n:42\r\n")
	require.NoError(t, err)
	assert.Equal(t, int64(42), v.num, "an attribute is dropped, the value it precedes read")

	for name, in := range map[string]string{
		"empty":                  "",
		"no CRLF":                "+PONG\n",
		"unknown type":           "?1\r\n",
		"bulk shorter than said": "$5\r\nabc\r\n",
		"bulk without CRLF":      "$3\r\nabcde\r\n",
		"bulk too long":          "$99999999999\r\n",
		"negative length":        "*-2\r\n",
		"array cut short":        "*2\r\n+a\r\n",
		"integer not a number":   ":x\r\n",
	} {
		_, err := read(in)
		assert.Error(t, err, name)
	}
}

// TestAppendCommand: commands are sent as arrays of bulk strings.
func TestAppendCommand(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n", string(appendCommand(nil, "HELLO", "3")))
	assert.Equal(t, "*1\r\n$0\r\n\r\n", string(appendCommand(nil, "")))
}
