// Package release is the repository's release tooling, in a module of its
// own so that the root module's go.mod gains none of its dependencies
// (golang.org/x/mod, golang.org/x/exp/apidiff, golang.org/x/tools). It is
// never tagged.
//
// Versions: every module of the workspace requires the repository's other
// modules at the version being prepared (the next release, v0.1.0 first),
// never at a pseudo-version no proxy could serve. Every module but the
// command-line tool's also replaces them with the directories beside it, so
// that it builds alone (GOWORK=off), as OpenTelemetry's contrib and
// sentry-go do: a dependency's replace is ignored by its consumers, who get
// the released versions. The command-line tool's go.mod has no replace,
// since `go install github.com/jwtgate/jwtgate/cmd/jwtgate@version` refuses
// a module whose go.mod holds one: it builds from released versions alone,
// and in the repository go.work stands in for them (with GOWORK=off it
// cannot build before they are published). TestVersions holds the go.mod
// files to that.
//
// scripts/release.sh (make release VERSION=vX.Y.Z) sets the version in every
// go.mod, rolls CHANGELOG.md's Unreleased section and the API snapshots,
// commits them in one commit and prints the tags to push (Tags);
// TestReleaseDryRun runs it in a throwaway clone. TestRehearsal serves the
// checkout from a module proxy on disk as though tagged (BuildProxy), and
// does what a user does: go get of every module, go install of the tool, a
// program per module answering a request. TestAPICompatibility is the API
// gate (Breaks, Unlisted): apidiff against the snapshots in api/, each
// incompatible change named in CHANGELOG.md's topmost section.
//
// The command jwtgate-release (cmd/jwtgate-release) runs these from the
// shell.
package release
