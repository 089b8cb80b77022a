package jwtgatetest

import (
	"net/http"
	"strings"

	"github.com/golang-jwt/jwt/v5"

	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/extractors"
)

// One token, one reading: cases where a verifier, a claims type, a scope
// check or a cookie reader could each read the same request differently.

const descMisconfigured = "The server is misconfigured"

// withRaw returns a correctly signed token whose claims end with the raw
// members JSON text (escapes as written).
func (fx *fixture) withRaw(members string, mods ...claimMod) string {
	c := fx.claims(mods...)
	return jws("HS256", fx.khs, hdrHS256, strings.TrimSuffix(c, "}")+","+members+"}")
}

func readingCases(fx *fixture) []testCase {
	tenant := func(c *jwtgate.Config) { c.NewClaims = func() jwt.Claims { return &tenantClaims{} } }
	role := func(r string) want {
		return want{status: http.StatusOK, accepted: true, claimsType: "*jwtgatetest.tenantClaims", role: &r}
	}
	required := func(c *jwtgate.Config) { c.RequiredClaims = []string{"groups"} }
	cookie := extractor(extractors.Cookie("access_token"))
	secevent := func(c *jwtgate.Config) { c.Types = []string{"secevent+jwt"} }
	parties := func(c *jwtgate.Config) {
		c.Audience, c.SkipAudienceCheck, c.AuthorizedParties = nil, true, []string{"orders-ui"}
	}
	return []testCase{
		// FMT-13: names equal under Unicode case folding, which
		// encoding/json (and so a custom claims type) matches to one field.
		{name: "FMT-13/claim names differing only in case", token: func(*env) string {
			return fx.t0(add("role", `"user"`), add("ROLE", `"admin"`))
		}, want: invalidToken(descMalformed)},
		{name: "FMT-13/escaped case variant", token: func(*env) string { return fx.withRaw(`"tid":"a","\u0054ID":"b"`) },
			want: invalidToken(descMalformed)},
		{name: "FMT-13/Kelvin sign folds to k", token: func(*env) string { return fx.withRaw(`"kind":"a","\u212aind":"b"`) },
			want: invalidToken(descMalformed)},
		{name: "FMT-13/long s folds to s", token: func(*env) string { return fx.withRaw("\"is_admin\":false,\"i\u017f_admin\":true") },
			want: invalidToken(descMalformed)},
		{name: "FMT-13/in a nested object", token: func(*env) string { return fx.withRaw(`"org":{"role":"user","Role":"admin"}`) },
			want: invalidToken(descMalformed)},
		{name: "FMT-13/in an object in an array", token: func(*env) string { return fx.withRaw(`"orgs":[{"id":1},{"k":1,"K":2}]`) },
			want: invalidToken(descMalformed)},
		{name: "FMT-13/header names differing only in case", token: func(*env) string {
			return fx.withHeader(`{"alg":"HS256","typ":"JWT","kid":"hs-1","Kid":"hs-2"}`)
		}, want: invalidToken(descHeader)},
		{name: "FMT-13/claims type matches names exactly", config: tenant,
			token: func(*env) string { return fx.t0(set("TID", `"acme"`)) }, want: invalidToken(descClaims)},
		{name: "FMT-13/claims type matches nested names exactly", config: tenant,
			token: func(*env) string { return fx.withRaw(`"tid":"acme","org":{"ROLE":"admin"}`) }, want: role("")},
		{name: "FMT-13/claims type reads the exact nested name", config: tenant,
			token: func(*env) string { return fx.withRaw(`"tid":"acme","org":{"role":"viewer","Rank":1}`) }, want: role("viewer")},

		// FMT-14: a lone surrogate escape, which encoding/json turns into
		// U+FFFD, so that two different subjects would read the same.
		{name: "FMT-14/lone high surrogate in sub", token: func(*env) string { return fx.t0(set("sub", `"user-\ud800"`)) },
			want: invalidToken(descMalformed)},
		{name: "FMT-14/lone low surrogate in another claim", token: func(*env) string { return fx.withRaw(`"name":"\udfff"`) },
			want: invalidToken(descMalformed)},
		{name: "FMT-14/lone surrogate in the header", token: func(*env) string {
			return fx.withHeader(`{"alg":"HS256","typ":"JWT","kid":"hs-1","x":"\udbff"}`)
		}, want: invalidToken(descMalformed)},
		{name: "FMT-14/a surrogate pair is a character", token: func(*env) string { return fx.t0(set("sub", `"user-\ud83d\ude00"`)) },
			want: accept()},

		// ID-10: a required claim that says nothing is missing, whatever the
		// whitespace in it.
		{name: "ID-10/required claim [ ]", config: required, token: func(*env) string { return fx.t0(set("groups", `[ ]`)) },
			want: invalidToken(descRequiredClaim)},
		{name: "ID-10/required claim with a line break inside", config: required,
			token: func(*env) string { return fx.t0(set("groups", "[\n]")) }, want: invalidToken(descRequiredClaim)},
		{name: "ID-10/required claim { }", config: required, token: func(*env) string { return fx.t0(set("groups", `{ }`)) },
			want: invalidToken(descRequiredClaim)},
		{name: `ID-10/required claim [""]`, config: required, token: func(*env) string { return fx.t0(set("groups", `[""]`)) },
			want: invalidToken(descRequiredClaim)},
		{name: "ID-10/required claim present", config: required, token: func(*env) string { return fx.t0(set("groups", `["staff"]`)) },
			want: accept()},
		{name: "ID-10/aud [ ]", token: func(*env) string { return fx.t0(set("aud", `[ ]`)) }, want: invalidToken(descRequiredClaim)},
		{name: "ID-10/aud [ ] required by name", config: func(c *jwtgate.Config) {
			c.Audience, c.SkipAudienceCheck, c.RequiredClaims = nil, true, []string{"aud"}
		}, token: func(*env) string { return fx.t0(set("aud", "[ \t]")) }, want: invalidToken(descRequiredClaim)},

		// ID-11: one scope grammar for the guard and for the handler.
		{name: "ID-11/a tab is not a separator", scopes: []string{"admin"},
			token: func(*env) string { return fx.t0(set("scope", `"read\tadmin"`)) }, want: insufficientScope("admin")},
		{name: "ID-11/a no-break space is not a separator", scopes: []string{"admin"},
			token: func(*env) string { return fx.t0(set("scope", `"read\u00a0admin"`)) }, want: insufficientScope("admin")},
		{name: "ID-11/the handler reads the scopes the guard reads",
			token: func(*env) string { return fx.t0(set("scope", `"read\tadmin  write"`)) },
			want:  want{status: http.StatusOK, accepted: true, scopes: []string{"write"}}},
		{name: "ID-11/two spaces in a row", scopes: []string{"admin"},
			token: func(*env) string { return fx.t0(set("scope", `"read  admin"`)) }, want: accept()},

		{name: "ID-11/scope as a JSON array (ForgeRock, PingAM)", scopes: []string{"admin"},
			token: func(*env) string { return fx.t0(set("scope", `["read","admin"]`)) },
			want:  want{status: http.StatusOK, accepted: true, scopes: []string{"read", "admin"}}},
		{name: "ID-11/scope array lacking the scope", scopes: []string{"admin"},
			token: func(*env) string { return fx.t0(set("scope", `["read"]`)) }, want: insufficientScope("admin")},
		{name: "ID-11/scope array of another type", token: func(*env) string { return fx.t0(set("scope", `["read",1]`)) },
			want: invalidToken(descMalformed)},

		// ID-12: a provider that names the client in azp or client_id, not
		// this service in aud (Keycloak's "aud":"account").
		{name: "ID-12/azp of an accepted client", config: parties, token: func(*env) string {
			return fx.t0(set("aud", `"account"`), set("azp", `"orders-ui"`))
		}, want: accept()},
		{name: "ID-12/client_id of an accepted client", config: parties, token: func(*env) string {
			return fx.t0(set("aud", `"account"`), set("client_id", `"orders-ui"`))
		}, want: accept()},
		{name: "ID-12/azp of another client", config: parties, token: func(*env) string {
			return fx.t0(set("aud", `"account"`), set("azp", `"evil-app"`), set("client_id", `"orders-ui"`))
		}, want: invalidToken(descParty)},
		{name: "ID-12/neither azp nor client_id", config: parties, token: func(*env) string { return fx.t0(set("aud", `"account"`)) },
			want: invalidToken(descRequiredClaim)},
		{name: "ID-12/azp case variant", config: parties, token: func(*env) string {
			return fx.t0(set("aud", `"account"`), set("AZP", `"orders-ui"`))
		}, want: invalidToken(descMalformed)},

		// TR-10: a cookie sent twice, the second behind a space.
		{name: "TR-10/second cookie behind a space", config: cookie, request: func(e *env) *http.Request {
			r := get("/protected")
			r.Header.Set("Cookie", "access_token="+e.remember(fx.t0())+"; access_token ="+e.remember(fx.t0()))
			return r
		}, want: invalidRequest(descRepeated)},
		{name: "TR-10/cookie name trimmed", config: cookie, request: func(e *env) *http.Request {
			r := get("/protected")
			r.Header.Set("Cookie", "theme=dark;\taccess_token ="+e.remember(fx.t0()))
			return r
		}, want: accept()},

		// HDR-13: media types compare ASCII case-insensitively, not by
		// Unicode folding.
		{name: "HDR-13/typ with a long s", config: secevent, token: func(*env) string { return fx.withHeader(hdrTyp("\u017fecevent+jwt")) },
			want: invalidToken(descType)},
		{name: "HDR-13/typ with a Kelvin sign", config: func(c *jwtgate.Config) { c.Types = []string{"kb+jwt"} },
			token: func(*env) string { return fx.withHeader(hdrTyp("\u212ab+jwt")) }, want: invalidToken(descType)},
		{name: "HDR-13/typ in upper case", config: secevent, token: func(*env) string { return fx.withHeader(hdrTyp("Application/SECEVENT+JWT")) },
			want: accept()},

		// RSP-06: a scope guard without the authenticating middleware in
		// front of it.
		{name: "RSP-06/scope guard without New, token sent", miswired: true, scopes: []string{"read"},
			token: func(*env) string { return fx.t0() }, want: want{status: http.StatusInternalServerError, code: "server_error", desc: descMisconfigured}},
		{name: "RSP-06/scope guard without New, no token", miswired: true, scopes: []string{"read"},
			request: func(*env) *http.Request { return get("/protected") }, want: missingToken()},
	}
}
