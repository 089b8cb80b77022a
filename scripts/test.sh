#!/usr/bin/env bash
# Runs the whole test suite, as CI runs it: gofmt, go vet, staticcheck and
# go test -race in every module of the workspace (go.work), and the root
# module's vet on the oldest Go its go.mod names. It needs nothing but Go;
# what else it needs (redis-server, chromium) it installs from Debian's
# packages.
#
# It runs in a copy of the repository alone in an empty directory, so that a
# test that reads anything beside the checkout fails here as it would in a
# user's clone. JWTGATE_IN_PLACE=1 runs it where it is instead.
set -euo pipefail
cd "$(dirname "$0")/.."

# step names a step with the seconds run so far, so that a slow run shows
# where its time went.
step() { echo "== $* [${SECONDS}s]"; }

# What the tests need beyond Go, from Debian's packages when missing:
# redis-server and redis-cli (the Redis store's tests, its Cluster test),
# redis-sentinel (its Sentinel failover test) and
# chromium (the browser tests).
need=()
if ! command -v redis-server >/dev/null 2>&1 && [ -z "${REDIS_URL:-}" ]; then need+=(redis-server); fi
if ! command -v redis-cli >/dev/null 2>&1; then need+=(redis-tools); fi
if ! command -v redis-sentinel >/dev/null 2>&1; then need+=(redis-sentinel); fi
if ! command -v chromium >/dev/null 2>&1; then need+=(chromium); fi
if [ ${#need[@]} -gt 0 ]; then
	step "installing ${need[*]} (Debian packages)"
	SUDO=""
	if [ "$(id -u)" != 0 ]; then
		if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
			echo "missing ${need[*]} and this is not root: apt-get install ${need[*]}"; exit 1
		fi
	fi
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

if [ "${JWTGATE_IN_PLACE:-}" != 1 ]; then
	# The tracked and untracked (not ignored) files, nothing else: the
	# directory around the copy holds nothing but it. A fixed path, so that
	# Go's build cache serves the next run.
	dest="${TMPDIR:-/tmp}/jwtgate-standalone"
	step "copying the checkout alone into $dest/jwtgate"
	rm -rf "$dest"
	mkdir -p "$dest/jwtgate"
	if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		git ls-files -z --cached --others --exclude-standard |
			while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
			xargs -0 cp --parents -t "$dest/jwtgate"
	else
		cp -a . "$dest/jwtgate"
	fi
	cd "$dest/jwtgate"
fi

# Here the Redis and browser tests must run, never skip.
export JWTGATE_REQUIRE_REDIS=1 JWTGATE_REQUIRE_BROWSER=1

# Every module of the workspace, as package patterns.
mapfile -t modules < <(go list -m -f '{{.Dir}}')
patterns=()
for m in "${modules[@]}"; do patterns+=("./${m#"$PWD"}/..."); done
patterns=("${patterns[@]//.\/\//./}")
echo "== modules: ${patterns[*]}"

step "gofmt"
unformatted=$(gofmt -l .)
if [ -n "$unformatted" ]; then
	echo "not gofmt-formatted:"; echo "$unformatted"; exit 1
fi

# The root module's go line is the oldest Go its code needs; vet there proves
# it (the go command fetches that toolchain from the module proxy once).
floor=go1.24.13

# On a cold machine vet spends much of its time waiting on module downloads:
# meanwhile, fetch the floor's toolchain and build staticcheck (go run caches
# the binary), which the steps below then find ready. Nothing is checked here.
( GOTOOLCHAIN=$floor GOWORK=off go version >/dev/null 2>&1 || true ) &
( go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 -version >/dev/null 2>&1 || true ) &

step "go vet"
go vet "${patterns[@]}"
wait

step "go vet of the root module on $floor, the Go its go.mod names"
grep -qx "go ${floor#go}" go.mod || grep -qx "go $(echo "${floor#go}" | cut -d. -f1,2)" go.mod ||
	{ echo "go.mod's go line is not ${floor#go}: update floor in scripts/test.sh"; exit 1; }
GOTOOLCHAIN=$floor GOWORK=off go vet ./...

step "staticcheck"
go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 "${patterns[@]}"

step "go test -race"
go test -race -count=1 -vet=off "${patterns[@]}"

# The allocation pins once more without the race detector, under which
# sync.Pool drops some of what it keeps (core/race_test.go).
step "allocation tests without -race"
go test -count=1 -vet=off -run 'Allocations|AllocatesOnce' ./core/ ./echo/... ./echov5/... ./fiber/... ./fiberv3/...
step "done"
