package e2e

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// rawConn is a client connection written by hand, to hold a request half
// sent.
type rawConn struct {
	t *testing.T
	net.Conn
	r *bufio.Reader
}

func dial(t *testing.T, base string) *rawConn {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	require.NoError(t, c.SetDeadline(time.Now().Add(60*time.Second)))
	return &rawConn{t, c, bufio.NewReader(c)}
}

func (c *rawConn) send(s string) {
	c.t.Helper()
	_, err := io.WriteString(c, s)
	require.NoError(c.t, err)
}

func (c *rawConn) answer() (*http.Response, map[string]any) {
	c.t.Helper()
	resp, err := http.ReadResponse(c.r, nil)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	var body map[string]any
	raw, err := io.ReadAll(resp.Body)
	require.NoError(c.t, err)
	_ = json.Unmarshal(raw, &body)
	return resp, body
}

// TestSIGTERMFinishesRequestsInFlight sends SIGTERM to each app while three
// logins are in flight, each with its headers and half its body sent: the
// app stops accepting connections at once and closes an idle keep-alive
// connection, yet a second later it still runs; then the bodies arrive, every
// login is answered 200 with its token pair, and the app exits 0.
func TestSIGTERMFinishesRequestsInFlight(t *testing.T) {
	t.Parallel()
	for _, a := range apps {
		t.Run(a.name, func(t *testing.T) {
			t.Parallel()
			p := start(t, a.name)
			idle := dial(t, p.base)
			idle.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
			resp, _ := idle.answer()
			require.Equal(t, 200, resp.StatusCode)

			const inFlight = 3
			conns := make([]*rawConn, inFlight)
			head := "POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " + strconv.Itoa(len(aliceLogin)) + "\r\n\r\n"
			for i := range conns {
				conns[i] = dial(t, p.base)
				conns[i].send(head + aliceLogin[:10])
			}
			// Let the server read the headers: the requests are then in flight.
			time.Sleep(300 * time.Millisecond)
			require.NoError(t, p.cmd.Process.Signal(syscall.SIGTERM))

			require.Eventually(t, func() bool {
				c, err := net.DialTimeout("tcp", strings.TrimPrefix(p.base, "http://"), time.Second)
				if err == nil {
					_ = c.Close()
				}
				return err != nil
			}, 3*time.Second, 20*time.Millisecond, "the app stops accepting connections")
			require.NoError(t, idle.SetReadDeadline(time.Now().Add(3*time.Second)))
			_, err := idle.r.ReadByte()
			assert.ErrorIs(t, err, io.EOF, "the idle keep-alive connection is closed")

			time.Sleep(time.Second)
			require.True(t, p.running(), "the app waits for the requests in flight; stderr: %s", p.stderr)
			for i, c := range conns {
				c.send(aliceLogin[10:])
				resp, body := c.answer()
				assert.Equal(t, 200, resp.StatusCode, "request %d", i)
				assert.NotEmpty(t, body["access_token"], "request %d", i)
			}
			assert.NoError(t, p.wait(5*time.Second), "exit status 0; stderr: %s", p.stderr)
			for i, c := range conns {
				require.NoError(t, c.SetReadDeadline(time.Now().Add(time.Second)))
				_, err := c.r.ReadByte()
				assert.ErrorIs(t, err, io.EOF, "request %d: its connection is closed", i)
			}
		})
	}
}

// TestSlowHeadersAreCut: a client that trickles header lines, never ending
// them, has its connection closed within the app's header timeout, and the
// app serves others meanwhile.
func TestSlowHeadersAreCut(t *testing.T) {
	t.Parallel()
	for _, a := range apps {
		t.Run(a.name, func(t *testing.T) {
			t.Parallel()
			p := start(t, a.name)
			c := dial(t, p.base)
			began := time.Now()
			c.send("GET /healthz HTTP/1.1\r\nHost: x\r\n")
			stop := make(chan struct{})
			defer close(stop)
			go func() {
				for {
					select {
					case <-stop:
						return
					case <-time.After(500 * time.Millisecond):
					}
					if _, err := io.WriteString(c, "X-Slow: 1\r\n"); err != nil {
						return
					}
				}
			}()
			status, _ := p.client().do("GET", "/healthz", "", "")
			assert.Equal(t, 200, status, "others are served meanwhile")

			require.NoError(t, c.SetReadDeadline(began.Add(a.headerTimeout+5*time.Second)))
			_, err := io.ReadAll(c.r) // until the server closes; it may answer 408 first
			var timeout net.Error
			require.False(t, errors.As(err, &timeout) && timeout.Timeout(), "the connection is still open %v later", a.headerTimeout+5*time.Second)
			took := time.Since(began)
			assert.GreaterOrEqual(t, took, a.headerTimeout-100*time.Millisecond, "not cut before the header timeout")
			assert.Less(t, took, a.headerTimeout+2*time.Second, "cut within the header timeout")
		})
	}
}

// TestLoginNeedsJSON: a login body that is not application/json, as a form
// on another site would post it (login CSRF), is refused with 415 and
// nothing is issued.
func TestLoginNeedsJSON(t *testing.T) {
	t.Parallel()
	for _, a := range apps {
		t.Run(a.name, func(t *testing.T) {
			t.Parallel()
			p := start(t, a.name)
			for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"} {
				resp, err := httpClient.Post(p.base+"/login?mode=cookie", ct, strings.NewReader(aliceLogin))
				require.NoError(t, err)
				raw, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				assert.Equal(t, http.StatusUnsupportedMediaType, resp.StatusCode, ct)
				assert.JSONEq(t, `{"error":"invalid_request","error_description":"The request body must be application/json"}`, string(raw), ct)
				assert.Empty(t, resp.Header.Values("Set-Cookie"), "%s: no cookie set", ct)
			}
		})
	}
}
