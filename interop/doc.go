// Package interop holds jwtgate's interoperability tests: jwtgate against
// two independent Go JOSE implementations, github.com/go-jose/go-jose/v4 and
// github.com/lestrrat-go/jwx/v3, for every algorithm of
// signing.Supported that each library has, in both directions:
//
//   - Their tokens to jwtgate: verified by jwtgate.New with the key, with the
//     JWK Set they publish read by jwks.ParseSet and fetched by jwks.Remote,
//     and by the examples/jwks resource server over HTTP.
//   - jwtgate's tokens to them: minted by issuing.New, published with
//     jwks.Marshal and jwks.Handler, and verified by each library with its
//     strictest checks at the first instant after issuing.
//   - DPoP (RFC 9449): their proofs (typ dpop+jwt, the key in jwk) accepted
//     by jwtgate over HTTP for a token bound to the thumbprint they compute,
//     and refused when changed; jwtgatetest.DPoPKey's proofs verified by
//     them; the RFC's example proof and thumbprint as a known answer.
//
// It is a module of its own so that the libraries it tests against never
// enter the graph of a module users import. It has no code outside its
// tests.
package interop
