// Command jwtgate is jwtgate's command-line tool for developers and operators
// of services that use jwtgate: it makes HMAC secrets, mints test tokens,
// decodes tokens, verifies a token by the same rules as the middleware,
// publishes a public key as a JWK Set, and plays a DPoP client (RFC 9449):
// it makes a client's key and signs its proofs.
//
//	jwtgate gen-secret [-alg HS256|HS384|HS512] [-format base64url|hex|raw]
//	jwtgate mint (-key path | -secret-file path | -key-env NAME) [-alg alg] [-iss iss] [-aud aud]... [-sub sub] [-scope scope] [claims]
//	jwtgate inspect [token|-]
//	jwtgate verify (-key path | -secret-file path | -key-env NAME | -jwks-url url) (-iss iss... | -skip-iss) (-aud aud... | -skip-aud) [token|-]
//	jwtgate jwks -key path [-kid id] [-alg alg]
//	jwtgate dpop-key [-alg ES256|ES384|ES512|EdDSA|PS256|RS256] [-out path]
//	jwtgate dpop-proof -key path -htm METHOD -htu URL [-token ACCESS_TOKEN] [-nonce N] [-iat when]
//	jwtgate help [command]
//
// A key given with -key is a file holding a key: a PEM key (read by
// jwtgate.ParsePEM), a JWK (jwks.ParseKey) or, for verify, a JWK Set, and
// nothing else. An HMAC secret is given with -secret-file path (the file's
// bytes, a text file's one trailing line ending dropped) or -key-env NAME (the
// variable's text as it is, as the example apps read JWT_SECRET). A key is
// never a secret: a -key file in no form jwtgate reads is refused, and so is a
// secret that is key material (a PEM block, a JWK, DER, an OpenSSH public
// key, text after a byte-order mark, openssl's Bag Attributes), with what it
// looks like; verifying HS256 with a public key's bytes would accept tokens
// anyone can sign (algorithm confusion).
//
// A token is read from the command line, or from standard input when it is
// "-" or absent. mint prints the token alone on standard output, so that
// ACCESS_TOKEN=$(jwtgate mint …) works. No command prints a secret, except
// gen-secret the one it made, and dpop-key the private key it made when no
// -out file is given.
//
// A DPoP client holds a private key, dpop-key's, and sends with each request
// a proof, dpop-proof's, signed with it for that request's method and URL; a
// server that takes DPoP binds the tokens it issues to the key (cnf.jkt, the
// key's RFC 7638 thumbprint, which dpop-key prints and inspect shows). Against
// the example app started with DPoP allowed (DPOP=allowed go run
// ./examples/nethttp, listening on 127.0.0.1:8080), a client makes its key,
// logs in with a proof, and calls the API with the bound token and a fresh
// proof that carries the token's hash (-token):
//
//	# A key for DPoP proofs; its thumbprint (jkt) goes to standard error.
//	jwtgate dpop-key -out client.jwk
//	# Log in with a proof of the key: the tokens are bound to it (token_type DPoP).
//	ACCESS_TOKEN=$(curl -s -X POST http://127.0.0.1:8080/login -H 'Content-Type: application/json' \
//	  -H "DPoP: $(jwtgate dpop-proof -key client.jwk -htm POST -htu http://127.0.0.1:8080/login)" \
//	  -d '{"username":"alice","password":"alice-password"}' | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
//	# Call the API with the bound token and a fresh proof that carries its hash (-token).
//	curl -s -w '\n' http://127.0.0.1:8080/api/me -H "Authorization: DPoP $ACCESS_TOKEN" \
//	  -H "DPoP: $(jwtgate dpop-proof -key client.jwk -htm GET -htu http://127.0.0.1:8080/api/me -token "$ACCESS_TOKEN")"
//	# {"scope":"read","sub":"alice"}
//
// The exit status is 0 on success, 1 when the command failed (a token
// refused, a key that cannot be read), 2 for a usage error (an unknown
// command, a bad flag).
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// Exit statuses.
const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv))
}

// env is what a command works with: its input and outputs, and the
// environment.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
}

// command is one of jwtgate's commands. setup declares its flags on fs and
// returns the function that runs it once the flags are parsed, given the
// positional arguments.
type command struct {
	name    string
	args    string // the usage line after the name
	summary string // one line, for the command list
	detail  string // what the command does, for its help
	maxArgs int    // positional arguments allowed
	setup   func(fs *flag.FlagSet) func(e *env, args []string) error
}

var commands = []*command{genSecretCommand, mintCommand, inspectCommand, verifyCommand, jwksCommand, dpopKeyCommand, dpopProofCommand}

func lookup(name string) *command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return nil
}

// run is the whole tool: it runs the command args names and returns the exit
// status.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv}
	if len(args) == 0 {
		fmt.Fprint(stderr, "jwtgate: no command given\n\n")
		usage(stderr)
		return exitUsage
	}
	switch name := args[0]; name {
	case "help", "-h", "-help", "--help":
		if len(args) == 1 {
			usage(stdout)
			return exitOK
		}
		c := lookup(args[1])
		if c == nil || len(args) > 2 {
			fmt.Fprintf(stderr, "jwtgate help: unknown command %q\n\n", strings.Join(args[1:], " "))
			usage(stderr)
			return exitUsage
		}
		fs := newFlagSet(c)
		c.setup(fs)
		commandUsage(stdout, c, fs)
		return exitOK
	default:
		c := lookup(name)
		if c == nil {
			fmt.Fprintf(stderr, "jwtgate: unknown command %q\n\n", name)
			usage(stderr)
			return exitUsage
		}
		return c.run(e, args[1:])
	}
}

func newFlagSet(c *command) *flag.FlagSet {
	fs := flag.NewFlagSet("jwtgate "+c.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors and usage are printed by run
	return fs
}

// usageError is a problem with the command line: it is printed with the
// command's usage and exits 2.
type usageError struct{ msg string }

func (u *usageError) Error() string { return u.msg }

func usagef(format string, a ...any) error { return &usageError{fmt.Sprintf(format, a...)} }

// run parses args and runs c.
func (c *command) run(e *env, args []string) int {
	fs := newFlagSet(c)
	do := c.setup(fs)
	pos, err := parseArgs(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		commandUsage(e.stdout, c, fs)
		return exitOK
	}
	if err == nil && len(pos) > c.maxArgs {
		err = usagef("unexpected argument %q", pos[c.maxArgs])
	}
	if err == nil {
		err = do(e, pos)
	}
	var u *usageError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &u):
		fmt.Fprintf(e.stderr, "jwtgate %s: %v\n\n", c.name, err)
		commandUsage(e.stderr, c, fs)
		return exitUsage
	default:
		fmt.Fprintf(e.stderr, "jwtgate %s: %v\n", c.name, err)
		return exitFail
	}
}

// parseArgs parses flags and positional arguments in any order ("verify
// TOKEN -iss x" as well as "verify -iss x TOKEN"); after "--" everything is
// positional.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, &usageError{err.Error()}
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

func usage(w io.Writer) {
	fmt.Fprint(w, `jwtgate: secrets, test tokens, token checks and DPoP proofs for services that use jwtgate

Usage:
  jwtgate <command> [flags] [arguments]

Commands:
`)
	for _, c := range commands {
		fmt.Fprintf(w, "  %-11s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `  help        show a command's flags: jwtgate help <command>, or jwtgate <command> -h

Exit status: 0 on success, 1 when the command failed, 2 for a usage error.
`)
}

func commandUsage(w io.Writer, c *command, fs *flag.FlagSet) {
	fmt.Fprintf(w, "Usage: jwtgate %s %s\n\n%s\n", c.name, c.args, c.detail)
	has := false
	fs.VisitAll(func(*flag.Flag) { has = true })
	if has {
		fmt.Fprint(w, "\nFlags:\n")
		fs.SetOutput(w)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
}
