// Package fixture is the API gate's fixture, changed: Parse takes another
// argument, Options.Retries and Client.Close are gone (three incompatible
// changes), and Dial is new (a compatible one).
package fixture

// Options are a client's options.
type Options struct {
	Timeout int
}

// Client is a client.
type Client struct{ opts Options }

// New returns a client.
func New(opts Options) *Client { return &Client{opts: opts} }

// Dial returns a client, connected.
func Dial(opts Options) (*Client, error) { return New(opts), nil }

// Parse reads s in base.
func Parse(s string, base int) (int, error) { return len(s) * base, nil }

// Version is the fixture's version.
const Version = "1"
