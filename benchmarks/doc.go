// Package benchmarks compares jwtgate's four adapters with their bare
// frameworks and with golang-jwt alone, under names that compare across runs:
//
//	BenchmarkBare/fw=<nethttp|echo|gin|fiber>
//	BenchmarkRaw/alg=<HS256|RS256|ES256|EdDSA>
//	BenchmarkAdapter/fw=<…>/alg=<…>/token=<valid|invalid>/cache=<on|off>
//
// Run them all and print a table with `make bench-compare` (see the README).
package benchmarks
