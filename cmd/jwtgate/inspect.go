package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/big"
	"strings"
	"time"
)

// maxToken bounds what is read from standard input as a token.
const maxToken = 1 << 20

// maxNumericDate is 9999-12-31T23:59:59Z, the latest NumericDate jwtgate
// accepts.
const maxNumericDate = 253402300799

const notVerified = "NOT VERIFIED: decoded only; the signature, issuer, audience and times were not checked, and anyone can write such a token (jwtgate verify checks them)"

var inspectCommand = &command{
	name:    "inspect",
	args:    "[token|-]",
	summary: "decode a token without verifying it",
	maxArgs: 1,
	detail: `Decodes a token's header and claims and prints them as JSON, with iat, nbf and
exp also as RFC 3339 times (UTC), how far they are from now and whether exp
has passed. For DPoP (RFC 9449) it adds the RFC 7638 thumbprint of the
header's jwk (a proof's key) and the token's cnf.jkt (the key it is bound
to): a proof fits a token when the two are equal. Nothing is verified: not the signature, the issuer, the audience
nor the times; use jwtgate verify for that. The token is the argument, or is
read from standard input when the argument is "-" or absent; a leading
"Bearer " is ignored.`,
	setup: func(fs *flag.FlagSet) func(*env, []string) error {
		return func(e *env, args []string) error {
			raw, err := readToken(e, args)
			if err != nil {
				return err
			}
			out, err := inspect(raw, time.Now())
			if err != nil {
				return err
			}
			fmt.Fprintln(e.stderr, "jwtgate inspect: "+notVerified)
			_, err = e.stdout.Write(out)
			return err
		}
	},
}

// readToken returns the token given as the argument, or read from standard
// input when the argument is "-" or absent.
func readToken(e *env, args []string) (string, error) {
	var raw string
	if len(args) == 0 || args[0] == "-" {
		b, err := io.ReadAll(io.LimitReader(e.stdin, maxToken+1))
		if err != nil {
			return "", fmt.Errorf("reading the token from standard input: %w", err)
		}
		if len(b) > maxToken {
			return "", fmt.Errorf("standard input holds more than %d bytes: not a token", maxToken)
		}
		raw = string(b)
	} else {
		raw = args[0]
	}
	raw = strings.TrimSpace(raw)
	if len(raw) > 7 && strings.EqualFold(raw[:7], "bearer ") {
		raw = strings.TrimSpace(raw[7:])
	}
	if raw == "" {
		return "", usagef("no token: give it as the argument or on standard input")
	}
	return raw, nil
}

// inspection is what inspect prints.
type inspection struct {
	Verified bool            `json:"verified"`
	Warning  string          `json:"warning"`
	Header   json.RawMessage `json:"header"`
	Claims   json.RawMessage `json:"claims"`
	Times    *times          `json:"times,omitempty"`
	// DPoP names the keys of RFC 9449 the token refers to, when it does.
	DPoP *dpopKeys `json:"dpop,omitempty"`
	// SignatureBytes is the signature's length; it was not checked.
	SignatureBytes int `json:"signature_bytes"`
}

// dpopKeys are the RFC 7638 thumbprints that tie a DPoP proof to a token:
// the proof's key, from its header's jwk, and the key a token is bound to,
// its cnf.jkt. The server accepts a proof for a token when the two are
// equal.
type dpopKeys struct {
	// JWKThumbprint is the thumbprint of the header's jwk, a proof's key.
	JWKThumbprint string `json:"jwk_thumbprint,omitempty"`
	// JWKProblem says why the jwk has no thumbprint, or what jwtgate
	// refuses in it.
	JWKProblem string `json:"jwk_problem,omitempty"`
	// CnfJKT is the token's cnf.jkt: the thumbprint of the key it is bound
	// to.
	CnfJKT string `json:"cnf_jkt,omitempty"`
}

type times struct {
	IssuedAt  *dateInfo `json:"iat,omitempty"`
	NotBefore *dateInfo `json:"nbf,omitempty"`
	ExpiresAt *dateInfo `json:"exp,omitempty"`
}

// dateInfo is a NumericDate claim read for people.
type dateInfo struct {
	Value    json.RawMessage `json:"value"`
	Time     string          `json:"time,omitempty"`
	Relative string          `json:"relative,omitempty"`
	Expired  *bool           `json:"expired,omitempty"`   // exp: now is past it
	InEffect *bool           `json:"in_effect,omitempty"` // nbf: now is past it
	Future   *bool           `json:"in_future,omitempty"` // iat: it is later than now
	Problem  string          `json:"problem,omitempty"`
}

// inspect decodes raw and returns the pretty-printed JSON of its header,
// claims and dates, or says what is malformed.
func inspect(raw string, now time.Time) ([]byte, error) {
	parts := strings.Split(raw, ".")
	switch len(parts) {
	case 3:
	case 5:
		return nil, errors.New("malformed token: five segments make a JWE, an encrypted token: its claims cannot be read without the decryption key, and jwtgate accepts only signed tokens (JWS)")
	default:
		return nil, fmt.Errorf("malformed token: a JWT has three segments separated by dots (header.payload.signature); this one has %d", len(parts))
	}
	header, err := segment(parts[0], "header")
	if err != nil {
		return nil, err
	}
	if !isObject(header) {
		return nil, errors.New("malformed token: the header is not a JSON object")
	}
	payload, err := segment(parts[1], "payload")
	if err != nil {
		return nil, err
	}
	if !isObject(payload) {
		return nil, errors.New("malformed token: the payload is not a JSON object, so not a set of claims")
	}
	sig, err := segment(parts[2], "signature")
	if err != nil {
		return nil, err
	}
	out := inspection{Warning: notVerified, Header: header, Claims: payload, SignatureBytes: len(sig)}

	var claims map[string]json.RawMessage
	if err := json.Unmarshal(payload, &claims); err != nil {
		return nil, fmt.Errorf("malformed token: the payload: %w", err)
	}
	var t times
	if v, ok := claims["iat"]; ok {
		d := readDate(v, now)
		if d.Time != "" {
			d.Future = ptr(d.at.After(now))
		}
		t.IssuedAt = &d.dateInfo
	}
	if v, ok := claims["nbf"]; ok {
		d := readDate(v, now)
		if d.Time != "" {
			d.InEffect = ptr(!now.Before(d.at))
		}
		t.NotBefore = &d.dateInfo
	}
	if v, ok := claims["exp"]; ok {
		d := readDate(v, now)
		if d.Time != "" {
			d.Expired = ptr(now.After(d.at))
		}
		t.ExpiresAt = &d.dateInfo
	}
	if t != (times{}) {
		out.Times = &t
	}
	out.DPoP = readDPoPKeys(header, claims)

	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return nil, fmt.Errorf("printing the token: %w", err)
	}
	return buf.Bytes(), nil
}

// readDPoPKeys finds the thumbprint of the header's jwk and the claims'
// cnf.jkt, or returns nil when there is neither.
func readDPoPKeys(header []byte, claims map[string]json.RawMessage) *dpopKeys {
	var d dpopKeys
	var h struct {
		JWK json.RawMessage `json:"jwk"`
	}
	if json.Unmarshal(header, &h) == nil && h.JWK != nil {
		jkt, err := jwkThumbprint(h.JWK)
		if err != nil {
			d.JWKProblem = "no thumbprint: " + err.Error()
		} else {
			d.JWKThumbprint = jkt
			if private := privateMembers(h.JWK); private != "" {
				d.JWKProblem = "the jwk holds private members (" + private + "): jwtgate refuses the proof"
			}
		}
	}
	var cnf struct {
		JKT string `json:"jkt"`
	}
	if c, ok := claims["cnf"]; ok && json.Unmarshal(c, &cnf) == nil {
		d.CnfJKT = cnf.JKT
	}
	if d == (dpopKeys{}) {
		return nil
	}
	return &d
}

// privateMembers lists the members of a JWK that only a private key has
// (RFC 7518 §6.2.2, §6.3.2, §6.4.1; RFC 8037 §2).
func privateMembers(jwk []byte) string {
	var m map[string]json.RawMessage
	_ = json.Unmarshal(jwk, &m)
	var found []string
	for _, name := range []string{"d", "p", "q", "dp", "dq", "qi", "oth", "k"} {
		if _, ok := m[name]; ok {
			found = append(found, name)
		}
	}
	return strings.Join(found, ", ")
}

// segment decodes one base64url segment.
func segment(s, name string) ([]byte, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		if strings.Contains(s, "=") {
			return nil, fmt.Errorf("malformed token: the %s is base64url with padding ('='), which a JWS must not have", name)
		}
		return nil, fmt.Errorf("malformed token: the %s is not base64url", name)
	}
	return b, nil
}

func isObject(b []byte) bool {
	b = bytes.TrimSpace(b)
	return len(b) > 0 && b[0] == '{' && json.Valid(b)
}

func ptr[T any](v T) *T { return &v }

type date struct {
	dateInfo
	at time.Time
}

// readDate reads a NumericDate: a JSON number of seconds since 1970, possibly
// fractional, from 0 to 9999-12-31T23:59:59Z as jwtgate accepts it.
func readDate(v json.RawMessage, now time.Time) date {
	d := date{dateInfo: dateInfo{Value: v}}
	var n json.Number
	if len(v) == 0 || !(v[0] == '-' || v[0] >= '0' && v[0] <= '9') || json.Unmarshal(v, &n) != nil {
		d.Problem = "not a number: jwtgate refuses the token"
		return d
	}
	f, ok := new(big.Float).SetString(n.String())
	if !ok || f.Sign() < 0 || f.Cmp(big.NewFloat(maxNumericDate)) > 0 {
		d.Problem = "out of range (0 to 9999-12-31T23:59:59Z): jwtgate refuses the token"
		return d
	}
	sec, _ := f.Int64()
	frac, _ := new(big.Float).Sub(f, new(big.Float).SetInt64(sec)).Float64()
	d.at = time.Unix(sec, int64(math.Round(frac*1e9))).UTC()
	d.Time = d.at.Format(time.RFC3339Nano)
	switch rel := d.at.Sub(now).Round(time.Second); {
	case rel > 0:
		d.Relative = "in " + rel.String()
	case rel < 0:
		d.Relative = (-rel).String() + " ago"
	default:
		d.Relative = "now"
	}
	return d
}
