package main

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"flag"
	"fmt"
)

// secretSizes is the secret each HMAC algorithm needs: as many random bytes
// as its hash's output (RFC 7518 §3.2).
var secretSizes = map[string]int{"HS256": 32, "HS384": 48, "HS512": 64}

var genSecretCommand = &command{
	name:    "gen-secret",
	args:    "[-alg HS256|HS384|HS512] [-format base64url|hex|raw]",
	summary: "print a random HMAC secret",
	detail: `Prints a random HMAC secret of as many bytes as the algorithm's hash (32 for
HS256, 48 for HS384, 64 for HS512), encoded as -format says, on standard
output. base64url and hex print text, followed by a line break: that text is
the secret, used as it is (not decoded) by -key-env, by a -secret-file file
and by the example apps' JWT_SECRET, and it is longer than the minimum. raw
prints the bytes themselves, without a line break, for a file given with
-secret-file.

  export JWT_SECRET=$(jwtgate gen-secret)
  jwtgate gen-secret -format raw > hs256.secret   # then mint/verify -secret-file hs256.secret`,
	setup: func(fs *flag.FlagSet) func(*env, []string) error {
		alg := fs.String("alg", "HS256", "the `alg`orithm the secret is for: HS256, HS384 or HS512")
		format := fs.String("format", "base64url", "the output `format`: base64url, hex or raw")
		return func(e *env, _ []string) error {
			n, ok := secretSizes[*alg]
			if !ok {
				return usagef("-alg %q is not an HMAC algorithm (want HS256, HS384 or HS512)", *alg)
			}
			if *format != "base64url" && *format != "hex" && *format != "raw" {
				return usagef("-format %q is not base64url, hex or raw", *format)
			}
			var out []byte
			for {
				b := make([]byte, n)
				_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
				switch *format {
				case "base64url":
					out = []byte(base64.RawURLEncoding.EncodeToString(b) + "\n")
				case "hex":
					out = []byte(hex.EncodeToString(b) + "\n")
				default:
					out = b
				}
				// Drawn again when the secret looks like key material
				// (bytes that parse as DER, text that starts with "ssh-"),
				// which -secret-file refuses: about once in a million raw
				// secrets, far less often a text one.
				if notASecret(secretFromFile(out), "") == nil {
					break
				}
			}
			if _, err := e.stdout.Write(out); err != nil {
				return fmt.Errorf("writing the secret: %w", err)
			}
			return nil
		}
	},
}
