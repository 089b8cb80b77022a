#!/usr/bin/env bash
# Runs the whole test suite: gofmt, go vet, staticcheck, go test -race.
# It needs nothing but Go; what else it needs it installs.
set -euo pipefail
cd "$(dirname "$0")/.."

# Redis-backed tests need a redis-server; install Debian's when missing.
if ! command -v redis-server >/dev/null 2>&1 && [ -z "${REDIS_URL:-}" ]; then
	echo "== installing redis-server (Debian package)"
	SUDO=""
	if [ "$(id -u)" != 0 ]; then
		if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
			echo "redis-server is missing and this is not root: install it (apt-get install redis-server) or set REDIS_URL"; exit 1
		fi
	fi
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq redis-server >/dev/null
fi
# The Redis tests must run here, never skip.
export JWTGATE_REQUIRE_REDIS=1

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
