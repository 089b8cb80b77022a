package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"

	"github.com/jwtgate/jwtgate/core/jwks"
)

var jwksCommand = &command{
	name:    "jwks",
	args:    "-key path [-kid id] [-alg alg]",
	summary: "print the public half of a key as a JWK Set",
	detail: `Prints the public half of a key as a JWK Set ({"keys":[…]}), the document an
issuer serves (for example at /.well-known/jwks.json) for verifiers to fetch,
each key with its kid, alg and "use":"sig". The key is a PEM file (private or
public) or a JWK; the private half is never printed. An HMAC secret is
refused: it is never published. Key material in a form jwtgate does not read
(DER, an OpenSSH public key, PEM after a byte-order mark or openssl's Bag
Attributes) is refused with what it looks like.

  jwtgate jwks -key private.pem -kid 2024-06 > jwks.json`,
	setup: func(fs *flag.FlagSet) func(*env, []string) error {
		path := fs.String("key", "", "the key, the file at `path`: a PEM key (private or public) or a JWK")
		kid := fs.String("kid", "", "the key's `kid` (default: a JWK's own kid, else none)")
		alg := fs.String("alg", "", "the `alg`orithm the key is published for, such as PS256 for an RSA key (default: the one the key names or allows)")
		return func(e *env, _ []string) error {
			if *path == "" {
				return usagef("give the key with -key")
			}
			if err := checkAlg(*alg); err != nil {
				return err
			}
			if isHMAC(*alg) {
				return usagef("-alg %s is an HMAC algorithm: an HMAC secret is never published", *alg)
			}
			data, kind, err := readKeyFile(*path, secretNeverShown)
			if err != nil {
				return err
			}
			switch kind {
			case jwkSetFile:
				return fmt.Errorf("-key %s is already a JWK Set; give one key, as a PEM file or a JWK", *path)
			}
			k, err := parseKeyFile(data, kind, *path, *alg, *kid)
			if err != nil {
				return err
			}
			set, err := jwks.Marshal(verifyOnly(k))
			if err != nil {
				return fmt.Errorf("-key %s: %w", *path, err)
			}
			var buf bytes.Buffer
			if err := json.Indent(&buf, set, "", "  "); err != nil {
				return fmt.Errorf("printing the JWK Set: %w", err)
			}
			buf.WriteByte('\n')
			_, err = e.stdout.Write(buf.Bytes())
			return err
		}
	},
}
