# The whole test suite, as CI runs it: formatting, vet, staticcheck, and every
# test under the race detector, in every module of go.work.
.PHONY: test run fuzz bench bench-compare bench-redis bench-http api release

test:
	./scripts/test.sh

# The main job: the example API on 127.0.0.1:8080.
run:
	go run ./examples/nethttp

# 60 seconds of each fuzz target.
fuzz:
	go test -run='^$$' -fuzz=FuzzAuthenticate -fuzztime=60s ./core
	go test -run='^$$' -fuzz=FuzzDifferential -fuzztime=60s ./core
	go test -run='^$$' -fuzz=FuzzDPoPProof -fuzztime=60s ./core
	go test -run='^$$' -fuzz=FuzzCompactShape -fuzztime=60s ./core
	go test -run='^$$' -fuzz=FuzzMembers -fuzztime=60s ./core/internal/parse
	go test -run='^$$' -fuzz=FuzzUnquote -fuzztime=60s ./core/internal/parse
	go test -run='^$$' -fuzz=FuzzStrings -fuzztime=60s ./core/internal/parse
	go test -run='^$$' -fuzz=FuzzSegment -fuzztime=60s ./core/internal/parse
	go test -run='^$$' -fuzz=FuzzExtract -fuzztime=60s ./extractors
	go test -run='^$$' -fuzz=FuzzIsB64Token -fuzztime=60s ./extractors

# The per-package micro-benchmarks (the core's refusals, the extractors, the
# Redis store); the cross-framework and peer set is bench-compare's.
bench:
	go test -run='^$$' -bench=. -benchmem ./core/... ./extractors/...

# Every adapter against its bare framework and golang-jwt alone, cache on and
# off side by side (BenchmarkBare, BenchmarkRaw, BenchmarkAdapter), the least
# any middleware adds to each framework (BenchmarkFloor), DPoP
# through every adapter beside Bearer and one raw ES256 verification
# (BenchmarkDPoP), then the ratios the performance targets are stated in
# (bench/ratio). The six rounds
# run the whole set each, rather than -count=6 running each benchmark six
# times in a row: a shared machine's drift then spreads over every benchmark
# instead of landing on some.
bench-compare:
	go test -c -o bench.test ./bench
	for i in 1 2 3 4 5 6; do ./bench.test -test.run='^$$' -test.bench='Bare|Floor|Raw|Adapter|DPoP' -test.benchmem || exit 1; done | tee bench.txt
	go run golang.org/x/perf/cmd/benchstat@latest -col /cache bench.txt
	go run ./bench/ratio bench.txt

# The six example apps over real HTTP on loopback, each alone with the default
# in-memory store: GET /healthz, GET /healthz carrying a valid token's header
# (the floor: the token's bytes, no middleware), GET /api/me with a valid
# token and with a forged one, driven by wrk (Debian's package, installed when
# missing) in two alternating rounds of 5 s each; a table of req/s, p50 and
# p99, and the ratios of each to /healthz (scripts/bench-http.sh; DURATION,
# CONNECTIONS, APPS and OUT change it; LOG_LEVEL=warn quiets the apps). About
# four and a half minutes.
bench-http:
	./scripts/bench-http.sh

# The Redis store at scale (BENCHMARKS.md, "Many instances on Redis"): the
# check and a whole request with the local cache on and off against the
# memory store (six rounds), then three instances of the example app on one
# Redis and on a Sentinel set-up driven by wrk over loopback HTTP, each store
# in one run (LOAD_SECONDS per store, default 10). Installs wrk, redis-server
# and redis-sentinel from Debian's packages when missing.
bench-redis:
	@need=""; for p in wrk redis-server redis-sentinel; do command -v $$p >/dev/null 2>&1 || need="$$need $$p"; done; \
	if [ -n "$$need" ]; then SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$need >/dev/null; fi
	go test -run='^$$' -bench='IsRevoked|Request$$' -benchmem -count=6 ./core/redisstore
	LOAD_SECONDS=$${LOAD_SECONDS:-10} go test -run='^$$' -bench=BenchmarkScaleOut -benchtime=1x -timeout=20m ./examples/e2e

# The API snapshots (api/, one file per published module): the baseline the
# API gate (release/api_test.go) compares every module's API with. A release
# writes them; before the first one, run this after changing the API.
api:
	go run ./release/cmd/jwtgate-release api

# make release VERSION=vX.Y.Z: the test suite, then one commit that sets the
# version in every go.mod, CHANGELOG.md's section and the API snapshots; it
# prints the tags to push (scripts/release.sh). SKIP_TESTS=1 does without the
# suite, for a dry run in a throwaway clone.
release:
	@test -n "$(VERSION)" || { echo "usage: make release VERSION=vX.Y.Z [SKIP_TESTS=1]"; exit 2; }
	./scripts/release.sh $(if $(SKIP_TESTS),--skip-tests) $(VERSION)
