// Package bench compares jwtgate with peer JWT middlewares. It is a separate
// module so that the main module gains no dependency; see BENCHMARKS.md.
package bench
