package main

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/adapt"
	"github.com/jwtgate/jwtgate/core/signing"
)

var mintCommand = &command{
	name:    "mint",
	args:    "(-key path | -secret-file path | -key-env NAME) [-alg alg] [-kid id] [-iss iss] [-sub sub] [-aud aud]... [-scope scope] [-jti id] [-ttl 15m] [-nbf when] [-claim name=json]... [-typ at+jwt]",
	summary: "sign a token with claims from flags, for tests",
	detail: `Signs a token and prints it alone on standard output:

  ACCESS_TOKEN=$(jwtgate mint -key-env JWT_SECRET -iss jwtgate-example -aud jwtgate-example-api -sub alice -scope read)

The key is a key file (-key: a PEM private key or a private JWK), a file
holding an HMAC secret (-secret-file: the file's bytes, a text file's one
trailing line ending dropped) or an environment variable holding an HMAC
secret as text (-key-env, such as the example apps' JWT_SECRET). A -key file
is never taken for a secret, and a key is never a secret: key material in a
form jwtgate does not read (DER, an OpenSSH public key, PEM after a
byte-order mark or openssl's Bag Attributes) is refused with what it looks
like. -alg defaults to the algorithm the key names or allows: HS256 for a
secret, RS256 for RSA, ES256/ES384/ES512 by curve, EdDSA for Ed25519.

iat is the time of minting; iat, exp and nbf are whole seconds. A negative
-ttl mints a token that has already expired, -ttl 0 one without exp. The
header's typ is at+jwt (an access token, RFC 9068) unless -typ says otherwise;
-typ= leaves it out.`,
	setup: func(fs *flag.FlagSet) func(*env, []string) error {
		var o mintOptions
		fs.StringVar(&o.keyPath, "key", "", "the signing key, the file at `path`: a PEM private key or a private JWK (never an HMAC secret: see -secret-file)")
		fs.StringVar(&o.secretPath, "secret-file", "", "the file at `path` holding an HMAC secret, used byte for byte (a text file's one trailing line ending dropped)")
		fs.StringVar(&o.keyEnv, "key-env", "", "the `NAME` of an environment variable holding an HMAC secret, such as JWT_SECRET")
		fs.StringVar(&o.alg, "alg", "", "the `alg`orithm: "+strings.Join(signing.Supported(), ", ")+" (default: the key's)")
		fs.StringVar(&o.kid, "kid", "", "the header's `kid` (default: a JWK's own kid, else none)")
		fs.StringVar(&o.iss, "iss", "", "the `issuer` (iss)")
		fs.StringVar(&o.sub, "sub", "", "the `subject` (sub)")
		fs.Var(&o.aud, "aud", "an `audience` (aud); repeat for several")
		fs.StringVar(&o.scope, "scope", "", "the space-separated `scopes` (scope)")
		fs.StringVar(&o.jti, "jti", "", "the token `ID` (jti) (default a random one; -jti= leaves it out)")
		fs.DurationVar(&o.ttl, "ttl", 15*time.Minute, "the lifetime: exp is iat plus ttl; negative for an expired token, 0 for none")
		fs.StringVar(&o.nbf, "nbf", "", "not before (nbf), `when`: a duration from now (5m, -1m), an RFC 3339 time or a Unix time (default none)")
		fs.Var(&o.claims, "claim", "another claim, `name=json`, such as -claim 'tid=\"acme\"' or -claim admin=true; repeatable")
		fs.StringVar(&o.typ, "typ", "at+jwt", "the header's `typ`")
		return func(e *env, _ []string) error {
			o.jtiSet = false
			fs.Visit(func(f *flag.Flag) { o.jtiSet = o.jtiSet || f.Name == "jti" })
			token, err := o.mint(e.getenv, time.Now())
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(e.stdout, token)
			return err
		}
	},
}

type mintOptions struct {
	keyPath, secretPath  string
	keyEnv, alg, kid     string
	iss, sub, scope, jti string
	jtiSet               bool
	aud                  stringList
	ttl                  time.Duration
	nbf                  string
	claims               claimList
	typ                  string
}

// mint checks the options, reads the key and signs the token.
func (o *mintOptions) mint(getenv func(string) string, now time.Time) (string, error) {
	if err := checkAlg(o.alg); err != nil {
		return "", err
	}
	if n := countSet(o.keyPath, o.secretPath, o.keyEnv); n != 1 {
		return "", usagef("give the signing key with one of -key, -secret-file and -key-env")
	}
	for _, a := range o.aud {
		if a == "" {
			return "", usagef("-aud is empty")
		}
	}
	if o.scope != "" {
		for _, s := range strings.Split(o.scope, " ") {
			if !adapt.ValidScope(s) {
				return "", usagef("-scope %q: scopes are separated by single spaces and hold printable ASCII without '\"' or '\\' (RFC 6749 §3.3)", o.scope)
			}
		}
	}
	iat := now.Unix()
	var nbf int64
	if o.nbf != "" {
		var err error
		if nbf, err = parseWhen(o.nbf, time.Unix(iat, 0)); err != nil {
			return "", usagef("-nbf: %v", err)
		}
	}

	var key *jwtgate.Key
	var err error
	switch {
	case o.keyEnv != "":
		key, err = envSecret(getenv, o.keyEnv, o.alg, o.kid)
	case o.secretPath != "":
		key, err = secretFileKey(o.secretPath, o.alg, o.kid)
	default:
		key, err = fileKey(o.keyPath, o.alg, o.kid, secretGoesElsewhere)
	}
	if err != nil {
		return "", err
	}
	if key.SignKey == nil {
		return "", fmt.Errorf("-key %s holds a public key; minting needs the private key", o.keyPath)
	}

	claims := jwt.MapClaims{}
	for name, v := range o.claims.values {
		claims[name] = v
	}
	set := func(name, v string) {
		if v != "" {
			claims[name] = v
		}
	}
	set("iss", o.iss)
	set("sub", o.sub)
	set("scope", o.scope)
	switch len(o.aud) {
	case 0:
	case 1:
		claims["aud"] = o.aud[0]
	default:
		claims["aud"] = []string(o.aud)
	}
	switch {
	case !o.jtiSet:
		claims["jti"] = rand.Text()
	case o.jti != "":
		claims["jti"] = o.jti
	}
	claims["iat"] = iat
	if o.ttl != 0 {
		claims["exp"] = time.Unix(iat, 0).Add(o.ttl).Unix()
	}
	if o.nbf != "" {
		claims["nbf"] = nbf
	}

	t := jwt.NewWithClaims(signingMethod(key.Algorithm), claims)
	t.Header["alg"] = key.Algorithm // Ed25519 is signed as EdDSA, and named as asked
	if o.typ == "" {
		delete(t.Header, "typ")
	} else {
		t.Header["typ"] = o.typ
	}
	if key.ID != "" {
		t.Header["kid"] = key.ID
	}
	token, err := t.SignedString(key.SignKey)
	if err != nil {
		return "", fmt.Errorf("signing: %w", err)
	}
	return token, nil
}

// parseWhen reads a time given as a Unix time, a duration from now or an
// RFC 3339 time, and returns it in whole seconds.
func parseWhen(s string, now time.Time) (int64, error) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		return now.Add(d).Unix(), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.Unix(), nil
	}
	return 0, fmt.Errorf("%q is not a duration from now (5m, -30s), an RFC 3339 time or a Unix time", s)
}

// flagClaims are the claims mint sets from its own flags.
var flagClaims = map[string]string{
	"iss": "-iss", "sub": "-sub", "aud": "-aud", "scope": "-scope", "jti": "-jti",
	"exp": "-ttl", "nbf": "-nbf", "iat": "mint itself (the time of minting)",
}

// registeredClaims are the claims whose case variants jwtgate refuses.
var registeredClaims = []string{"iss", "sub", "aud", "exp", "nbf", "iat", "jti", "sid", "scope", "scp"}

// claimList is the repeatable -claim name=json flag.
type claimList struct {
	names  []string
	values map[string]any
}

func (c *claimList) String() string { return strings.Join(c.names, ",") }

func (c *claimList) Set(v string) error {
	name, value, ok := strings.Cut(v, "=")
	if !ok || name == "" {
		return errors.New(`want name=json, such as 'tid="acme"' or admin=true`)
	}
	if by, ok := flagClaims[name]; ok {
		return fmt.Errorf("%s is set by %s", name, by)
	}
	for _, reg := range registeredClaims {
		if name != reg && strings.EqualFold(name, reg) {
			return fmt.Errorf("%q is a case variant of the registered claim %q, which jwtgate refuses", name, reg)
		}
	}
	for _, n := range c.names {
		if strings.EqualFold(n, name) {
			return fmt.Errorf("%q is given twice (names that differ only in case count as one; jwtgate refuses them)", name)
		}
	}
	dec := json.NewDecoder(strings.NewReader(value))
	dec.UseNumber() // numbers stay as they were written
	var val any
	if !json.Valid([]byte(value)) || dec.Decode(&val) != nil {
		return fmt.Errorf("%s: the value is not one JSON value; quote a string: '%s=\"…\"'", name, name)
	}
	if c.values == nil {
		c.values = map[string]any{}
	}
	c.names = append(c.names, name)
	c.values[name] = val
	return nil
}
