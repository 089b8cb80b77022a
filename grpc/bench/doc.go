// Package bench measures the gRPC and Connect interceptors against
// golang-jwt alone and against go-grpc-middleware's auth interceptor with a
// golang-jwt AuthFunc, in one run (BENCHMARKS.md, "gRPC and Connect"). It
// is a module of its own so that go-grpc-middleware, a peer measured here,
// never enters the graph of a service that imports jwtgate's gRPC module.
package bench
