// Package demo is what the example apps share: their settings from the
// environment, the demo users, and the contract's request and answer shapes
// (examples/README.md), so that each example is only its framework's wiring.
// Copy it along with the example you start from.
package demo

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/issuing"
	"github.com/jwtgate/jwtgate/core/redisstore"
	"github.com/jwtgate/jwtgate/extractors"
	"github.com/redis/go-redis/v9"
)

// Settings is an example app's configuration.
type Settings struct {
	Addr, Issuer, Audience string
	Secret                 []byte
	// RandomSecret says the secret was made up at start: tokens die with the
	// process.
	RandomSecret bool
	// Redis is REDIS_URL parsed; nil means the in-memory store.
	Redis *redis.Options
	// AllowedOrigins is ALLOWED_ORIGINS: the origins trusted to send unsafe
	// requests in cookie mode; empty means same-origin only.
	AllowedOrigins []string
	// SigningKey is JWT_SIGNING_KEY's key (RSA, ECDSA or Ed25519; JWT_ALG
	// picks among its algorithms): tokens are signed with it instead of the
	// HS256 secret, and its public half can be published as a JWK Set.
	SigningKey *jwtgate.Key
}

// Realm is the realm of every challenge the example apps send.
const Realm = "jwtgate-example"

// LoadSettings reads ADDR, JWT_SECRET, JWT_ISSUER, JWT_AUDIENCE, REDIS_URL,
// ALLOWED_ORIGINS, JWT_SIGNING_KEY and JWT_ALG. An error names the variable
// that is wrong.
func LoadSettings(getenv func(string) string) (Settings, error) {
	s := Settings{Addr: "127.0.0.1:8080", Issuer: "jwtgate-example", Audience: "jwtgate-example-api"}
	if v := getenv("ADDR"); v != "" {
		s.Addr = v
	}
	if v := getenv("JWT_ISSUER"); v != "" {
		s.Issuer = v
	}
	if v := getenv("JWT_AUDIENCE"); v != "" {
		s.Audience = v
	}
	if v := getenv("ALLOWED_ORIGINS"); v != "" {
		for _, o := range strings.Split(v, ",") {
			if o = strings.TrimSpace(o); o != "" {
				if u, err := url.Parse(o); err != nil || u.Scheme == "" || u.Host == "" || u.Path != "" {
					return s, fmt.Errorf("ALLOWED_ORIGINS: %q is not scheme://host[:port]", o)
				}
				s.AllowedOrigins = append(s.AllowedOrigins, o)
			}
		}
	}
	if v := getenv("REDIS_URL"); v != "" {
		opts, err := redis.ParseURL(v)
		if err != nil {
			return s, fmt.Errorf("REDIS_URL is not a redis:// or unix:// URL: %w", err)
		}
		opts.ContextTimeoutEnabled = true // redisstore.New requires it
		s.Redis = opts
	}
	if path := getenv("JWT_SIGNING_KEY"); path != "" {
		pemBytes, err := os.ReadFile(path)
		if err != nil {
			return s, fmt.Errorf("JWT_SIGNING_KEY: %w", err)
		}
		key, err := jwtgate.ParsePEM(pemBytes, getenv("JWT_ALG"), "")
		if err != nil {
			return s, fmt.Errorf("JWT_SIGNING_KEY: %w", err)
		}
		if key.SignKey == nil {
			return s, errors.New("JWT_SIGNING_KEY holds a public key; it must be a private key")
		}
		if key.ID, err = KeyID(key); err != nil {
			return s, fmt.Errorf("JWT_SIGNING_KEY: %w", err)
		}
		s.SigningKey = key
	} else if getenv("JWT_ALG") != "" {
		return s, errors.New("JWT_ALG is set without JWT_SIGNING_KEY")
	}
	if v := getenv("JWT_SECRET"); v != "" {
		if len(v) < 32 {
			return s, fmt.Errorf("JWT_SECRET is %d bytes; it must be at least 32 (RFC 7518 §3.2)", len(v))
		}
		s.Secret = []byte(v)
	} else {
		s.Secret = make([]byte, 32)
		_, _ = rand.Read(s.Secret)
		s.RandomSecret = true
	}
	return s, nil
}

// NewStore returns the store the settings ask for: Redis when REDIS_URL is
// set, so that several instances share revocations and refresh families, the
// in-memory store otherwise. Redis being unreachable is not an error here: the
// app starts, says so, and answers 503 where it needs the store until Redis is
// back. close releases the Redis client.
func NewStore(s Settings, log *slog.Logger) (store issuing.Store, close func(), err error) {
	if s.Redis == nil {
		return issuing.NewMemoryStore(nil), func() {}, nil
	}
	client := redis.NewClient(s.Redis)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := client.Ping(ctx).Err(); err != nil {
		log.Warn("redis is unreachable; routes that need the store answer 503 until it is back", "error", err)
	}
	store, err = redisstore.New(client, redisstore.Options{})
	if err != nil {
		_ = client.Close()
		return nil, nil, err
	}
	return store, func() { _ = client.Close() }, nil
}

// Logger is the apps' log: warnings and errors on stderr, never tokens.
func Logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// Service is the core of an example app: the verifier, the issuer and their
// store.
type Service struct {
	Auth   *jwtgate.Authenticator
	Issuer *issuing.Issuer
	Store  issuing.Store
	// Cookies is cookie mode (POST /login?mode=cookie).
	Cookies *jwtgate.Cookies

	signing *jwtgate.Key
}

// SigningKey returns the asymmetric key tokens are signed with, or nil when
// they are signed with the HS256 secret (which is never published).
func (s *Service) SigningKey() *jwtgate.Key { return s.signing }

// NewService builds the verifier and the issuer the contract asks for: HS256,
// iss, aud, exp and jti required, leeway 30 s, the token from the
// Authorization header or the access_token cookie (never both), access tokens
// of 15 minutes and refresh tokens of 7 days. now may be nil.
func NewService(s Settings, store issuing.Store, now func() time.Time) (*Service, error) {
	if now == nil {
		now = time.Now
	}
	key := jwtgate.HMAC(s.Secret, "HS256")
	if s.SigningKey != nil {
		key = s.SigningKey
	}
	cookies := &jwtgate.Cookies{CSRFKey: csrfKey(s.Secret), TrustedOrigins: s.AllowedOrigins}
	auth, err := jwtgate.New(jwtgate.Config{
		Keys:           key,
		Issuer:         []string{s.Issuer},
		Audience:       []string{s.Audience},
		RequiredClaims: []string{"jti"},
		Leeway:         30 * time.Second,
		Extractor:      extractors.Exclusive(extractors.AuthorizationBearer(), extractors.Cookie("access_token")),
		Revoker:        store,
		Cookies:        cookies,
		Realm:          Realm,
		Now:            now,
		Logger:         Logger(), // a store failure (503) is logged; client errors are Debug
	})
	if err != nil {
		return nil, err
	}
	issuer, err := issuing.New(issuing.Config{
		Key:      key,
		Issuer:   s.Issuer,
		Audience: []string{s.Audience},
		Store:    store,
		Leeway:   30 * time.Second,
		Now:      now,
		Cookies:  cookies,
	})
	if err != nil {
		return nil, err
	}
	return &Service{Auth: auth, Issuer: issuer, Store: store, Cookies: cookies, signing: s.SigningKey}, nil
}

// csrfKey derives the CSRF key from the secret, so that every instance
// started with one JWT_SECRET binds CSRF tokens alike.
func csrfKey(secret []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("jwtgate-example csrf key"))
	return m.Sum(nil)
}

// CookieMode reports whether a login asks for cookie mode (?mode=cookie).
func CookieMode(query string) bool {
	v, err := url.ParseQuery(query)
	return err == nil && v.Get("mode") == "cookie"
}

// CookieAnswer is what a login or refresh in cookie mode sets and answers:
// the three cookies, and {"csrf_token","expires_in"} for the page.
func (s *Service) CookieAnswer(p *issuing.Pair) ([]*http.Cookie, map[string]any) {
	return issuing.SetCookies(s.Cookies, p), map[string]any{
		"csrf_token": s.Cookies.CSRFToken(p.Family),
		"expires_in": p.ExpiresIn,
	}
}

// HasSessionCookie reports whether a request carries cookie mode's cookies,
// so that logout clears them.
func HasSessionCookie(cookieHeader func(name string) bool) bool {
	return cookieHeader("access_token") || cookieHeader("csrf_token")
}

// BothRefreshTokens is the answer to a refresh token in the body and in the
// cookie at once.
var BothRefreshTokens = jwtgate.Response{Status: http.StatusBadRequest, Code: "invalid_request", Description: "The refresh token was sent in the body and in a cookie"}

// KeyID names a key by its public half: the first 16 hex digits of the
// SHA-256 of its PKIX encoding, stable across restarts.
func KeyID(k *jwtgate.Key) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(k.VerifyKey)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:8]), nil
}

// users are the demo accounts: name → password and scope.
var users = map[string]struct{ password, scope string }{
	"alice": {"alice-password", "read"},
	"admin": {"admin-password", "read admin"},
}

// dummyPassword keeps an unknown user's check as slow as a known one's.
const dummyPassword = "no-such-user-password"

// CheckPassword returns the grant for a demo user whose password matches.
func CheckPassword(username, password string) (issuing.Grant, bool) {
	u, known := users[username]
	want := u.password
	if !known {
		want = dummyPassword
	}
	ok := subtle.ConstantTimeCompare([]byte(password), []byte(want)) == 1 && known
	if !ok {
		return issuing.Grant{}, false
	}
	return issuing.Grant{Subject: username, Scope: u.scope}, true
}

// MaxBody is the largest request body the example apps read.
const MaxBody = 64 << 10

// Login is the body of POST /login.
type Login struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// ErrBadRequest is a body that is not what the route expects.
var ErrBadRequest = errors.New("demo: malformed request body")

// DecodeLogin reads a login body: a JSON object with both fields.
func DecodeLogin(body io.Reader) (Login, error) {
	var l Login
	if err := decode(body, &l); err != nil || l.Username == "" || l.Password == "" {
		return l, ErrBadRequest
	}
	return l, nil
}

// DecodeRefresh reads a refresh body, {"refresh_token": "…"}. An empty body
// yields "" without error (the cookie mode sends none).
func DecodeRefresh(body io.Reader) (string, error) {
	b, err := io.ReadAll(io.LimitReader(body, MaxBody+1))
	if err != nil || len(b) > MaxBody {
		return "", ErrBadRequest
	}
	if strings.TrimSpace(string(b)) == "" {
		return "", nil
	}
	var r struct {
		RefreshToken string `json:"refresh_token"`
	}
	if err := decode(strings.NewReader(string(b)), &r); err != nil {
		return "", ErrBadRequest
	}
	return r.RefreshToken, nil
}

func decode(body io.Reader, v any) error {
	dec := json.NewDecoder(io.LimitReader(body, MaxBody))
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return ErrBadRequest
	}
	return nil
}

// Answers of the app's own routes, in the contract's error shape.
var (
	BadRequest = jwtgate.Response{Status: http.StatusBadRequest, Code: "invalid_request", Description: "The request body is malformed or incomplete"}
	NoRefresh  = jwtgate.Response{Status: http.StatusBadRequest, Code: "invalid_request", Description: "No refresh token was sent"}
)

// BadCredentials is the answer to a wrong username or password; a 401
// carries a challenge (RFC 9110 §15.5.2).
func (s *Service) BadCredentials() jwtgate.Response {
	return jwtgate.Response{Status: http.StatusUnauthorized, WWWAuthenticate: s.Auth.Challenge(), Code: "invalid_credentials", Description: "Wrong username or password"}
}

// Me is the body of GET /api/me.
func Me(t *jwtgate.Token) map[string]any {
	return map[string]any{"sub": t.Subject, "scope": strings.Join(t.Scopes(), " ")}
}

// Banner is what an app prints at start: its address and curl lines to try.
func Banner(w io.Writer, base string, s Settings) {
	fmt.Fprintf(w, "jwtgate example listening on %s\n", base)
	if s.RandomSecret {
		fmt.Fprintln(w, "warning: JWT_SECRET is not set; using a random secret, so tokens die with the process")
	}
	fmt.Fprintf(w, `
try:
  curl -s -X POST %[1]s/login -d '{"username":"alice","password":"alice-password"}'
  curl -s %[1]s/api/me -H "Authorization: Bearer $ACCESS_TOKEN"
  curl -s -X POST %[1]s/refresh -d "{\"refresh_token\":\"$REFRESH_TOKEN\"}"
  curl -s -X POST %[1]s/logout -H "Authorization: Bearer $ACCESS_TOKEN" -i
`, base)
}
