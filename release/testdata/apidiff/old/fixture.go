// Package fixture is the API gate's fixture, as released: new/ breaks it.
package fixture

// Options are a client's options.
type Options struct {
	Timeout int
	Retries int
}

// Client is a client.
type Client struct{ opts Options }

// New returns a client.
func New(opts Options) *Client { return &Client{opts: opts} }

// Close closes c.
func (c *Client) Close() error { return nil }

// Parse reads s.
func Parse(s string) (int, error) { return len(s), nil }

// Version is the fixture's version.
const Version = "1"
