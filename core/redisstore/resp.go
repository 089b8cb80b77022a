package redisstore

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// The tracking connection (see cache.go) speaks RESP3 itself: go-redis reads
// a connection's push messages only when a command runs on it (or, with its
// own client-side cache, from idle pooled connections every few ms), while
// the local cache must apply an invalidation the moment it arrives and know
// that the connection is alive. It sends a few commands and reads replies
// and pushes; nothing else.

// respValue is one RESP3 value: a simple or bulk string (str), an integer
// (num), an aggregate (elems: array, set, push, or a map's keys and values in
// turn), an error (err), or null (null).
type respValue struct {
	kind  byte // the type byte: '+', '$', ':', '*', '>', '%', '~', '_', '-', …
	str   string
	num   int64
	elems []respValue
	err   error
	null  bool
}

// Bounds on what the server may send: a longer value is a broken stream.
const (
	maxBulk  = 64 << 20
	maxElems = 1 << 20
)

var errRESP = errors.New("redisstore: malformed RESP from Redis")

// readValue reads one value. An attribute (|) before a value is read and
// dropped.
func readValue(r *bufio.Reader) (respValue, error) {
	line, err := readLine(r)
	if err != nil {
		return respValue{}, err
	}
	if len(line) == 0 {
		return respValue{}, errRESP
	}
	v := respValue{kind: line[0]}
	body := string(line[1:])
	switch v.kind {
	case '+', ',', '(', '#':
		v.str = body
	case '-':
		v.err = errors.New(body)
	case ':':
		if v.num, err = strconv.ParseInt(body, 10, 64); err != nil {
			return v, errRESP
		}
	case '_':
		v.null = true
	case '$', '=', '!':
		n, err := strconv.Atoi(body)
		if err != nil || n > maxBulk || n < -1 {
			return v, errRESP
		}
		if n == -1 {
			v.null = true
			return v, nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return v, err
		}
		if buf[n] != '\r' || buf[n+1] != '\n' {
			return v, errRESP
		}
		v.str = string(buf[:n])
		if v.kind == '!' {
			v.err = errors.New(v.str)
		}
	case '*', '>', '~', '%', '|':
		n, err := strconv.Atoi(body)
		if err != nil || n > maxElems || n < -1 {
			return v, errRESP
		}
		if n == -1 {
			v.null = true
			return v, nil
		}
		if v.kind == '%' || v.kind == '|' {
			n *= 2
		}
		v.elems = make([]respValue, n)
		for i := range v.elems {
			if v.elems[i], err = readValue(r); err != nil {
				return v, err
			}
		}
		if v.kind == '|' { // attributes precede the value they describe
			return readValue(r)
		}
	default:
		return v, fmt.Errorf("%w: type %q", errRESP, v.kind)
	}
	return v, nil
}

// readLine reads a line ending in CRLF, without it.
func readLine(r *bufio.Reader) ([]byte, error) {
	line, err := r.ReadSlice('\n')
	if err != nil {
		if errors.Is(err, bufio.ErrBufferFull) {
			return nil, errRESP
		}
		return nil, err
	}
	if len(line) < 2 || line[len(line)-2] != '\r' {
		return nil, errRESP
	}
	return line[:len(line)-2], nil
}

// appendCommand appends args as a RESP array of bulk strings.
func appendCommand(b []byte, args ...string) []byte {
	b = append(b, '*')
	b = strconv.AppendInt(b, int64(len(args)), 10)
	b = append(b, '\r', '\n')
	for _, a := range args {
		b = append(b, '$')
		b = strconv.AppendInt(b, int64(len(a)), 10)
		b = append(b, '\r', '\n')
		b = append(b, a...)
		b = append(b, '\r', '\n')
	}
	return b
}
