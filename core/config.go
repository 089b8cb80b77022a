package jwtgate

import (
	"context"
	"errors"
	"log/slog"
	"reflect"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtgate/jwtgate/core/dpop"
	"github.com/jwtgate/jwtgate/extractors"
)

// defaultMaxTokenSize is the largest token accepted when Config.MaxTokenSize
// is zero: 8 KiB, checked before any decoding.
const defaultMaxTokenSize = 8 << 10

// MaxLeeway is the largest clock-skew leeway [New] accepts. RFC 7519 §4.1.4:
// "usually no more than a few minutes".
const MaxLeeway = 5 * time.Minute

// DefaultLeeway is the clock skew allowed on exp, nbf and iat when
// Config.Leeway is zero: 60 seconds, Spring Security's default for the same
// check (JwtTimestampValidator; Microsoft's IdentityModel allows 5 minutes).
// An identity provider whose clock runs a second or two ahead, or a token
// checked just as it expires, is then not refused at random; a minute is
// small beside an access token's usual 5 to 60 minutes.
const DefaultLeeway = 60 * time.Second

// NoLeeway, as Config.Leeway, demands exact times: no clock skew at all.
const NoLeeway time.Duration = -1

// Config configures an [Authenticator]. The zero value is not usable: Keys,
// Issuer and Audience are required (or explicitly skipped). Every other field's
// zero value is the safe default, which its comment states.
type Config struct {
	// Keys verifies signatures; required. A single key ([HMAC], or a *Key) or a
	// [KeySet]. The algorithms a token may use come from these keys only, never
	// from the token.
	Keys KeySource

	// Issuer lists the accepted iss values, compared exactly (RFC 7519 §7.3).
	// Required unless SkipIssuerCheck is set.
	Issuer []string
	// SkipIssuerCheck accepts tokens from any issuer (or none). Only for keys
	// that a single issuer holds.
	SkipIssuerCheck bool
	// Audience lists the identifiers of this service; a token's aud (a string
	// or an array) must contain at least one. Required unless SkipAudienceCheck
	// is set (RFC 8725 §3.9).
	Audience []string
	// SkipAudienceCheck accepts tokens whatever their aud. Pair it with
	// AuthorizedParties when the issuer does not put this service in aud
	// (Keycloak's default access token says "aud":"account" and names the
	// client in azp).
	SkipAudienceCheck bool
	// AuthorizedParties, when set, lists the clients whose tokens are
	// accepted: the token's azp (OpenID Connect Core §2), or client_id (RFC
	// 9068 §2.2) when it has no azp, must be one of them, and a token with
	// neither is refused. Default: any client.
	AuthorizedParties []string
	// Subject, when set, is the only sub accepted.
	Subject string

	// Leeway is the clock skew allowed on exp, nbf and iat. Default
	// DefaultLeeway (60 s); NoLeeway for none; at most MaxLeeway.
	Leeway time.Duration
	// ExpirationOptional accepts tokens without exp. By default exp is required:
	// a token that never expires cannot be contained once stolen.
	ExpirationOptional bool
	// SkipIssuedAtCheck accepts an iat in the future. By default a token whose
	// iat is later than now plus Leeway is refused.
	SkipIssuedAtCheck bool
	// RequiredClaims names claims that must be present and not null, such as
	// "sub" or "jti". When Revoker is set, "jti" is always required (a token
	// without one could not be revoked).
	RequiredClaims []string

	// Types lists the accepted values of the header's typ, compared
	// case-insensitively with any "application/" prefix removed (RFC 8725
	// §3.11, RFC 9068 §4); "" stands for an absent typ. Default: "", "JWT",
	// "at+jwt". Set it to []string{"at+jwt"} to accept only access tokens.
	Types []string
	// CriticalHeaders names the header parameters the application understands
	// and checks itself (in Validate) when a token lists them in crit. A token
	// whose crit names anything else is refused (RFC 7515 §4.1.11). Default:
	// none, so any crit is refused.
	CriticalHeaders []string

	// MaxTokenSize is the largest token accepted, in bytes, checked before any
	// decoding. Default 8 KiB.
	MaxTokenSize int

	// CacheSize bounds the verified-token cache: a token seen before and
	// verified is not decoded nor its signature checked again; exp and nbf are
	// checked against the clock, Config.Validate and the Revoker asked, on
	// every request. Keyed by the whole token string; a token is taken in the
	// second time it is verified (the first time only its hash is noted, so
	// tokens that never come back cost next to nothing); only tokens with exp
	// are kept, never past it; failures are never kept; a change of keys (a
	// KeySource implementing KeyGeneration) makes every entry stale. A full
	// cache makes room in constant time, whatever its size (CLOCK: an entry
	// unused since the last pass goes). The claims type's own Validate runs
	// when a token is verified. Default 10,000; negative turns it
	// off. The cache is off over a KeySource that can change keys without
	// implementing KeyGeneration.
	CacheSize int

	// Extractor finds the token in a request. Default
	// extractors.AuthorizationBearer(): the Authorization header only.
	Extractor extractors.Extractor
	// CredentialsOptional lets a request without any token through without
	// claims. A request with a bad token is still refused.
	CredentialsOptional bool
	// Cookies turns on cookie mode's CSRF checks (see [Cookies]) for tokens
	// the Extractor finds in a cookie. Without it, a token from a cookie is
	// accepted only on safe methods (GET, HEAD, OPTIONS): an unsafe request
	// authenticated by a cookie is refused with ErrCSRF, since nothing could
	// tell it from a forged one (RFC 6750 §5.3).
	Cookies *Cookies

	// NewClaims returns a new, empty claims value for each token: a pointer to
	// a struct implementing jwt.Claims, such as &MyClaims{}, or a
	// jwt.MapClaims{} (echo-jwt's and gin-jwt's habit), which is filled with
	// every claim, numbers as float64 as golang-jwt has them. If it
	// implements jwt.ClaimsValidator its Validate method runs too. Default:
	// &Claims{},
	// which jwtgate fills in itself; any other type is filled in by
	// encoding/json, after the signature is verified. Either way the rules on
	// exp, nbf, iat, iss, aud, sub and RequiredClaims are applied to the
	// token's own claims as jwtgate read them, not to what the type's getters
	// return.
	NewClaims func() jwt.Claims
	// Validate runs after the signature and every claim rule passed and before
	// the revocation check; an error refuses the token (401 invalid_token).
	Validate func(ctx context.Context, t *Token) error

	// DPoP accepts sender-constrained tokens (RFC 9449): a token bound to a
	// key, presented with a proof of that key on every request (see DPoP).
	// Default none: a token bound to a key is refused, since nothing could
	// check its proof.
	DPoP *dpop.Config

	// Revoker is asked, for every verified token, whether it was revoked.
	// Default none.
	Revoker Revoker
	// RevocationFailOpen lets a token through when Revoker fails. By default
	// the request is refused with 503.
	RevocationFailOpen bool

	// Realm is the realm of the WWW-Authenticate challenge. Default "jwtgate".
	Realm string

	// Now is the clock. Default time.Now.
	Now func() time.Time

	// Logger gets one record per refused request, with a stable reason
	// ("expired", "bad_signature", …, see Reason), what was read of the token
	// (alg, kid, typ, iss, sub, aud — never the token, a signature or a key),
	// what the configuration expected, the request's method and path where
	// the adapter knows them, and the cause on one line. Default
	// slog.Default(), so slog.SetDefault is one logger for everything
	// jwtgate does.
	Logger *slog.Logger
	// RefusalLevel is the level of the records of requests refused for what
	// the client sent (a bad, expired or missing token…): routine in
	// production. Default slog.LevelDebug; set slog.LevelInfo (or the
	// logger's level to Debug) to see, in the server's log, exactly why a
	// token was refused while the client still gets only RFC 6750's short
	// description. A revocation store that cannot answer is logged at Warn,
	// at most once a second.
	RefusalLevel slog.Leveler
	// Observer sees every authentication, revocation check and cache
	// eviction, for metrics and traces (see Observer). Default none, at no
	// cost.
	Observer Observer
	// OnError, when set, is called with every failure, for metrics.
	OnError func(ctx context.Context, err error)
	// OnSuccess, when set, is called with every accepted token, for metrics.
	OnSuccess func(ctx context.Context, t *Token)
}

// Revoker says whether a verified token has been revoked. It is consulted on
// every request, after the signature and claims passed, so a forged token never
// reaches it. An error makes the request fail with 503 (ErrUnavailable) unless
// Config.RevocationFailOpen is set.
type Revoker interface {
	IsRevoked(ctx context.Context, t *Token) (bool, error)
}

// validate returns every problem in c at once.
//
// Kept whole: a list of independent checks, one per field or pair of
// fields, each adding its own message; split, New's error would be built
// in several places.
func (c *Config) validate() error {
	var errs []error
	add := func(msg string) { errs = append(errs, errors.New("jwtgate: "+msg)) }
	if c.Keys == nil || isNil(c.Keys) {
		add("Keys is required: use jwtgate.HMAC(secret, \"HS256\"), a *jwtgate.Key or jwtgate.NewKeySet")
	} else {
		if v, ok := c.Keys.(interface{ Validate() error }); ok {
			if err := v.Validate(); err != nil {
				errs = append(errs, err)
			}
		}
		algs := c.Keys.Algorithms()
		if len(algs) == 0 {
			add("Keys allows no algorithm")
		}
		for _, alg := range algs {
			if strings.EqualFold(alg, "none") {
				add("the \"none\" algorithm can never be allowed")
			}
		}
	}
	if len(c.Issuer) == 0 && !c.SkipIssuerCheck {
		add("Issuer is empty: name the accepted issuers, or set SkipIssuerCheck")
	}
	for _, iss := range c.Issuer {
		if iss == "" {
			add("Issuer contains an empty string")
		}
	}
	if len(c.Audience) == 0 && !c.SkipAudienceCheck {
		add("Audience is empty: name this service's audience, or set SkipAudienceCheck")
	}
	for _, aud := range c.Audience {
		if aud == "" {
			add("Audience contains an empty string")
		}
	}
	for _, p := range c.AuthorizedParties {
		if p == "" {
			add("AuthorizedParties contains an empty string")
		}
	}
	if (c.Leeway < 0 && c.Leeway != NoLeeway) || c.Leeway > MaxLeeway {
		add("Leeway must be between 0 and " + MaxLeeway.String() + ", or NoLeeway")
	}
	if c.MaxTokenSize < 0 {
		add("MaxTokenSize is negative")
	}
	if c.Cookies != nil {
		if err := c.Cookies.Validate(); err != nil {
			errs = append(errs, err)
		}
	}
	if c.DPoP != nil {
		if _, err := dpopDefaults(c.DPoP); err != nil {
			errs = append(errs, err)
		}
	}
	if c.Realm != "" && !validChallengeText(c.Realm) {
		add("Realm may only hold printable ASCII without '\"' or '\\' (RFC 6750 §3)")
	}
	for _, name := range c.CriticalHeaders {
		if registeredHeader(name) {
			add("CriticalHeaders names " + quote(name) + ", a header parameter defined by RFC 7515, which crit must not list")
		}
	}
	if len(c.RequiredClaims) > 63 {
		add("RequiredClaims names more than 63 claims")
	}
	for _, name := range c.RequiredClaims {
		if name == "" {
			add("RequiredClaims contains an empty name")
		}
	}
	if c.NewClaims != nil {
		v := c.NewClaims()
		_, isMap := v.(jwt.MapClaims)
		if !isMap && (v == nil || reflect.ValueOf(v).Kind() != reflect.Pointer || reflect.ValueOf(v).IsNil()) {
			add("NewClaims must return a non-nil pointer, such as &MyClaims{}, or a jwt.MapClaims")
		}
	}
	return errors.Join(errs...)
}

func isNil(v any) bool {
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Func, reflect.Interface:
		return rv.IsNil()
	}
	return false
}

// registeredHeader reports whether name is a JWS header parameter of RFC 7515
// §4.1 or RFC 7519 §5.
func registeredHeader(name string) bool {
	switch name {
	case "alg", "jku", "jwk", "kid", "x5u", "x5c", "x5t", "x5t#S256", "typ", "cty", "crit":
		return true
	}
	return false
}

func normalizeType(t string) string {
	if len(t) > 12 && strings.EqualFold(t[:12], "application/") {
		t = t[12:]
	}
	return strings.ToLower(t)
}
