package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// App is a started example: its settings, its service, the socket it
// listens on, and Close to release what Start took.
type App struct {
	Settings Settings
	Service  *Service
	Listener net.Listener
	close    func()
}

// Start does what every example does before serving: read the settings, open
// the store, build the service, listen on ADDR and print the banner. An error
// names the variable at fault.
func Start(getenv func(string) string, out io.Writer) (*App, error) {
	s, err := LoadSettings(getenv)
	if err != nil {
		return nil, err
	}
	store, closeStore, err := NewStore(s, Logger())
	if err != nil {
		return nil, err
	}
	svc, err := NewService(s, store, nil)
	if err != nil {
		closeStore()
		return nil, err
	}
	ln, err := net.Listen("tcp", s.Addr)
	if err != nil {
		closeStore()
		return nil, fmt.Errorf("ADDR %q: %w", s.Addr, err)
	}
	Banner(out, "http://"+ln.Addr().String(), s)
	return &App{Settings: s, Service: svc, Listener: ln, close: closeStore}, nil
}

// Close releases the store.
func (a *App) Close() { a.close() }

// ServeHTTP serves h on ln until ctx ends, then shuts down gracefully. Request
// headers up to 64 KiB are read, so that a token in a 16 KiB header gets the
// contract's JSON answer rather than a bare 431.
func ServeHTTP(ctx context.Context, ln net.Listener, h http.Handler) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, MaxHeaderBytes: 64 << 10}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
