package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"

	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/jwks"
)

var jwksCommand = &command{
	name:    "jwks",
	args:    "-key path... [-kid id]... [-alg alg]",
	summary: "print the public half of keys as a JWK Set",
	detail: `Prints the public half of one key or more as a JWK Set ({"keys":[…]}), the
document an issuer serves (for example at /.well-known/jwks.json) for
verifiers to fetch, each key with its kid, alg and "use":"sig". Give -key once
per key: a rotation publishes the current and the next key together. A key is
a PEM file (private or public) or a JWK; the private half is never printed.
An HMAC secret is refused: it is never published. Key material in a form
jwtgate does not read (DER, an OpenSSH public key, PEM after a byte-order mark
or openssl's Bag Attributes) is refused with what it looks like.

A key's kid is the -kid given in the same position (one -kid per -key, or
none), else a JWK's own kid, else its RFC 7638 thumbprint, which names the
key itself. Two keys with one kid are refused: a verifier could not tell
them apart.

  jwtgate jwks -key current.pem -key next.pem > jwks.json`,
	setup: func(fs *flag.FlagSet) func(*env, []string) error {
		var paths, kids stringList
		fs.Var(&paths, "key", "a key, the file at `path`: a PEM key (private or public) or a JWK; repeatable")
		fs.Var(&kids, "kid", "the `kid` of the -key in the same position; repeatable (default: a JWK's own kid, else the key's RFC 7638 thumbprint)")
		alg := fs.String("alg", "", "the `alg`orithm a single key is published for, such as PS256 for an RSA key (default: the one the key names or allows)")
		return func(e *env, _ []string) error {
			switch {
			case len(paths) == 0:
				return usagef("give the key with -key")
			case len(kids) > 0 && len(kids) != len(paths):
				return usagef("give one -kid per -key, or none (%d -kid, %d -key)", len(kids), len(paths))
			case *alg != "" && len(paths) > 1:
				return usagef("-alg applies to a single -key; each of several keys is published for the algorithm it names or allows")
			}
			if err := checkAlg(*alg); err != nil {
				return err
			}
			if isHMAC(*alg) {
				return usagef("-alg %s is an HMAC algorithm: an HMAC secret is never published", *alg)
			}
			keys := make([]*jwtgate.Key, 0, len(paths))
			seen := map[string]string{}
			for i, path := range paths {
				kid := ""
				if len(kids) > 0 {
					kid = kids[i]
				}
				k, err := publicKey(path, *alg, kid)
				if err != nil {
					return err
				}
				if other, dup := seen[k.ID]; dup {
					return fmt.Errorf("-key %s and -key %s have one kid, %q: give each its own -kid", other, path, k.ID)
				}
				seen[k.ID] = path
				keys = append(keys, k)
			}
			set, err := jwks.Marshal(keys...)
			if err != nil {
				return err
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

// publicKey reads the key file at path for publishing: its public half,
// with kid, else its own, else its RFC 7638 thumbprint.
func publicKey(path, alg, kid string) (*jwtgate.Key, error) {
	data, kind, err := readKeyFile(path, secretNeverShown)
	if err != nil {
		return nil, err
	}
	if kind == jwkSetFile {
		return nil, fmt.Errorf("-key %s is already a JWK Set; give each key as a PEM file or a JWK", path)
	}
	k, err := parseKeyFile(data, kind, path, alg, kid)
	if err != nil {
		return nil, err
	}
	k = verifyOnly(k)
	if k.ID == "" {
		if k.ID, err = thumbprint(k); err != nil {
			return nil, fmt.Errorf("-key %s: %w", path, err)
		}
	}
	return k, nil
}

// thumbprint is k's RFC 7638 thumbprint, of its public JWK as published.
func thumbprint(k *jwtgate.Key) (string, error) {
	set, err := jwks.Marshal(k)
	if err != nil {
		return "", err
	}
	var doc struct{ Keys []json.RawMessage }
	if err := json.Unmarshal(set, &doc); err != nil || len(doc.Keys) != 1 {
		return "", fmt.Errorf("reading the key's JWK: %v", err)
	}
	return jwkThumbprint(doc.Keys[0])
}
