// Package jwtgateotel reports what jwtgate does as OpenTelemetry metrics and
// traces: an [Observer] for jwtgate.Config.Observer,
// issuing.Config.Observer and jwks.RemoteOptions.Observer.
//
// It is a module of its own (github.com/jwtgate/jwtgate/otel), so that an
// application that does not use OpenTelemetry never has it in its module
// graph. It uses the OpenTelemetry API only: the application chooses the SDK
// and the exporters, and gives their providers with [WithMeterProvider] and
// [WithTracerProvider] (default: the global ones).
//
//	obs, err := jwtgateotel.New()
//	if err != nil {
//		return err
//	}
//	auth, err := jwtgate.New(jwtgate.Config{Keys: keys, Issuer: []string{iss}, Audience: aud, Observer: obs})
//	issuer, err := issuing.New(issuing.Config{ /* … */ Observer: obs})
//	remote, err := jwks.NewRemote(ctx, jwks.RemoteOptions{URL: u, Observer: obs})
//
// # Metrics
//
// Names and attributes follow OpenTelemetry's semantic conventions: dotted
// lowercase names under jwtgate., durations in seconds (unit s) with
// [DurationBuckets] from 1 µs to 10 s, counts in UCUM annotations
// ({request}), error.type only on failures. Every attribute value is
// bounded: never a token, sub, jti, kid, iss, or a URL path.
//
//	instrument                      kind             unit        attributes
//	jwtgate.auth.requests           counter (async)  {request}   jwtgate.auth.outcome, jwtgate.auth.reason (refused only)
//	jwtgate.auth.duration           Float64Histogram s           jwtgate.auth.outcome, jwtgate.cache.hit
//	jwtgate.cache.lookups           counter (async)  {lookup}    jwtgate.cache.result
//	jwtgate.cache.evictions         Int64Counter     {eviction}  -
//	jwtgate.store.duration          Float64Histogram s           jwtgate.store.operation, error.type (failures only)
//	jwtgate.jwks.fetch.duration     Float64Histogram s           server.address, server.port, error.type (failures only)
//	jwtgate.jwks.key.count          Int64Gauge       {key}       server.address, server.port
//	jwtgate.issuing.duration        Float64Histogram s           jwtgate.issuing.operation, error.type (failures only)
//	jwtgate.issuing.refresh.reuses  Int64Counter     {reuse}     -
//	jwtgate.authz.requests          counter (async)  {request}   jwtgate.authz.outcome, jwtgate.auth.reason (refused only)
//
// The three counters of every request, "counter (async)", are
// Int64ObservableCounters: the Observer counts in the process, one atomic
// add per request, and reports the totals when the metrics are collected.
// They read as the Int64Counters of the others do (cumulative, monotonic,
// a series once its attributes first counted; deltas for a reader that asks
// for them) and carry no exemplar; a synchronous counter's Add goes through
// the SDK's attribute handling on every call. The callback that reports
// them holds the Observer weakly: an Observer its application drops is
// collected, and its callback unregistered.
//
// Every instrument also carries the attributes given to [WithAttributes].
// The attributes' values:
//
//   - jwtgate.auth.outcome: accepted, refused, or anonymous (no token, let
//     through by CredentialsOptional).
//   - jwtgate.auth.reason: jwtgate.Reason of the refusal (expired,
//     bad_signature, missing_token, revoked, store_unavailable, …).
//   - jwtgate.cache.hit: whether the verified-token cache answered.
//   - jwtgate.cache.result: hit or miss, for every lookup the core reports
//     (Outcome.CacheLookup): none without a cache, none for a request
//     refused before a token was read.
//   - jwtgate.authz.outcome: granted or refused, for each scope check of a
//     route's scope guard (RequireScopes); refused ones carry
//     jwtgate.auth.reason (insufficient_scope, missing_token,
//     misconfigured).
//   - jwtgate.store.operation: is_revoked, start_family, rotate_family,
//     revoke_token, revoke_family, revoke_subject, remember_proof (the DPoP
//     replay store).
//   - jwtgate.issuing.operation: login, refresh, logout, revoke_subject.
//   - error.type, of a store call or a key fetch: timeout, canceled, or
//     the type of the error as semconv.ErrorType names it (its
//     ErrorType() string method, else package.Type). ErrRefreshReused and
//     ErrFamilyUnknown are the store's answers, not failures: none. Of an
//     issuing operation: its reason (invalid_grant, refresh_reused,
//     store_unavailable, …).
//   - server.address, server.port: the JWK Set URL's host and port. Not the
//     URL: a key set's URL is configuration, so bounded, but may hold a
//     tenant in its path, and the host tells the issuers apart in most
//     set-ups, as OpenTelemetry's HTTP client metrics do; the spans carry
//     the URL. Two sets on one host share their series.
//
// Counts come from the histograms: errors of a store operation are
// jwtgate.store.duration's count with an error.type, failed fetches
// jwtgate.jwks.fetch.duration's, logins or refreshes by outcome
// jwtgate.issuing.duration's. Refresh-token reuse, a sign of a stolen
// token, has its own counter to alert on. A reason or error type the
// package does not know (a newer core's) gets its series; past 256 of them
// per instrument, they share one, "_OTHER".
//
// # Traces
//
// The core tells the Observer after the fact, with the start and the
// duration: each span is recorded then, with those timestamps, as a child
// of the span in the context (the request's, from the HTTP server
// instrumentation; a background key refresh starts a trace of its own).
// All are of kind internal.
//
//	span                    when                          attributes
//	jwtgate.authenticate    each Authenticate or Verify   jwtgate.auth.outcome, jwtgate.auth.reason, jwtgate.cache.hit,
//	                                                      jwtgate.token.alg, jwtgate.token.source
//	jwtgate.store.<op>      each store call               jwtgate.store.operation, error.type
//	jwtgate.jwks.fetch      each key set fetch            url.full, server.address, server.port, jwtgate.jwks.keys,
//	                                                      jwtgate.jwks.keys.refused, jwtgate.jwks.changed, error.type
//	jwtgate.issuing.<op>    each login, refresh, logout,  jwtgate.issuing.operation, error.type
//	                        revoke_subject
//
// The measurements are made in the context of jwtgate's span, so a
// histogram's exemplar points at it.
//
// A refusal or failure sets the span's status to Error with the reason (or
// error.type) as its description: never the error's text, which may quote
// the token's claims, and no exception event. url.full has its credentials
// and query values replaced by REDACTED. A store call made during an
// authentication or an issuing operation is recorded as its sibling, not
// its child: the core tells of it first, before the operation's span
// exists.
//
// A no-op TracerProvider given to [WithTracerProvider] turns the spans off
// for metrics alone. Give one where no traces are exported: the global
// TracerProvider, the default, has no SDK behind it until the application
// sets one, and its spans, which record nothing, are still started and put
// in a context (five allocations a request).
//
// # Cost
//
// With no Observer the core reads no clock and builds nothing. With this
// one, BenchmarkRequest (a GET through httpjwt with an HS256 token, the
// cheapest verification) measures about 0.5 µs and one allocation per
// request for the metrics (SDK MeterProvider), about 0.4 µs and five
// allocations more for the spans of a global TracerProvider with no SDK,
// and about 2.6–3.0 µs and nine allocations more for a sampled span (SDK
// TracerProvider, batch processor), with the verified-token cache on or
// off; README.md has the table. From the repository's root:
//
//	go test -run='^$' -bench=Request -benchmem -count=6 ./otel
package jwtgateotel
