// Package migrate is the module of the migration guides' "after" programs
// (docs/migrating.md, and one guide per library in docs/migrating): each
// directory holds one package main, the service of a guide once moved to
// jwtgate, with a test that runs it. This package holds the test that keeps
// each guide's copy of those programs equal to the files the tests compile,
// byte for byte.
package migrate
