// Package layout holds tests of the repository's shape rather than of its
// code: that each module's dependency graph holds only what its import
// needs.
package layout
