# The whole test suite, as CI runs it: formatting, vet, staticcheck, and every
# test under the race detector, in every module of go.work.
.PHONY: test run fuzz bench bench-compare

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
# off side by side (BenchmarkBare, BenchmarkRaw, BenchmarkAdapter), DPoP
# through every adapter beside Bearer and one raw ES256 verification
# (BenchmarkDPoP), then the ratios the performance targets are stated in
# (bench/ratio). The six rounds
# run the whole set each, rather than -count=6 running each benchmark six
# times in a row: a shared machine's drift then spreads over every benchmark
# instead of landing on some.
bench-compare:
	go test -c -o bench.test ./bench
	for i in 1 2 3 4 5 6; do ./bench.test -test.run='^$$' -test.bench='Bare|Raw|Adapter|DPoP' -test.benchmem || exit 1; done | tee bench.txt
	go run golang.org/x/perf/cmd/benchstat@latest -col /cache bench.txt
	go run ./bench/ratio bench.txt
