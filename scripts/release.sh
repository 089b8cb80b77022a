#!/usr/bin/env bash
# Makes a release of every published module at one version:
#
#   scripts/release.sh [--skip-tests] vX.Y.Z      (make release VERSION=vX.Y.Z [SKIP_TESTS=1])
#
# It refuses a version that is not vX.Y.Z of major 0 or 1, one not above the
# last release, a work tree that is not clean (untracked files included) and
# a failing test suite (scripts/test.sh; --skip-tests does without it, for a
# dry run: release/release_test.go runs it so in a throwaway clone). Then, in
# one commit, it sets the version in every go.mod (each module's requires of
# the repository's other modules), turns CHANGELOG.md's [Unreleased] section
# into the version's, and writes the version's API snapshots (api/, the
# baseline of the API gate), and prints the tags to push: one per published
# module, all at that commit (the root module's is the version, the others'
# their directory then the version: gin/v0.1.0). It pushes nothing and
# creates no tag.
#
# JWTGATE_RELEASE_SUITE replaces the test suite's command (a test of the
# refusal sets it to false).
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { echo "usage: scripts/release.sh [--skip-tests] vX.Y.Z" >&2; exit 2; }
skip=0
while [ $# -gt 0 ]; do
	case "$1" in
	--skip-tests) skip=1; shift ;;
	-h | --help) usage ;;
	-*) echo "release: unknown flag $1" >&2; usage ;;
	*) break ;;
	esac
done
[ $# -eq 1 ] || usage
version=$1

# The release tooling, in the workspace's release module.
tool() { go run ./release/cmd/jwtgate-release "$@"; }

list=$(tool tags "$version") # checks the version
mapfile -t tags <<<"$list"

if [ -n "$(git status --porcelain)" ]; then
	echo "release: the work tree is not clean; commit or remove these first:" >&2
	git status --short >&2
	exit 1
fi
for t in "${tags[@]}"; do
	if git rev-parse -q --verify "refs/tags/$t" >/dev/null; then
		echo "release: tag $t exists already" >&2
		exit 1
	fi
done
last=$(git tag -l 'v[0-9]*.[0-9]*.[0-9]*' | sort -V | tail -n 1)
if [ -n "$last" ] && [ "$(printf '%s\n%s\n' "$last" "$version" | sort -V | tail -n 1)" != "$version" ]; then
	echo "release: $version is not above the last release, $last" >&2
	exit 1
fi

if [ "$skip" = 1 ]; then
	echo "== skipping the test suite (--skip-tests)"
else
	echo "== the test suite"
	if ! ${JWTGATE_RELEASE_SUITE:-./scripts/test.sh}; then
		echo "release: the test suite failed; nothing was changed" >&2
		exit 1
	fi
	if [ -n "$(git status --porcelain)" ]; then
		echo "release: the test suite left the work tree changed; nothing was released:" >&2
		git status --short >&2
		exit 1
	fi
fi

echo "== setting $version"
list=$(tool set-version "$version")
changed=()
[ -z "$list" ] || mapfile -t changed <<<"$list"
tool changelog "$version"
tool api >/dev/null
[ "$(tool version)" = "$version" ] || { echo "release: the go.mod files do not all name $version" >&2; exit 1; }
git add -- "${changed[@]}" CHANGELOG.md api
git commit -q -m "release $version: every module requires the others at $version, CHANGELOG.md's [Unreleased] is ${version#v}'s, api/ is $version's API" -- "${changed[@]}" CHANGELOG.md api
commit=$(git rev-parse HEAD)

echo "== released $version in $commit"
echo "Tags to push, each at $commit:"
printf '  %s\n' "${tags[@]}"
echo "With:"
echo "  for t in ${tags[*]}; do git tag \"\$t\" $commit; done"
echo "  git push origin HEAD ${tags[*]}"
