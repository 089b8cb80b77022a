package main

import (
	"bytes"
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/core/issuing"
	"github.com/jwtgate/jwtgate/examples/internal/contract"
	"github.com/jwtgate/jwtgate/examples/internal/demo"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const testSecret = "0123456789abcdef0123456789abcdef"

// TestContract drives the whole flow (login, calls, refresh, reuse, logout)
// against the app in-process.
func TestContract(t *testing.T) {
	t.Parallel()
	env := map[string]string{"JWT_SECRET": testSecret}
	s, err := demo.LoadSettings(func(k string) string { return env[k] })
	require.NoError(t, err)
	svc, err := demo.NewService(s, issuing.NewMemoryStore(nil), nil)
	require.NoError(t, err)
	srv := httptest.NewServer(newHandler(svc))
	defer srv.Close()
	contract.Walk(t, contract.App{Base: srv.URL, Secret: testSecret, Issuer: s.Issuer, Audience: s.Audience})
}

func TestBadConfigurationStops(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{name: "short secret", env: map[string]string{"JWT_SECRET": "short"}, want: "JWT_SECRET is 5 bytes"},
		{name: "bad address", env: map[string]string{"ADDR": "256.0.0.1:x"}, want: "ADDR"},
		{name: "bad REDIS_URL", env: map[string]string{"REDIS_URL": "http://127.0.0.1:6379"}, want: "REDIS_URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			err := run(context.Background(), func(k string) string { return tt.env[k] }, &out)
			assert.ErrorContains(t, err, tt.want)
		})
	}
}

func TestRunServesAndStops(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	var out bytes.Buffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, func(k string) string { return map[string]string{"ADDR": "127.0.0.1:0"}[k] }, &out)
	}()
	cancel()
	select {
	case err := <-done:
		assert.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("run did not stop when its context ended")
	}
}
