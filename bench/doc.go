// Package bench holds jwtgate's cross-framework and peer benchmarks, in a
// module of its own so that no other module gains their dependencies:
//
//	BenchmarkBare/fw=<nethttp|echo|echo5|gin|fiber|fiber3>  the bare framework
//	BenchmarkRaw/alg=<HS256|RS256|ES256|EdDSA>              golang-jwt alone
//	BenchmarkAdapter/fw=<…>/alg=<…>/token=<valid|invalid>/cache=<on|off>
//	BenchmarkRevocation/cache=<on|off>/revoker=<none|memory>
//	BenchmarkPeers/…                                        echo-jwt, gin-jwt, fiber jwt, auth0, jwtauth
//
// `make bench-compare` runs the set six times and prints benchstat's table
// and the ratio report of ./ratio; TestLoad drives the example apps over
// loopback. Per-package micro-benchmarks (the core's refusals and memory
// per entry, the extractors, the Redis store) stay beside their code.
// BENCHMARKS.md has the figures.
package bench
