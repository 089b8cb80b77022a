// Package jwtgateotel reports what jwtgate does as OpenTelemetry metrics and
// traces.
package jwtgateotel
