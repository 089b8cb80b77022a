package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestUsage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		args       []string
		code       int
		stdout     []string // substrings of stdout
		stderr     []string // substrings of stderr
		quietOut   bool     // nothing on stdout
		quietError bool     // nothing on stderr
	}{
		{name: "no command", args: nil, code: 2, stderr: []string{"no command given", "Commands:", "gen-secret", "mint", "inspect", "verify", "jwks", "dpop-key", "dpop-proof"}, quietOut: true},
		{name: "unknown command", args: []string{"sign"}, code: 2, stderr: []string{`unknown command "sign"`, "Commands:"}, quietOut: true},
		{name: "help", args: []string{"help"}, code: 0, stdout: []string{"Commands:", "gen-secret", "mint", "inspect", "verify", "jwks", "dpop-key", "dpop-proof", "Exit status"}, quietError: true},
		{name: "-h", args: []string{"-h"}, code: 0, stdout: []string{"Commands:"}, quietError: true},
		{name: "help mint", args: []string{"help", "mint"}, code: 0, stdout: []string{"Usage: jwtgate mint", "-key-env NAME", "-secret-file path", "-claim name=json", `(default "at+jwt")`}, quietError: true},
		{name: "help verify", args: []string{"help", "verify"}, code: 0, stdout: []string{"Usage: jwtgate verify", "-jwks-url URL", "-secret-file path", "-skip-iss"}, quietError: true},
		{name: "help unknown", args: []string{"help", "sign"}, code: 2, stderr: []string{`unknown command "sign"`}, quietOut: true},
		{name: "mint -h", args: []string{"mint", "-h"}, code: 0, stdout: []string{"Usage: jwtgate mint", "-ttl duration"}, quietError: true},
		{name: "inspect -help", args: []string{"inspect", "-help"}, code: 0, stdout: []string{"Usage: jwtgate inspect [token|-]", "Nothing is verified"}, quietError: true},
		{name: "gen-secret -h", args: []string{"gen-secret", "-h"}, code: 0, stdout: []string{"-format format"}, quietError: true},
		{name: "help dpop-key", args: []string{"help", "dpop-key"}, code: 0, stdout: []string{"Usage: jwtgate dpop-key", "mode 0600", "-out path", `(default "ES256")`}, quietError: true},
		{name: "dpop-proof -h", args: []string{"dpop-proof", "-h"}, code: 0, stdout: []string{"Usage: jwtgate dpop-proof -key path -htm METHOD -htu URL", "query and fragment", "-token token", "-nonce nonce"}, quietError: true},
		{name: "jwks -h", args: []string{"jwks", "-h"}, code: 0, stdout: []string{"Usage: jwtgate jwks -key path"}, quietError: true},
		{name: "unknown flag", args: []string{"mint", "-secret", "x"}, code: 2, stderr: []string{"jwtgate mint: flag provided but not defined: -secret", "Usage: jwtgate mint"}, quietOut: true},
		{name: "bad flag value", args: []string{"mint", "-ttl", "soon"}, code: 2, stderr: []string{`invalid value "soon" for flag -ttl`, "Usage: jwtgate mint"}, quietOut: true},
		{name: "flag without value", args: []string{"verify", "-iss"}, code: 2, stderr: []string{"flag needs an argument: -iss"}, quietOut: true},
		{name: "extra argument", args: []string{"inspect", "a.b.c", "d.e.f"}, code: 2, stderr: []string{`unexpected argument "d.e.f"`}, quietOut: true},
		{name: "argument to gen-secret", args: []string{"gen-secret", "32"}, code: 2, stderr: []string{`unexpected argument "32"`}, quietOut: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := cli(t, nil, "", tt.args...)
			assert.Equal(t, tt.code, r.code, "stderr: %s", r.stderr)
			for _, s := range tt.stdout {
				assert.Contains(t, r.stdout, s)
			}
			for _, s := range tt.stderr {
				assert.Contains(t, r.stderr, s)
			}
			if tt.quietOut {
				assert.Empty(t, r.stdout)
			}
			if tt.quietError {
				assert.Empty(t, r.stderr)
			}
		})
	}
}

func TestParseArgs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		pos  []string
		iss  []string
	}{
		{name: "flags first", args: []string{"-iss", "a", "tok"}, pos: []string{"tok"}, iss: []string{"a"}},
		{name: "argument first", args: []string{"tok", "-iss", "a"}, pos: []string{"tok"}, iss: []string{"a"}},
		{name: "between", args: []string{"-iss", "a", "tok", "-iss", "b"}, pos: []string{"tok"}, iss: []string{"a", "b"}},
		{name: "dash is an argument", args: []string{"-", "-iss", "a"}, pos: []string{"-"}, iss: []string{"a"}},
		{name: "after --", args: []string{"-iss", "a", "--", "-iss", "b"}, pos: []string{"-iss", "b"}, iss: []string{"a"}},
		{name: "none", args: nil, pos: nil, iss: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fs := newFlagSet(verifyCommand)
			var iss stringList
			fs.Var(&iss, "iss", "")
			pos, err := parseArgs(fs, tt.args)
			assert.NoError(t, err)
			assert.Equal(t, tt.pos, pos)
			assert.Equal(t, tt.iss, []string(iss))
		})
	}
}
