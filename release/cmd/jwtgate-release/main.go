// Command jwtgate-release is the Go half of scripts/release.sh and of
// make api: it reads go.work and every module's go.mod in the repository
// (the current directory, or -C dir) and
//
//	jwtgate-release version            prints the version every module requires the others at
//	jwtgate-release set-version vX.Y.Z sets that version in every go.mod, and prints the files it changed
//	jwtgate-release changelog vX.Y.Z   turns CHANGELOG.md's Unreleased section into vX.Y.Z's, dated today
//	jwtgate-release tags vX.Y.Z        prints the tags of that release, one a line
//	jwtgate-release api                writes the API snapshots (api/), and prints the files it wrote
//	jwtgate-release proxy DIR          lays out a module proxy in DIR serving the checkout as its version
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/jwtgate/jwtgate/release"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "jwtgate-release:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("jwtgate-release", flag.ContinueOnError)
	root := fs.String("C", ".", "the repository's root `dir`ectory")
	if err := fs.Parse(args); err != nil {
		return err
	}
	args = fs.Args()
	if len(args) == 0 {
		return errors.New("usage: jwtgate-release [-C dir] version | set-version vX.Y.Z | changelog vX.Y.Z | tags vX.Y.Z | api | proxy DIR")
	}
	mods, err := release.Modules(*root)
	if err != nil {
		return err
	}
	arg := func() (string, error) {
		if len(args) != 2 {
			return "", fmt.Errorf("%s takes one argument", args[0])
		}
		return args[1], nil
	}
	switch args[0] {
	case "version":
		v, err := release.Version(mods)
		if err != nil {
			return err
		}
		fmt.Println(v)
	case "set-version":
		v, err := arg()
		if err != nil {
			return err
		}
		changed, err := release.SetVersion(*root, mods, v)
		if err != nil {
			return err
		}
		for _, f := range changed {
			fmt.Println(f)
		}
	case "changelog":
		v, err := arg()
		if err != nil {
			return err
		}
		if err := release.CheckVersion(v); err != nil {
			return err
		}
		name := filepath.Join(*root, "CHANGELOG.md")
		b, err := os.ReadFile(name)
		if err != nil {
			return err
		}
		out, err := release.ReleaseChangelog(string(b), v, time.Now().UTC().Format(time.DateOnly))
		if err != nil {
			return err
		}
		return os.WriteFile(name, []byte(out), 0o644)
	case "tags":
		v, err := arg()
		if err != nil {
			return err
		}
		if err := release.CheckVersion(v); err != nil {
			return err
		}
		for _, t := range release.Tags(mods, v) {
			fmt.Println(t)
		}
	case "api":
		written, err := release.WriteSnapshots(*root, mods)
		if err != nil {
			return err
		}
		for _, f := range written {
			fmt.Println(f)
		}
	case "proxy":
		dir, err := arg()
		if err != nil {
			return err
		}
		v, err := release.Version(mods)
		if err != nil {
			return err
		}
		served, err := release.BuildProxy(*root, mods, v, dir)
		if err != nil {
			return err
		}
		for _, m := range served {
			fmt.Println(m)
		}
	default:
		return fmt.Errorf("unknown command %q", args[0])
	}
	return nil
}
