// Command gin-jwt is a Gin service moved from appleboy/gin-jwt to jwtgate:
// gin-jwt's LoginHandler, RefreshHandler and LogoutHandler become the
// issuing package's Endpoints, its MiddlewareFunc ginjwt.New, its Authorizer
// a scope guard, its IdentityHandler a small middleware of the service's
// own, so that c.Get(identityKey) and the claims keep working.
// docs/migrating/gin-jwt.md shows this file as it is, beside the program it
// replaces.
//
//	JWT_SECRET=$(openssl rand -base64 32) go run ./gin-jwt
package main

import (
	"context"
	"crypto/subtle"
	"log"
	"net/http"
	"os"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/golang-jwt/jwt/v5"

	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/issuing"
	ginjwt "github.com/jwtgate/jwtgate/gin"
)

// identityKey is gin-jwt's IdentityKey: where handlers find the *User.
const identityKey = "id"

// User is what gin-jwt's Authenticator returned and IdentityHandler rebuilt.
type User struct {
	UserName string
	Role     string
}

// userClaims are the claims of the tokens the service issues: the
// registered and scope claims, and what gin-jwt's PayloadFunc added.
type userClaims struct {
	jwtgate.Claims
	Role string `json:"role"`
}

// options is what main reads from the environment; the tests pass a secret
// of their own and a clock they move.
type options struct {
	secret []byte
	now    func() time.Time // nil: time.Now
}

// newApp builds the service: main serves it, the tests call it.
func newApp(o options) (*gin.Engine, error) {
	key := jwtgate.HMAC(o.secret, "HS256") // gin-jwt's Key and SigningAlgorithm
	// Refresh families and revocations: one instance's memory here; the
	// Redis store (core/redisstore) for several, as gin-jwt's UseRedisStore.
	store := issuing.NewMemoryStore(o.now)
	issuer, err := issuing.New(issuing.Config{
		Key:        key,
		Issuer:     "https://orders.example.com",
		Audience:   []string{"orders-api"},
		AccessTTL:  15 * time.Minute,   // gin-jwt's Timeout
		RefreshTTL: 7 * 24 * time.Hour, // gin-jwt's RefreshTokenTimeout (v3), MaxRefresh (v2)
		Store:      store,
		Now:        o.now,
	})
	if err != nil {
		return nil, err
	}
	auth, err := jwtgate.New(jwtgate.Config{
		Keys:      key,
		Issuer:    []string{"https://orders.example.com"},
		Audience:  []string{"orders-api"},
		NewClaims: func() jwt.Claims { return &userClaims{} },
		Revoker:   store,    // a logout takes effect on the next request
		Realm:     "orders", // gin-jwt's Realm
		Now:       o.now,
	})
	if err != nil {
		return nil, err
	}
	endpoints := &issuing.Endpoints{Issuer: issuer, Authenticator: auth, CheckCredentials: checkCredentials}
	if err := endpoints.Validate(); err != nil {
		return nil, err // rather than the handlers' panic
	}
	cfg := ginjwt.Config{Authenticator: auth}

	r := gin.New()
	r.Use(gin.Recovery())
	r.POST("/login", ginjwt.LoginHandler(endpoints))
	r.POST("/refresh", ginjwt.RefreshHandler(endpoints))
	// Logout checks the access token itself: no middleware in front.
	r.POST("/logout", ginjwt.LogoutHandler(endpoints))

	api := r.Group("/auth", ginjwt.New(cfg), identity)
	api.GET("/hello", hello)
	// gin-jwt's Authorizer, as a scope guard: 403 insufficient_scope.
	api.GET("/admin", ginjwt.RequireScopes(cfg, "admin"), hello)
	return r, nil
}

// checkCredentials is gin-jwt's Authenticator and PayloadFunc together: it
// gets the JSON body {"username","password"} and returns what the tokens
// carry. A real service looks the user up and compares password hashes,
// taking as long for an unknown user as for a wrong password.
func checkCredentials(_ context.Context, l issuing.LoginRequest) (issuing.Grant, error) {
	users := map[string]struct{ password, role, scope string }{
		"admin": {"admin-password", "admin", "orders:read admin"},
		"alice": {"alice-password", "customer", "orders:read"},
	}
	u, ok := users[l.Username]
	if !ok || subtle.ConstantTimeCompare([]byte(l.Password), []byte(u.password)) != 1 {
		return issuing.Grant{}, issuing.ErrBadCredentials // 401 invalid_credentials
	}
	return issuing.Grant{Subject: l.Username, Scope: u.scope, Claims: map[string]string{"role": u.role}}, nil
}

// identity is gin-jwt's IdentityHandler: what c.Get(identityKey) held
// there, it holds here.
func identity(c *gin.Context) {
	if claims, ok := ginjwt.Claims[*userClaims](c); ok {
		c.Set(identityKey, &User{UserName: claims.Subject, Role: claims.Role})
	}
	c.Next()
}

func hello(c *gin.Context) {
	claims, ok := ginjwt.Claims[*userClaims](c) // gin-jwt's ExtractClaims(c)
	user, found := c.Get(identityKey)
	if !ok || !found {
		c.AbortWithStatus(http.StatusInternalServerError)
		return
	}
	c.JSON(http.StatusOK, gin.H{"userID": claims.Subject, "userName": user.(*User).UserName, "role": claims.Role})
}

func main() {
	gin.SetMode(gin.ReleaseMode)
	r, err := newApp(options{secret: []byte(os.Getenv("JWT_SECRET"))})
	if err != nil {
		log.Fatal(err) // every configuration problem, at once
	}
	addr := os.Getenv("ADDR")
	if addr == "" {
		addr = "127.0.0.1:8080"
	}
	srv := &http.Server{
		Addr: addr, Handler: r,
		// Slow clients must not hold connections forever.
		ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second,
		WriteTimeout: 10 * time.Second, IdleTimeout: 60 * time.Second,
	}
	log.Fatal(srv.ListenAndServe())
}
