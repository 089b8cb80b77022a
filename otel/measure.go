package jwtgateotel

import (
	"maps"
	"slices"
	"sync"
	"sync/atomic"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// measure is one set of attributes, ready to record with: the options
// hold the set already (metric.WithAttributeSet), so that a measurement
// neither sorts attributes nor allocates a slice of options.
type measure struct {
	set  attribute.Set
	kv   []attribute.KeyValue // set's, for a span
	add  []metric.AddOption
	rec  []metric.RecordOption
	span string             // the span's name, for a store call or an issuing operation
	url  attribute.KeyValue // url.full, for a key fetch's span

	count atomic.Int64 // what the set's tally counted (see tally)
}

// tally is a counter of every request (jwtgate.auth.requests,
// jwtgate.cache.lookups, jwtgate.authz.requests) kept in the process: one
// atomic count per attribute set (measure.count), observed as an
// asynchronous counter when the metrics are collected. Adding is an atomic
// add, where a synchronous counter's Add goes through the SDK's attribute
// handling and aggregation, about 0.2 µs each (BenchmarkRequest). The
// values read are the same; what is lost is an exemplar on these counters
// (the duration histograms keep theirs).
type tally struct {
	inst  metric.Int64ObservableCounter // nil when it could not be created
	fixed []*measure                    // the sets built at once
	more  *cache[string]                // and those built on first use, if any
}

// observe reports every set that counted anything: as a synchronous
// counter does, a set appears once it was first added to.
func (t *tally) observe(obs metric.Observer) {
	if t.inst == nil {
		return
	}
	report := func(m *measure) {
		if n := m.count.Load(); n > 0 {
			obs.ObserveInt64(t.inst, n, metric.WithAttributeSet(m.set))
		}
	}
	for _, m := range t.fixed {
		report(m)
	}
	if t.more != nil {
		t.more.each(report)
	}
}

// mapValues returns m's values, sorted by key: a fixed order to observe in.
func mapValues(m map[string]*measure) []*measure {
	keys := slices.Sorted(maps.Keys(m))
	v := make([]*measure, len(keys))
	for i, k := range keys {
		v[i] = m[k]
	}
	return v
}

// measure builds the set of kv and the Observer's extra attributes; kv win
// over an extra attribute of the same key.
func (o *Observer) measure(kv ...attribute.KeyValue) *measure {
	all := make([]attribute.KeyValue, 0, len(o.extra)+len(kv))
	all = append(append(all, o.extra...), kv...)
	set := attribute.NewSet(all...)
	opt := metric.WithAttributeSet(set)
	return &measure{set: set, kv: set.ToSlice(), add: []metric.AddOption{opt}, rec: []metric.RecordOption{opt}}
}

// maxCached bounds each cache of attribute sets: past it, new keys fall
// back to one set with error.type (or the reason) "_OTHER", so that no
// input, however varied, makes time series without bound.
const maxCached = 256

// cache holds the attribute sets built on first use.
type cache[K comparable] struct {
	mu    sync.RWMutex
	m     map[K]*measure
	build func(K) *measure
	other func(K) K
}

func newCache[K comparable](build func(K) *measure, other func(K) K) *cache[K] {
	return &cache[K]{m: make(map[K]*measure), build: build, other: other}
}

func (c *cache[K]) get(k K) *measure {
	c.mu.RLock()
	m, ok := c.m[k]
	c.mu.RUnlock()
	if ok {
		return m
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if m, ok := c.m[k]; ok {
		return m
	}
	if len(c.m) >= maxCached {
		k = c.other(k)
		if m, ok := c.m[k]; ok {
			return m
		}
	}
	m = c.build(k)
	c.m[k] = m
	return m
}

// each calls f with every set in the cache.
func (c *cache[K]) each(f func(*measure)) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	for _, m := range c.m {
		f(m)
	}
}

// otherError is a cache key with its error.type (or reason) replaced by
// "_OTHER", OpenTelemetry's value for an error of no known type.
func otherError(k [2]string) [2]string { return [2]string{k[0], "_OTHER"} }

func otherReason(string) string { return "_OTHER" }
