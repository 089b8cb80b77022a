#!/usr/bin/env bash
# Runs the whole test suite: gofmt, go vet, staticcheck, go test -race.
# It needs nothing but Go; what else it needs it installs.
set -euo pipefail
cd "$(dirname "$0")/.."

# What the tests need beyond Go, from Debian's packages when missing:
# redis-server (the Redis store's tests) and chromium (the browser tests).
need=()
if ! command -v redis-server >/dev/null 2>&1 && [ -z "${REDIS_URL:-}" ]; then need+=(redis-server); fi
if ! command -v chromium >/dev/null 2>&1; then need+=(chromium); fi
if [ ${#need[@]} -gt 0 ]; then
	echo "== installing ${need[*]} (Debian packages)"
	SUDO=""
	if [ "$(id -u)" != 0 ]; then
		if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
			echo "missing ${need[*]} and this is not root: apt-get install ${need[*]}"; exit 1
		fi
	fi
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
# Here the Redis and browser tests must run, never skip.
export JWTGATE_REQUIRE_REDIS=1 JWTGATE_REQUIRE_BROWSER=1

echo "== gofmt"
unformatted=$(gofmt -l .)
if [ -n "$unformatted" ]; then
	echo "not gofmt-formatted:"; echo "$unformatted"; exit 1
fi

echo "== go vet"
go vet ./...

echo "== staticcheck"
go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

echo "== go test -race"
go test -race -count=1 ./...
