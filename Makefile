# The whole test suite, as CI runs it: formatting, vet, staticcheck, and every
# test under the race detector.
.PHONY: test run fuzz bench

test:
	./scripts/test.sh

# The main job: the example API on 127.0.0.1:8080.
run:
	go run ./examples/nethttp

# 60 seconds of each fuzz target.
fuzz:
	go test -run='^$$' -fuzz=FuzzAuthenticate -fuzztime=60s ./core
	go test -run='^$$' -fuzz=FuzzScanObject -fuzztime=60s ./core
	go test -run='^$$' -fuzz=FuzzExtract -fuzztime=60s ./extractors

bench:
	go test -run='^$$' -bench=. -benchmem ./...
