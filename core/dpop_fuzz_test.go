package jwtgate_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/dpop"
	"github.com/jwtgate/jwtgate/extractors"
)

// FuzzDPoPProof holds the DPoP proof check to a second reader. The fuzzer
// mutates a proof's header and claims JSON, and a few bytes that choose the
// key and the request's shape; the body signs them again with that key, so
// that every mutation reaches past the signature, and sends the proof with a
// token bound to the key (GET http://example.com/api/me) through
// Authenticate, on a fixed clock with a fresh replay store. Whatever comes
// in: no panic, and a refusal is a 401 of kind dpop.ErrInvalidProof. What is
// accepted is read again with encoding/json, and must mean what the check
// took it to mean: both objects decode, no object in either holds two names
// equal under case folding (encoding/json would keep the last, or match
// either to a struct field), typ is dpop+jwt (or application/dpop+jwt, its
// full media type; any case), alg is one the key signs with, the jwk's
// public members are the key's and it has no private one, htm is GET, htu
// names the request's URL after RFC 3986 §6.2.2 and §6.2.3 (checked here
// with net/url and this file's own dot-segment removal), iat is within the
// window of the clock, jti a non-empty string and ath the token's hash.
//
// The mutation bytes: the first chooses the key (ES256, EdDSA, RS256; the
// keys are the RFCs' example keys, so that a corpus entry replays with the
// same key), bits of the second the request: 1 adds a query, 2 sends Host
// as EXAMPLE.COM:80, 4 sets DPoP.PublicURL.
func FuzzDPoPProof(f *testing.F) {
	keys := dpopFuzzKeys(f)
	for i, k := range keys {
		token := dpopFuzzToken(k.jkt)
		claims := func(htu, extra string) string {
			return `{"jti":"seed-` + strconv.Itoa(i) + `","htm":"GET","htu":"` + htu + `","iat":` + strconv.FormatInt(testNow.Unix(), 10) +
				`,"ath":"` + dpopFuzzHash(token) + `"` + extra + `}`
		}
		header := `{"typ":"dpop+jwt","alg":"` + k.algs[0] + `","jwk":` + k.jwk + `}`
		f.Add(header, claims(dpopFuzzURL, ""), []byte{byte(i), 0})
		f.Add(header, claims("HTTP://EXAMPLE.COM:80/api/./x/../me?q=1#f", ""), []byte{byte(i), 3})
		f.Add(`{"alg":"`+k.algs[len(k.algs)-1]+`","typ":"application/DPoP+jwt","jwk":`+k.jwk+`}`, claims("http://example.com/%61pi/me", `,"nonce":"n"`), []byte{byte(i), 4})
		f.Add(header, claims(dpopFuzzURL, `,"htm":"POST"`), []byte{byte(i), 0})
	}
	es := keys[0]
	f.Add(`{"typ":"dpop+jwt","alg":"ES256","jwk":`+es.jwk+`,"Alg":"none"}`, `{"jti":"j","htm":"GET","htu":"`+dpopFuzzURL+`","iat":1795867200.5,"ath":"`+dpopFuzzHash(dpopFuzzToken(es.jkt))+`"}`, []byte{0, 0})
	f.Add(`{"typ":"dpop+jwt","alg":"ES256","jwk":`+strings.Replace(es.jwk, `"kty"`, `"use":"sig","kty"`, 1)+`}`, `{"jti":"\u006a","htm":"GET","htu":"`+dpopFuzzURL+`","iat":1795867259,"ath":"`+dpopFuzzHash(dpopFuzzToken(es.jkt))+`"}`, []byte{0, 0})

	f.Fuzz(func(t *testing.T, header, claims string, mut []byte) {
		var which, shape byte
		if len(mut) > 0 {
			which = mut[0]
		}
		if len(mut) > 1 {
			shape = mut[1]
		}
		k := keys[int(which)%len(keys)]
		token := dpopFuzzToken(k.jkt)
		proof := k.sign(t, header, claims)

		target, host := dpopFuzzURL, "example.com"
		if shape&1 != 0 {
			target += "?q=1"
		}
		if shape&2 != 0 {
			host = "EXAMPLE.COM:80"
		}
		r := httptest.NewRequest(http.MethodGet, target, nil)
		r.Host = host
		r.Header.Set("Authorization", "DPoP "+token)
		r.Header.Set("DPoP", proof)
		a := testAuth(t, func(c *jwtgate.Config) {
			c.CacheSize = -1
			c.DPoP = &dpop.Config{Replay: dpop.NewMemoryReplayStore(func() time.Time { return testNow })}
			if shape&4 != 0 {
				c.DPoP.PublicURL = "http://example.com"
			}
		})

		tok, err := a.Authenticate(context.Background(), extractors.FromHTTP(r))
		if err != nil {
			if tok != nil {
				t.Fatal("a token returned with an error")
			}
			if !errors.Is(err, dpop.ErrInvalidProof) {
				t.Fatalf("refused, not as an invalid proof: %v\nheader %s\nclaims %s", err, header, claims)
			}
			if s := a.Response(err).Status; s != http.StatusUnauthorized {
				t.Fatalf("status %d for %v", s, err)
			}
			return
		}
		fail := func(format string, args ...any) {
			t.Helper()
			t.Fatalf("accepted, but "+format+"\nheader %s\nclaims %s", append(args, header, claims)...)
		}
		if tok.JKT != k.jkt {
			fail("bound to %q, not to the key's %q", tok.JKT, k.jkt)
		}

		// The header.
		if err := dpopFuzzNames(header); err != nil {
			fail("encoding/json reads the header otherwise: %v", err)
		}
		var h map[string]json.RawMessage
		if err := json.Unmarshal([]byte(header), &h); err != nil {
			fail("encoding/json cannot read the header as an object: %v", err)
		}
		var typ, alg string
		if err := json.Unmarshal(h["typ"], &typ); err != nil || !strings.EqualFold(typ, "dpop+jwt") && !strings.EqualFold(typ, "application/dpop+jwt") {
			fail("typ reads %q (%v)", typ, err)
		}
		if err := json.Unmarshal(h["alg"], &alg); err != nil || !slices.Contains(k.algs, alg) {
			fail("alg reads %q (%v), the key signs with %q", alg, err, k.algs)
		}
		var jwk map[string]any
		if err := json.Unmarshal(h["jwk"], &jwk); err != nil {
			fail("the jwk reads %s (%v)", h["jwk"], err)
		}
		for _, name := range []string{"kty", "crv", "x", "y", "n", "e"} {
			want, ok := k.members[name]
			if got, has := jwk[name]; has != ok || has && got != want {
				fail("the jwk's %s reads %v, the key's is %q", name, got, want)
			}
		}
		for _, name := range []string{"d", "p", "q", "dp", "dq", "qi", "oth", "k"} {
			if _, has := jwk[name]; has {
				fail("the jwk has the private member %s", name)
			}
		}

		// The claims.
		if err := dpopFuzzNames(claims); err != nil {
			fail("encoding/json reads the claims otherwise: %v", err)
		}
		var c map[string]json.RawMessage
		if err := json.Unmarshal([]byte(claims), &c); err != nil {
			fail("encoding/json cannot read the claims as an object: %v", err)
		}
		var htm, htu, jti, ath string
		if err := json.Unmarshal(c["htm"], &htm); err != nil || htm != http.MethodGet {
			fail("htm reads %q (%v)", htm, err)
		}
		if err := json.Unmarshal(c["htu"], &htu); err != nil || !dpopFuzzSameURL(htu) {
			fail("htu reads %q (%v), not %s", htu, err, dpopFuzzURL)
		}
		if err := json.Unmarshal(c["jti"], &jti); err != nil || jti == "" {
			fail("jti reads %q (%v)", jti, err)
		}
		if err := json.Unmarshal(c["ath"], &ath); err != nil || ath != dpopFuzzHash(token) {
			fail("ath reads %q (%v)", ath, err)
		}
		var iat json.Number
		if err := json.Unmarshal(c["iat"], &iat); err != nil {
			fail("iat reads %s (%v)", c["iat"], err)
		}
		// Within the 60 s window either way; jwtgate keeps a fraction to
		// the microsecond.
		now := float64(testNow.Unix())
		if s, err := iat.Float64(); err != nil || s < now-60-1e-6 || s > now+60+1e-6 {
			fail("iat reads %s (%v), outside the window of %d", iat, err, testNow.Unix())
		}
	})
}

const dpopFuzzURL = "http://example.com/api/me"

// dpopFuzzKey is a DPoP key of the fuzzer: the algorithms a proof it signs
// may name, its public JWK (canonical) with its members, its thumbprint,
// and how it signs a header and claims.
type dpopFuzzKey struct {
	algs    []string
	jwk     string
	members map[string]string
	jkt     string
	sign    func(t testing.TB, header, claims string) string
}

// dpopFuzzKeys are the RFCs' example keys: RFC 7515 A.3 (P-256), RFC 8037
// A.1 (Ed25519), RFC 7515 A.2 (RSA, 2048 bits).
func dpopFuzzKeys(t testing.TB) []dpopFuzzKey {
	unb64 := func(s string) []byte {
		b, err := base64.RawURLEncoding.DecodeString(s)
		require.NoError(t, err)
		return b
	}
	key := func(algs []string, members map[string]string, sign func(testing.TB, string, string) string) dpopFuzzKey {
		names := make([]string, 0, len(members))
		for name := range members {
			names = append(names, name)
		}
		slices.Sort(names)
		var canonical strings.Builder
		for i, name := range names {
			if i > 0 {
				canonical.WriteByte(',')
			}
			canonical.WriteString(`"` + name + `":"` + members[name] + `"`)
		}
		jwk := "{" + canonical.String() + "}"
		h := sha256.Sum256([]byte(jwk))
		return dpopFuzzKey{algs: algs, jwk: jwk, members: members, jkt: base64.RawURLEncoding.EncodeToString(h[:]), sign: sign}
	}
	signingInput := func(header, claims string) string {
		return base64.RawURLEncoding.EncodeToString([]byte(header)) + "." + base64.RawURLEncoding.EncodeToString([]byte(claims))
	}

	d := unb64("jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI")
	ecdhKey, err := ecdh.P256().NewPrivateKey(d)
	require.NoError(t, err)
	point := ecdhKey.PublicKey().Bytes() // 04 || x || y
	ec := &ecdsa.PrivateKey{
		PublicKey: ecdsa.PublicKey{Curve: elliptic.P256(), X: new(big.Int).SetBytes(point[1:33]), Y: new(big.Int).SetBytes(point[33:])},
		D:         new(big.Int).SetBytes(d),
	}
	ecMembers := map[string]string{"kty": "EC", "crv": "P-256",
		"x": base64.RawURLEncoding.EncodeToString(point[1:33]), "y": base64.RawURLEncoding.EncodeToString(point[33:])}
	require.Equal(t, "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", ecMembers["x"])
	es256 := key([]string{"ES256"}, ecMembers, nil)
	pk := &proofKey{priv: ec, jwk: es256.jwk, jkt: es256.jkt}
	es256.sign = pk.proof // the proof tests' own ES256 signer

	ed := ed25519.NewKeyFromSeed(unb64("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"))
	edX := base64.RawURLEncoding.EncodeToString(ed.Public().(ed25519.PublicKey))
	require.Equal(t, "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", edX)
	eddsa := key([]string{"EdDSA", "Ed25519"}, map[string]string{"kty": "OKP", "crv": "Ed25519", "x": edX},
		func(_ testing.TB, header, claims string) string {
			si := signingInput(header, claims)
			return si + "." + base64.RawURLEncoding.EncodeToString(ed25519.Sign(ed, []byte(si)))
		})

	n := "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ"
	num := func(s string) *big.Int { return new(big.Int).SetBytes(unb64(s)) }
	rk := &rsa.PrivateKey{
		PublicKey: rsa.PublicKey{N: num(n), E: 65537},
		D:         num("Eq5xpGnNCivDflJsRQBXHx1hdR1k6Ulwe2JZD50LpXyWPEAeP88vLNO97IjlA7_GQ5sLKMgvfTeXZx9SE-7YwVol2NXOoAJe46sui395IW_GO-pWJ1O0BkTGoVEn2bKVRUCgu-GjBVaYLU6f3l9kJfFNS3E0QbVdxzubSu3Mkqzjkn439X0M_V51gfpRLI9JYanrC4D4qAdGcopV_0ZHHzQlBjudU2QvXt4ehNYTCBr6XCLQUShb1juUO1ZdiYoFaFQT5Tw8bGUl_x_jTj3ccPDVZFD9pIuhLhBOneufuBiB4cS98l2SR_RQyGWSeWjnczT0QU91p1DhOVRuOopznQ"),
		Primes: []*big.Int{
			num("4BzEEOtIpmVdVEZNCqS7baC4crd0pqnRH_5IB3jw3bcxGn6QLvnEtfdUdiYrqBdss1l58BQ3KhooKeQTa9AB0Hw_Py5PJdTJNPY8cQn7ouZ2KKDcmnPGBY5t7yLc1QlQ5xHdwW1VhvKn-nXqhJTBgIPgtldC-KDV5z-y2XDwGUc"),
			num("uQPEfgmVtjL0Uyyx88GZFF1fOunH3-7cepKmtH4pxhtCoHqpWmT8YAmZxaewHgHAjLYsp1ZSe7zFYHj7C6ul7TjeLQeZD_YwD66t62wDmpe_HlB-TnBA-njbglfIsRLtXlnDzQkv5dTltRJ11BKBBypeeF6689rjcJIDEz9RWdc"),
		},
	}
	require.NoError(t, rk.Validate())
	rk.Precompute()
	rs256 := key([]string{"RS256"}, map[string]string{"kty": "RSA", "n": n, "e": "AQAB"},
		func(t testing.TB, header, claims string) string {
			si := signingInput(header, claims)
			h := sha256.Sum256([]byte(si))
			sig, err := rsa.SignPKCS1v15(nil, rk, crypto.SHA256, h[:])
			require.NoError(t, err)
			return si + "." + base64.RawURLEncoding.EncodeToString(sig)
		})
	return []dpopFuzzKey{es256, eddsa, rs256}
}

// dpopFuzzToken is the access token bound to the key of thumbprint jkt.
func dpopFuzzToken(jkt string) string {
	return mint(testSecret, goodHeader, claimsJSON(`"cnf":{"jkt":"`+jkt+`"}`))
}

// dpopFuzzHash is ath: the base64url SHA-256 of the token.
func dpopFuzzHash(token string) string {
	h := sha256.Sum256([]byte(token))
	return base64.RawURLEncoding.EncodeToString(h[:])
}

// dpopFuzzNames reads text as one JSON value with encoding/json's
// tokenizer, and fails on an object, at any depth, with two names equal
// under case folding: the names encoding/json would read as one.
func dpopFuzzNames(text string) error {
	dec := json.NewDecoder(strings.NewReader(text))
	type frame struct {
		object, wantName bool
		names            []string
	}
	var stack []*frame
	value := func() { // a value ended: an object waits for its next name
		if len(stack) > 0 && stack[len(stack)-1].object {
			stack[len(stack)-1].wantName = true
		}
	}
	for first := true; first || len(stack) > 0; first = false {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		top := (*frame)(nil)
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.object && top.wantName {
			if name, ok := tok.(string); ok {
				for _, seen := range top.names {
					if strings.EqualFold(seen, name) {
						return errors.New("the names " + strconv.Quote(seen) + " and " + strconv.Quote(name) + " are one to encoding/json")
					}
				}
				top.names = append(top.names, name)
				top.wantName = false
				continue
			}
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{object: true, wantName: true})
		case json.Delim('['):
			stack = append(stack, &frame{})
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
			value()
		default:
			value()
		}
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("more than one JSON value")
	}
	return nil
}

// dpopFuzzSameURL reports whether htu names http://example.com/api/me,
// query and fragment aside, after RFC 3986 §6.2.2 and §6.2.3: the scheme
// and host in any case, the default port or none, percent-encoded
// unreserved characters decoded, dot segments removed (§5.2.4, as the RFC
// writes the algorithm, with an input and an output buffer).
func dpopFuzzSameURL(htu string) bool {
	u, err := url.Parse(htu)
	if err != nil || !strings.EqualFold(u.Scheme, "http") || u.User != nil || u.Opaque != "" ||
		strings.ToLower(u.Hostname()) != "example.com" || u.Port() != "" && u.Port() != "80" {
		return false
	}
	p := []byte(u.EscapedPath())
	var decoded bytes.Buffer
	for i := 0; i < len(p); i++ {
		if p[i] != '%' {
			decoded.WriteByte(p[i])
			continue
		}
		if i+2 >= len(p) {
			return false
		}
		c, err := strconv.ParseUint(string(p[i+1:i+3]), 16, 8)
		if err != nil {
			return false
		}
		if b := byte(c); 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' || strings.IndexByte("-._~", b) >= 0 {
			decoded.WriteByte(b)
		} else {
			decoded.WriteString(strings.ToUpper(string(p[i : i+3])))
		}
		i += 2
	}
	in, out := decoded.String(), ""
	up := func() { out = out[:max(strings.LastIndexByte(out, '/'), 0)] }
	for in != "" {
		switch {
		case strings.HasPrefix(in, "../"):
			in = in[3:]
		case strings.HasPrefix(in, "./"), strings.HasPrefix(in, "/./"):
			in = in[2:]
		case in == "/.":
			in = "/"
		case strings.HasPrefix(in, "/../"):
			in = in[3:]
			up()
		case in == "/..":
			in = "/"
			up()
		case in == "." || in == "..":
			in = ""
		default:
			i := strings.IndexByte(in[1:], '/')
			if i < 0 {
				out, in = out+in, ""
			} else {
				out, in = out+in[:i+1], in[i+1:]
			}
		}
	}
	if out == "" {
		out = "/"
	}
	return out == "/api/me"
}
