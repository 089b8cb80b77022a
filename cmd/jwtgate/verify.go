package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/dpop"
	"github.com/jwtgate/jwtgate/core/jwks"
)

var verifyCommand = &command{
	name:    "verify",
	args:    "(-key path | -secret-file path | -key-env NAME | -jwks-url url) (-iss iss... | -skip-iss) (-aud aud... | -skip-aud) [-alg alg] [-leeway d] [-require claim]... [-typ typ]... [token|-]",
	summary: "verify a token by the middleware's rules",
	maxArgs: 1,
	detail: `Verifies a token as the middleware does, with a jwtgate.Config built from the
flags and Authenticator.Verify: the signature with the key, the algorithm
bound to the key, the header's typ, exp (required), nbf and iat, iss, aud and
the required claims. On success it prints the claims as JSON and exits 0; on
failure it prints, on standard error, the refusal as a client would get it
(status, error code, description) and the cause behind it, and exits 1.

The key is a key file (-key: a PEM key, public or private, a JWK or a JWK
Set), a file holding an HMAC secret (-secret-file: the file's bytes, a text
file's one trailing line ending dropped), an environment variable holding an
HMAC secret as text (-key-env), or an issuer's published JWK Set (-jwks-url:
https, or http on a loopback host with -allow-http-loopback). A -key file is
never taken for a secret, and a key is never a secret: key material in a form
jwtgate does not read (DER, an OpenSSH public key, PEM after a byte-order
mark or openssl's Bag Attributes) is refused with what it looks like, since
verifying HS256 with a public key's bytes accepts tokens anyone can sign
(algorithm confusion). Revocation is not checked: a service's revocation store
is its own.

A token bound to a DPoP key (a cnf claim with jkt, RFC 9449) is refused, as
Authenticator.Verify refuses it: the proof that its holder has the key belongs
to an HTTP request (its method, URL and time), which verify has not. Send such
a token to the service with a fresh proof (jwtgate dpop-proof -token), or
decode it with jwtgate inspect.

The token is the argument, or is read from standard input when the argument
is "-" or absent; a leading "Bearer " is ignored.`,
	setup: func(fs *flag.FlagSet) func(*env, []string) error {
		var o verifyOptions
		fs.StringVar(&o.keyPath, "key", "", "the key, the file at `path`: a PEM key, a JWK or a JWK Set (never an HMAC secret: see -secret-file)")
		fs.StringVar(&o.secretPath, "secret-file", "", "the file at `path` holding an HMAC secret, used byte for byte (a text file's one trailing line ending dropped)")
		fs.StringVar(&o.keyEnv, "key-env", "", "the `NAME` of an environment variable holding an HMAC secret, such as JWT_SECRET")
		fs.StringVar(&o.jwksURL, "jwks-url", "", "the `URL` of the issuer's JWK Set")
		fs.BoolVar(&o.allowHTTPLoopback, "allow-http-loopback", false, "accept an http:// -jwks-url on localhost or a loopback address")
		fs.StringVar(&o.alg, "alg", "", "the `alg`orithm of -key, -secret-file or -key-env (default: the one the key names or allows; HS256 for a secret)")
		fs.Var(&o.iss, "iss", "an accepted `issuer`; repeatable; required unless -skip-iss")
		fs.BoolVar(&o.skipIss, "skip-iss", false, "accept any issuer")
		fs.Var(&o.aud, "aud", "an accepted `audience` (this service); repeatable; required unless -skip-aud")
		fs.BoolVar(&o.skipAud, "skip-aud", false, "accept any audience")
		fs.DurationVar(&o.leeway, "leeway", jwtgate.DefaultLeeway, "the clock skew allowed on exp, nbf and iat (at most "+jwtgate.MaxLeeway.String()+"; 0 for none)")
		fs.Var(&o.require, "require", "a `claim` that must be present, such as jti or sub; repeatable")
		fs.Var(&o.types, "typ", "an accepted header `typ`, such as at+jwt; repeatable; -typ= stands for a token without typ (default: without typ, JWT and at+jwt)")
		return func(e *env, args []string) error {
			if err := o.check(); err != nil {
				return err
			}
			raw, err := readToken(e, args)
			if err != nil {
				return err
			}
			return o.verify(context.Background(), e, raw)
		}
	},
}

type verifyOptions struct {
	keyPath, secretPath string
	keyEnv, jwksURL     string
	allowHTTPLoopback   bool
	alg                 string
	iss, aud            stringList
	skipIss, skipAud    bool
	leeway              time.Duration
	require, types      stringList
}

// check finds the usage errors before anything is read.
func (o *verifyOptions) check() error {
	if countSet(o.keyPath, o.secretPath, o.keyEnv, o.jwksURL) != 1 {
		return usagef("give the key with one of -key, -secret-file, -key-env and -jwks-url")
	}
	if err := checkAlg(o.alg); err != nil {
		return err
	}
	if o.alg != "" && o.jwksURL != "" {
		return usagef("-alg does not apply to -jwks-url: each published key names its algorithm")
	}
	if o.allowHTTPLoopback && o.jwksURL == "" {
		return usagef("-allow-http-loopback applies to -jwks-url only")
	}
	if len(o.iss) == 0 && !o.skipIss {
		return usagef("give the accepted issuers with -iss, or -skip-iss to accept any")
	}
	if len(o.iss) > 0 && o.skipIss {
		return usagef("-iss and -skip-iss contradict each other")
	}
	if len(o.aud) == 0 && !o.skipAud {
		return usagef("give this service's audience with -aud, or -skip-aud to accept any")
	}
	if len(o.aud) > 0 && o.skipAud {
		return usagef("-aud and -skip-aud contradict each other")
	}
	return nil
}

// keys returns the key source the flags name, and the function that releases
// it.
func (o *verifyOptions) keys(ctx context.Context, e *env) (src jwtgate.KeySource, release func(), err error) {
	switch {
	case o.keyEnv != "":
		k, err := envSecret(e.getenv, o.keyEnv, o.alg, "")
		return k, func() {}, err
	case o.secretPath != "":
		k, err := secretFileKey(o.secretPath, o.alg, "")
		if err != nil {
			return nil, nil, err
		}
		return verifyOnly(k), func() {}, nil
	case o.jwksURL != "":
		// The remote set's failures (a fetch, a refused key) are worth
		// seeing here: they are why a token would be refused.
		log := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{
			Level: slog.LevelWarn,
			ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
				if len(groups) == 0 && a.Key == slog.TimeKey {
					return slog.Attr{}
				}
				return a
			},
		}))
		r, err := jwks.NewRemote(ctx, jwks.RemoteOptions{URL: o.jwksURL, AllowHTTPLoopback: o.allowHTTPLoopback, Logger: log})
		if err != nil {
			return nil, nil, usagef("-jwks-url: %v", err)
		}
		return r, func() { _ = r.Close() }, nil
	}
	data, kind, err := readKeyFile(o.keyPath, secretGoesElsewhere)
	if err != nil {
		return nil, nil, err
	}
	if kind == jwkSetFile {
		if o.alg != "" {
			return nil, nil, usagef("-alg does not apply to a JWK Set: each key names its algorithm")
		}
		// A local file is the operator's own: it may hold private keys,
		// whose public halves verify.
		set, err := jwks.ParsePrivateSet(data)
		if err != nil {
			return nil, nil, fmt.Errorf("-key %s: %w", o.keyPath, err)
		}
		return set, func() {}, nil
	}
	k, err := parseKeyFile(data, kind, o.keyPath, o.alg, "")
	if err != nil {
		return nil, nil, err
	}
	return verifyOnly(k), func() {}, nil
}

// verify verifies raw and prints the outcome.
func (o *verifyOptions) verify(ctx context.Context, e *env, raw string) error {
	src, closeKeys, err := o.keys(ctx, e)
	if err != nil {
		return err
	}
	defer closeKeys()
	cfg := jwtgate.Config{
		Keys:              src,
		Issuer:            o.iss,
		SkipIssuerCheck:   o.skipIss,
		Audience:          o.aud,
		SkipAudienceCheck: o.skipAud,
		Leeway:            leeway(o.leeway),
		RequiredClaims:    o.require,
		CacheSize:         -1, // one token, once
	}
	if o.types != nil {
		cfg.Types = o.types
	}
	auth, err := jwtgate.New(cfg)
	if err != nil {
		return usagef("%s", strings.ReplaceAll(err.Error(), "\n", "; "))
	}
	t, err := auth.Verify(ctx, raw)
	if err != nil {
		r := auth.Response(err)
		fmt.Fprintf(e.stderr, "jwtgate verify: refused: %d %s: %s\n", r.Status, r.Code, r.Description)
		if errors.Is(err, dpop.ErrTokenBound) {
			fmt.Fprintf(e.stderr, "jwtgate verify: the token is bound to a DPoP key%s: a DPoP proof belongs to an HTTP request (its method, URL and time), which verify has not; send the token to the service with a fresh proof (jwtgate dpop-proof -token)\n", boundJKT(raw))
		}
		return &refusal{err}
	}
	claims, ok := t.Claims.(*jwtgate.Claims)
	if !ok || claims.Raw() == nil {
		return errors.New("the verified token's claims cannot be printed")
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, claims.Raw(), "", "  "); err != nil {
		return fmt.Errorf("printing the claims: %w", err)
	}
	buf.WriteByte('\n')
	_, err = io.Copy(e.stdout, &buf)
	return err
}

// boundJKT is " (cnf.jkt …)" for the token raw, which Authenticator.Verify
// refused as bound to a key once it had verified it, or "" when cnf.jkt
// cannot be read.
func boundJKT(raw string) string {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return ""
	}
	payload, err := segment(parts[1], "payload")
	if err != nil {
		return ""
	}
	var claims struct {
		Cnf struct {
			JKT string `json:"jkt"`
		} `json:"cnf"`
	}
	if json.Unmarshal(payload, &claims) != nil || !isB64Token(claims.Cnf.JKT) || len(claims.Cnf.JKT) > 86 {
		return ""
	}
	return " (cnf.jkt " + claims.Cnf.JKT + ")"
}

// refusal is a token the Authenticator refused: printed as the cause, on one
// line (the core joins its causes with errors.Join, one per line).
type refusal struct{ err error }

func (r *refusal) Error() string { return "cause: " + oneLine(r.err.Error()) }

func (r *refusal) Unwrap() error { return r.err }

// oneLine joins the lines of an error's text with ": ".
func oneLine(s string) string { return strings.ReplaceAll(s, "\n", ": ") }

// leeway is the flag's duration as jwtgate.Config.Leeway reads it: 0 asks
// for exact times (jwtgate.NoLeeway), where the Config's zero means the
// default.
func leeway(d time.Duration) time.Duration {
	if d == 0 {
		return jwtgate.NoLeeway
	}
	return d
}
