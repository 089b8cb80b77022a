package jwtgatetest

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/issuing"
)

// lifeCases run tokens minted by a real issuing.Issuer through the adapter,
// with a real MemoryStore as the Revoker: what logout, refresh reuse and a
// failing store mean for the next request.
func lifeCases(fx *fixture) []testCase {
	// life builds a case around its own store and issuer. step runs before
	// the request, with the issuer, and returns the token to send.
	life := func(name string, down bool, step func(ctx context.Context, i *issuing.Issuer) (string, error), w want) testCase {
		store := &switchableStore{Store: issuing.NewMemoryStore(func() time.Time { return fx.now })}
		key := jwtgate.HMAC(fx.khs, "HS256")
		key.ID = kidHS
		iss, err := issuing.New(issuing.Config{
			Key: key, Issuer: issuer, Audience: []string{audience}, Store: store,
			Now: func() time.Time { return fx.now },
		})
		if err != nil {
			panic("jwtgatetest: " + err.Error())
		}
		return testCase{
			name:   "LIFE/" + name,
			config: func(c *jwtgate.Config) { c.Revoker = store },
			token: func(*env) string {
				tok, err := step(context.Background(), iss)
				if err != nil {
					panic("jwtgatetest: " + name + ": " + err.Error())
				}
				store.down.Store(down)
				return tok
			},
			want: w,
		}
	}
	login := func(ctx context.Context, i *issuing.Issuer) (*issuing.Pair, error) {
		return i.Login(ctx, issuing.Grant{Subject: "user-1", Scope: "read"})
	}
	return []testCase{
		life("issued access token", false, func(ctx context.Context, i *issuing.Issuer) (string, error) {
			p, err := login(ctx, i)
			if err != nil {
				return "", err
			}
			return p.AccessToken, nil
		}, accept()),
		life("refresh token presented as an access token", false, func(ctx context.Context, i *issuing.Issuer) (string, error) {
			p, err := login(ctx, i)
			if err != nil {
				return "", err
			}
			return p.RefreshToken, nil
		}, invalidToken(descType)),
		life("access token after logout", false, func(ctx context.Context, i *issuing.Issuer) (string, error) {
			p, err := login(ctx, i)
			if err != nil {
				return "", err
			}
			return p.AccessToken, i.Logout(ctx, &jwtgate.Token{ID: "x", SessionID: p.Family, ExpiresAt: p.AccessExpiresAt})
		}, invalidToken(descRevoked)),
		life("refreshed access token after its family's refresh token is reused", false, func(ctx context.Context, i *issuing.Issuer) (string, error) {
			p, err := login(ctx, i)
			if err != nil {
				return "", err
			}
			p2, err := i.Refresh(ctx, p.RefreshToken)
			if err != nil {
				return "", err
			}
			if _, err := i.Refresh(ctx, p.RefreshToken); !errors.Is(err, issuing.ErrRefreshReused) {
				return "", errors.New("reuse was not detected")
			}
			return p2.AccessToken, nil
		}, invalidToken(descRevoked)),
		life("access token after log out everywhere", false, func(ctx context.Context, i *issuing.Issuer) (string, error) {
			p, err := login(ctx, i)
			if err != nil {
				return "", err
			}
			return p.AccessToken, i.RevokeSubject(ctx, "user-1")
		}, invalidToken(descRevoked)),
		life("store down", true, func(ctx context.Context, i *issuing.Issuer) (string, error) {
			p, err := login(ctx, i)
			if err != nil {
				return "", err
			}
			return p.AccessToken, nil
		}, unavailable()),
	}
}

// switchableStore is a store whose revocation check fails while down is set.
type switchableStore struct {
	issuing.Store
	down atomic.Bool
}

func (s *switchableStore) IsRevoked(ctx context.Context, t *jwtgate.Token) (bool, error) {
	if s.down.Load() {
		return false, errStoreDown
	}
	return s.Store.IsRevoked(ctx, t)
}
