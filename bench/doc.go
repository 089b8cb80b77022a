// Package bench holds jwtgate's cross-framework and peer benchmarks, in a
// module of its own so that no other module gains their dependencies:
//
//	BenchmarkBare/fw=<nethttp|echo|echo5|gin|fiber|fiber3>  the bare framework
//	BenchmarkFloor/fw=<…>                                   the least a middleware adds: reads Authorization, carries one value
//	BenchmarkRaw/alg=<HS256|RS256|ES256|EdDSA>              golang-jwt alone
//	BenchmarkAdapter/fw=<…>/alg=<…>/token=<valid|invalid>/cache=<on|off>
//	BenchmarkDPoP/fw=<…>/cache=<on|off>/scheme=<Bearer|DPoP>  an ES256 proof; verify=ES256: golang-jwt's Verify of it
//	BenchmarkRevocation/cache=<on|off>/revoker=<none|memory>
//	BenchmarkPeers/…                                        echo-jwt, gin-jwt, fiber jwt, auth0, jwtauth
//
// Every net/http request carries the context a real server gives it (a
// cancelable context per request, under a connection's): see serveRequest.
//
// `make bench-compare` runs Bare, Floor, Raw, Adapter and DPoP six times and prints
// benchstat's table and the ratio report of ./ratio; `make bench-http`
// (scripts/bench-http.sh) drives the built example apps over loopback with
// wrk, and TestLoad with a small Go load generator. Per-package
// micro-benchmarks (the core's refusals and memory per entry, the
// extractors, the Redis store) stay beside their code. BENCHMARKS.md has
// the figures.
package bench
