package jwks

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/MicahParks/jwkset"
	jwtgate "github.com/jwtgate/jwtgate/core"
)

func b64(s string) ([]byte, error) { return base64.RawURLEncoding.Strict().DecodeString(s) }

// Marshal returns the public JWK Set of keys, each with its kid, alg and
// "use":"sig". It refuses HMAC keys: a secret is never published.
func Marshal(keys ...*jwtgate.Key) ([]byte, error) {
	set := jwkset.JWKSMarshal{Keys: []jwkset.JWKMarshal{}}
	for _, k := range keys {
		if err := k.Validate(); err != nil {
			return nil, err
		}
		if k.Algorithm[:2] == "HS" {
			return nil, fmt.Errorf("jwks: key %q is an HMAC secret, which is never published", k.ID)
		}
		alg := jwkset.ALG(k.Algorithm)
		if k.Algorithm == "Ed25519" {
			alg = jwkset.AlgEdDSA // jwkset knows only the polymorphic name
		}
		jwk, err := jwkset.NewJWKFromKey(k.VerifyKey, jwkset.JWKOptions{Metadata: jwkset.JWKMetadataOptions{
			KID: k.ID, ALG: alg, USE: jwkset.UseSig,
		}})
		if err != nil {
			return nil, fmt.Errorf("jwks: key %q: %w", k.ID, err)
		}
		m := jwk.Marshal()
		m.ALG = jwkset.ALG(k.Algorithm) // RFC 9864's Ed25519 as bound
		set.Keys = append(set.Keys, m)
	}
	return json.Marshal(set)
}

// Handler serves the public JWK Set of keys (for example at
// /.well-known/jwks.json), with Cache-Control max-age so that verifiers
// refresh within maxAge. To rotate without a failed request: publish the
// current and the next key, wait at least maxAge, sign with the next key,
// and drop the old one once the tokens it signed have expired. It panics if a
// key cannot be published (an HMAC secret, an invalid key).
func Handler(maxAge time.Duration, keys ...*jwtgate.Key) http.Handler {
	body, err := Marshal(keys...)
	if err != nil {
		panic(err.Error())
	}
	cache := "public, max-age=" + strconv.Itoa(int(maxAge/time.Second))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Content-Type", "application/jwk-set+json")
		w.Header().Set("Cache-Control", cache)
		_, _ = w.Write(body)
	})
}
