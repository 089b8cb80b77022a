package jwks_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/jwks"
	"github.com/jwtgate/jwtgate/core/signing"
)

// Known-answer tests: the exact vectors of RFC 7515 Appendix A, RFC 8037
// A.4 and RFC 7520 §4, and the negatives derived from them
// (docs/security-cases.md, "Known-answer vectors"), through jwks.ParseKey,
// golang-jwt's signing methods and the core's VerifyJWS and Verify.

// The vectors, byte for byte as the RFCs print them (the derived negatives as
// docs/security-cases.md, "Derived negatives N1–N12", describes them).
const (
	// RFC 7515 A.2: RSA private JWK, RS256 token (exact).
	rfcA2JWK   = `{"kty":"RSA","n":"ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ","e":"AQAB","d":"Eq5xpGnNCivDflJsRQBXHx1hdR1k6Ulwe2JZD50LpXyWPEAeP88vLNO97IjlA7_GQ5sLKMgvfTeXZx9SE-7YwVol2NXOoAJe46sui395IW_GO-pWJ1O0BkTGoVEn2bKVRUCgu-GjBVaYLU6f3l9kJfFNS3E0QbVdxzubSu3Mkqzjkn439X0M_V51gfpRLI9JYanrC4D4qAdGcopV_0ZHHzQlBjudU2QvXt4ehNYTCBr6XCLQUShb1juUO1ZdiYoFaFQT5Tw8bGUl_x_jTj3ccPDVZFD9pIuhLhBOneufuBiB4cS98l2SR_RQyGWSeWjnczT0QU91p1DhOVRuOopznQ","p":"4BzEEOtIpmVdVEZNCqS7baC4crd0pqnRH_5IB3jw3bcxGn6QLvnEtfdUdiYrqBdss1l58BQ3KhooKeQTa9AB0Hw_Py5PJdTJNPY8cQn7ouZ2KKDcmnPGBY5t7yLc1QlQ5xHdwW1VhvKn-nXqhJTBgIPgtldC-KDV5z-y2XDwGUc","q":"uQPEfgmVtjL0Uyyx88GZFF1fOunH3-7cepKmtH4pxhtCoHqpWmT8YAmZxaewHgHAjLYsp1ZSe7zFYHj7C6ul7TjeLQeZD_YwD66t62wDmpe_HlB-TnBA-njbglfIsRLtXlnDzQkv5dTltRJ11BKBBypeeF6689rjcJIDEz9RWdc","dp":"BwKfV3Akq5_MFZDFZCnW-wzl-CCo83WoZvnLQwCTeDv8uzluRSnm71I3QCLdhrqE2e9YkxvuxdBfpT_PI7Yz-FOKnu1R6HsJeDCjn12Sk3vmAktV2zb34MCdy7cpdTh_YVr7tss2u6vneTwrA86rZtu5Mbr1C1XsmvkxHQAdYo0","dq":"h_96-mK1R_7glhsum81dZxjTnYynPbZpHziZjeeHcXYsXaaMwkOlODsWa7I9xXDoRwbKgB719rrmI2oKr6N3Do9U0ajaHF-NKJnwgjMd2w9cjz3_-kyNlxAr2v4IKhGNpmM5iIgOS1VZnOZ68m6_pbLBSp3nssTdlqvd0tIiTHU","qi":"IYd7DHOhrWvxkwPQsRM2tOgrjbcrfvtQJipd-DlcxyVuuM9sQLdgjVk2oy26F0EmpScGLq2MowX7fhd_QJQ3ydy5cY7YIBi87w93IKLEdfnbJtoOPLUW0ITrJReOgo1cq9SbsxYawBgfp_gh6A5603k2-ZQwVK0JKSHuLFkuQ3U"}`
	rfcA2Token = `eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw`
	// RFC 7515 A.3: P-256 private JWK, ES256 token (verify only).
	rfcA3JWK   = `{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","d":"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"}`
	rfcA3Token = `eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q`
	// RFC 7515 A.4: P-521 private JWK, ES512 token over "Payload" (verify only).
	rfcA4JWK   = `{"kty":"EC","crv":"P-521","x":"AekpBQ8ST8a8VcfVOTNl353vSrDCLLJXmPk06wTjxrrjcBpXp5EOnYG_NjFZ6OvLFV1jSfS9tsz4qUxcWceqwQGk","y":"ADSmRA43Z1DSNx_RvcLI87cdL07l6jQyyBXMoxVg_l2Th-x3S1WDhjDly79ajL4Kkd0AZMaZmh9ubmf63e3kyMj2","d":"AY5pb7A0UFiB3RELSD64fTLOSV_jazdF7fLYyuTw8lOfRhWg6Y6rUrPAxerEzgdRhajnu0ferB0d53vM9mE15j2C"}`
	rfcA4Token = `eyJhbGciOiJFUzUxMiJ9.UGF5bG9hZA.AdwMgeerwtHoh-l192l60hp9wAHZFVJbLfD_UxMi70cwnZOYaRI1bKPWROc-mZZqwqT2SI-KGDKB34XO0aw_7XdtAG8GaSwFKdCAPZgoXD2YBJZCPEX3xKpRwcdOO8KpEHwJjyqOgzDO7iKvU8vcnwNrmxYbSW9ERBXukOXolLzeO_Jn`
	// RFC 8037 A.4: Ed25519 private JWK, EdDSA token (exact).
	rfc8037JWK   = `{"kty":"OKP","crv":"Ed25519","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}`
	rfc8037Token = `eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg`
	// RFC 7520 §3.4 RSA public JWK; §4.1 RS256 and §4.2 PS384 tokens.
	rfc7520RSAPublic = `{"kty":"RSA","kid":"bilbo.baggins@hobbiton.example","use":"sig","n":"n4EPtAOCc9AlkeQHPzHStgAbgs7bTZLwUBZdR8_KuKPEHLd4rHVTeT-O-XV2jRojdNhxJWTDvNd7nqQ0VEiZQHz_AJmSCpMaJMRBSFKrKb2wqVwGU_NsYOYL-QtiWN2lbzcEe6XC0dApr5ydQLrHqkHHig3RBordaZ6Aj-oBHqFEHYpPe7Tpe-OfVfHd1E6cS6M1FZcD1NNLYD5lFHpPI9bTwJlsde3uhGqC0ZCuEHg8lhzwOHrtIQbS0FVbb9k3-tVTU4fg_3L_vniUFAKwuCLqKnS2BYwdq_mzSnbLY7h_qixoR7jig3__kRhuaxwUkRz5iaiQkqgc5gHdrNP5zw","e":"AQAB"}`
	rfc7520RS256     = `eyJhbGciOiJSUzI1NiIsImtpZCI6ImJpbGJvLmJhZ2dpbnNAaG9iYml0b24uZXhhbXBsZSJ9.SXTigJlzIGEgZGFuZ2Vyb3VzIGJ1c2luZXNzLCBGcm9kbywgZ29pbmcgb3V0IHlvdXIgZG9vci4gWW91IHN0ZXAgb250byB0aGUgcm9hZCwgYW5kIGlmIHlvdSBkb24ndCBrZWVwIHlvdXIgZmVldCwgdGhlcmXigJlzIG5vIGtub3dpbmcgd2hlcmUgeW91IG1pZ2h0IGJlIHN3ZXB0IG9mZiB0by4.MRjdkly7_-oTPTS3AXP41iQIGKa80A0ZmTuV5MEaHoxnW2e5CZ5NlKtainoFmKZopdHM1O2U4mwzJdQx996ivp83xuglII7PNDi84wnB-BDkoBwA78185hX-Es4JIwmDLJK3lfWRa-XtL0RnltuYv746iYTh_qHRD68BNt1uSNCrUCTJDt5aAE6x8wW1Kt9eRo4QPocSadnHXFxnt8Is9UzpERV0ePPQdLuW3IS_de3xyIrDaLGdjluPxUAhb6L2aXic1U12podGU0KLUQSE_oI-ZnmKJ3F4uOZDnd6QZWJushZ41Axf_fcIe8u9ipH84ogoree7vjbU5y18kDquDg`
	rfc7520PS384     = `eyJhbGciOiJQUzM4NCIsImtpZCI6ImJpbGJvLmJhZ2dpbnNAaG9iYml0b24uZXhhbXBsZSJ9.SXTigJlzIGEgZGFuZ2Vyb3VzIGJ1c2luZXNzLCBGcm9kbywgZ29pbmcgb3V0IHlvdXIgZG9vci4gWW91IHN0ZXAgb250byB0aGUgcm9hZCwgYW5kIGlmIHlvdSBkb24ndCBrZWVwIHlvdXIgZmVldCwgdGhlcmXigJlzIG5vIGtub3dpbmcgd2hlcmUgeW91IG1pZ2h0IGJlIHN3ZXB0IG9mZiB0by4.cu22eBqkYDKgIlTpzDXGvaFfz6WGoz7fUDcfT0kkOy42miAh2qyBzk1xEsnk2IpN6-tPid6VrklHkqsGqDqHCdP6O8TTB5dDDItllVo6_1OLPpcbUrhiUSMxbbXUvdvWXzg-UD8biiReQFlfz28zGWVsdiNAUf8ZnyPEgVFn442ZdNqiVJRmBqrYRXe8P_ijQ7p8Vdz0TTrxUeT3lm8d9shnr2lfJT8ImUjvAA2Xez2Mlp8cBE5awDzT0qI0n6uiP1aCN_2_jLAeQTlqRHtfa64QQSUmFAAjVKPbByi7xho0uTOcbH510a6GYmJUAfmWjwZ6oD4ifKo8DYM-X72Eaw`
	// RFC 7520 §3.2 P-521 private JWK; §4.3 ES512 token.
	rfc7520ECJWK = `{"kty":"EC","kid":"bilbo.baggins@hobbiton.example","use":"sig","crv":"P-521","x":"AHKZLLOsCOzz5cY97ewNUajB957y-C-U88c3v13nmGZx6sYl_oJXu9A5RkTKqjqvjyekWF-7ytDyRXYgCF5cj0Kt","y":"AdymlHvOiLxXkEhayXQnNCvDX4h9htZaCJN34kfmC6pV5OhQHiraVySsUdaQkAgDPrwQrJmbnX9cwlGfP-HqHZR1","d":"AAhRON2r9cqXX1hg-RoI6R1tX5p2rUAYdmpHZoC1XNM56KtscrX6zbKipQrCW9CGZH3T4ubpnoTKLDYJ_fF3_rJt"}`
	rfc7520ES512 = `eyJhbGciOiJFUzUxMiIsImtpZCI6ImJpbGJvLmJhZ2dpbnNAaG9iYml0b24uZXhhbXBsZSJ9.SXTigJlzIGEgZGFuZ2Vyb3VzIGJ1c2luZXNzLCBGcm9kbywgZ29pbmcgb3V0IHlvdXIgZG9vci4gWW91IHN0ZXAgb250byB0aGUgcm9hZCwgYW5kIGlmIHlvdSBkb24ndCBrZWVwIHlvdXIgZmVldCwgdGhlcmXigJlzIG5vIGtub3dpbmcgd2hlcmUgeW91IG1pZ2h0IGJlIHN3ZXB0IG9mZiB0by4.AE_R_YZCChjn4791jSQCrdPZCNYqHXCTZH0-JZGYNlaAjP2kqaluUIIUnC9qvbu9Plon7KRTzoNEuT4Va2cmL1eJAQy3mtPBu_u_sDDyYjnAMDxXPn7XrT0lw-kvAD890jl8e2puQens_IEKBpHABlsbEPX6sFY8OcGDqoRuBomu9xQ2`
	// RFC 7520 §3.5 HMAC JWK; §4.4 HS256 token.
	rfc7520HMACJWK = `{"kty":"oct","kid":"018c0ae5-4d9b-471b-bfd6-eef314bc7037","use":"sig","alg":"HS256","k":"hJtXIZ2uSN5kbQfbtTNWbpdmhkV8FJG-Onbc6mxCcYg"}`
	rfc7520HS256   = `eyJhbGciOiJIUzI1NiIsImtpZCI6IjAxOGMwYWU1LTRkOWItNDcxYi1iZmQ2LWVlZjMxNGJjNzAzNyJ9.SXTigJlzIGEgZGFuZ2Vyb3VzIGJ1c2luZXNzLCBGcm9kbywgZ29pbmcgb3V0IHlvdXIgZG9vci4gWW91IHN0ZXAgb250byB0aGUgcm9hZCwgYW5kIGlmIHlvdSBkb24ndCBrZWVwIHlvdXIgZmVldCwgdGhlcmXigJlzIG5vIGtub3dpbmcgd2hlcmUgeW91IG1pZ2h0IGJlIHN3ZXB0IG9mZiB0by4.s0h6KThzkfBBBkLspW1h84VsJZFTsPPqMDA7g1Md7p0`
	// The derived negatives N3–N8.
	katN3 = `eyJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.c8Tg3ipPrf5_HrYg61gCx0plq6GU74R-LeYmADiLgfs`
	katN4 = `eyJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.sVc3-Jyh4bAHz7h41LH1Xqy68byj6cQi-1KoUWy5iFg`
	katN5 = `eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`
	katN6 = `eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmU69fgrc8OPGycO0lD3tat_FoFp57SETepkeks4eL_QfA`
	katN7 = `eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.MEUCIA7RIVN5Y2xIPC9_FVgH1AKjsigDOvl8fheBmsMWnqZlAiEAxQoH04w8cOXY8S2vCEpUgKZlkMXyk1Cajz9_ioOjVNU`
	katN8 = `eyJhbGciOiJFZERTQSIsImp3ayI6eyJrdHkiOiJPS1AiLCJjcnYiOiJFZDI1NTE5IiwieCI6IjExcVlBWUt4Q3JmVlNfN1R5V1FIT2c3aGN2UGFwaU1scndJYWFQY0hVUm8ifX0.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.Znhxc6yN79Q3tbHotQjlxOAnxK_Y7TWUMbOW4oIZ5SLF5RRTsDwHYSdKemUbHX7NYeIbCMf8pjrfUbZx9moGCA`
)

// rfc7520RSAPrivate is the RSA key of RFC 7520 §3.4 with its private members
// (the public members are rfc7520RSAPublic's).
const rfc7520RSAPrivate = `{"kty":"RSA","kid":"bilbo.baggins@hobbiton.example","use":"sig","n":"n4EPtAOCc9AlkeQHPzHStgAbgs7bTZLwUBZdR8_KuKPEHLd4rHVTeT-O-XV2jRojdNhxJWTDvNd7nqQ0VEiZQHz_AJmSCpMaJMRBSFKrKb2wqVwGU_NsYOYL-QtiWN2lbzcEe6XC0dApr5ydQLrHqkHHig3RBordaZ6Aj-oBHqFEHYpPe7Tpe-OfVfHd1E6cS6M1FZcD1NNLYD5lFHpPI9bTwJlsde3uhGqC0ZCuEHg8lhzwOHrtIQbS0FVbb9k3-tVTU4fg_3L_vniUFAKwuCLqKnS2BYwdq_mzSnbLY7h_qixoR7jig3__kRhuaxwUkRz5iaiQkqgc5gHdrNP5zw","e":"AQAB","d":"bWUC9B-EFRIo8kpGfh0ZuyGPvMNKvYWNtB_ikiH9k20eT-O1q_I78eiZkpXxXQ0UTEs2LsNRS-8uJbvQ-A1irkwMSMkK1J3XTGgdrhCku9gRldY7sNA_AKZGh-Q661_42rINLRCe8W-nZ34ui_qOfkLnK9QWDDqpaIsA-bMwWWSDFu2MUBYwkHTMEzLYGqOe04noqeq1hExBTHBOBdkMXiuFhUq1BU6l-DqEiWxqg82sXt2h-LMnT3046AOYJoRioz75tSUQfGCshWTBnP5uDjd18kKhyv07lhfSJdrPdM5Plyl21hsFf4L_mHCuoFau7gdsPfHPxxjVOcOpBrQzwQ","p":"3Slxg_DwTXJcb6095RoXygQCAZ5RnAvZlno1yhHtnUex_fp7AZ_9nRaO7HX_-SFfGQeutao2TDjDAWU4Vupk8rw9JR0AzZ0N2fvuIAmr_WCsmGpeNqQnev1T7IyEsnh8UMt-n5CafhkikzhEsrmndH6LxOrvRJlsPp6Zv8bUq0k","q":"uKE2dh-cTf6ERF4k4e_jy78GfPYUIaUyoSSJuBzp3Cubk3OCqs6grT8bR_cu0Dm1MZwWmtdqDyI95HrUeq3MP15vMMON8lHTeZu2lmKvwqW7anV5UzhM1iZ7z4yMkuUwFWoBvyY898EXvRD-hdqRxHlSqAZ192zB3pVFJ0s7pFc","dp":"B8PVvXkvJrj2L-GYQ7v3y9r6Kw5g9SahXBwsWUzp19TVlgI-YV85q1NIb1rxQtD-IsXXR3-TanevuRPRt5OBOdiMGQp8pbt26gljYfKU_E9xn-RULHz0-ed9E9gXLKD4VGngpz-PfQ_q29pk5xWHoJp009Qf1HvChixRX59ehik","dq":"CLDmDGduhylc9o7r84rEUVn7pzQ6PF83Y-iBZx5NT-TpnOZKF1pErAMVeKzFEl41DlHHqqBLSM0W1sOFbwTxYWZDm6sI6og5iTbwQGIC3gnJKbi_7k_vJgGHwHxgPaX2PnvP-zyEkDERuf-ry4c_Z11Cq9AqC2yeL6kdKT1cYF8","qi":"3PiqvXQN0zwMeE-sBvZgi289XP9XCQF3VWqPzMKnIgQp7_Tugo6-NZBKCQsMf3HaEGBjTVJs_jcK8-TRXvaKe-7ZMaQj8VfBdYkssbu0NKDDhjJ-GtiseaDVWt7dcH0cfwxgFUHpQh7FoCrjFJ6h6ZEpMF6xmujs4qMpPz8aaI4"}`

// rfcA2PEM is the SPKI PEM of the RFC 7515 A.2 public key, with its trailing
// LF: the HMAC key of N3 (N4 is the same without the LF).
const rfcA2PEM = `-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAofgWCuLjybRlzo0tZWJj
NiuSfb4p4fAkd/wWJcyQoTbji9k0l8W26mPddxHmfHQp+Vaw+4qPCJrcS2mJPMEz
P1Pt0Bm4d4QlL+yRT+SFd2lZS+pCgNMsD1W/YpRPEwOWvG6b32690r2jZ47soMZo
9wGzjb/7OMg0LOL+bSf63kpaSHSXndS5z5rexMdbBYUsLA9e+KXBdQOS+UTo7WTB
EMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6/I5IhlJH7aGhyxX
FvUK+DWNmoudF8NAco9/h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXp
oQIDAQAB
-----END PUBLIC KEY-----
`

// rfcExp is the exp of the RFC 7515 Appendix A claims sets.
const rfcExp = 1300819380

func b64d(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	require.NoError(t, err)
	return b
}

func split(t *testing.T, tok string) (signingInput string, payload, sig []byte) {
	t.Helper()
	parts := strings.Split(tok, ".")
	require.Len(t, parts, 3)
	return parts[0] + "." + parts[1], b64d(t, parts[1]), b64d(t, parts[2])
}

func parseKey(t *testing.T, jwk string) *jwtgate.Key {
	t.Helper()
	k, err := jwks.ParseKey([]byte(jwk))
	require.NoError(t, err)
	return k
}

// verifyOnly is k without its private half, as a server holds it.
func verifyOnly(k *jwtgate.Key) *jwtgate.Key {
	return &jwtgate.Key{ID: k.ID, Algorithm: k.Algorithm, VerifyKey: k.VerifyKey}
}

// jwsAuth verifies signatures only (VerifyJWS): no issuer or audience.
func jwsAuth(t *testing.T, keys jwtgate.KeySource) *jwtgate.Authenticator {
	t.Helper()
	a, err := jwtgate.New(jwtgate.Config{Keys: keys, SkipIssuerCheck: true, SkipAudienceCheck: true})
	require.NoError(t, err)
	return a
}

// jwtAuth is the JWT verifier of docs/security-cases.md, "Known-answer
// vectors": issuer "joe", no audience, exp required, the clock at unix.
func jwtAuth(t *testing.T, keys jwtgate.KeySource, unix int64) *jwtgate.Authenticator {
	t.Helper()
	now := time.Unix(unix, 0)
	a, err := jwtgate.New(jwtgate.Config{
		Keys: keys, Issuer: []string{"joe"}, SkipAudienceCheck: true, ExpirationOptional: false, Leeway: jwtgate.NoLeeway,
		Now: func() time.Time { return now },
	})
	require.NoError(t, err)
	return a
}

// flipSig changes one bit in the middle of tok's signature.
func flipSig(t *testing.T, tok string) string {
	t.Helper()
	si, _, sig := split(t, tok)
	sig = bytes.Clone(sig)
	sig[len(sig)/2] ^= 0x01
	return si + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// TestKATSignatures checks each RFC signature vector at the JWS layer: the
// key parses with jwks.ParseKey and is bound to the vector's alg; a
// deterministic vector (RSASSA-PKCS1-v1_5, Ed25519, HMAC) is signed again
// with golang-jwt's method and compared byte for byte; a randomized one
// (ECDSA, PSS) is signed afresh and that signature verified; the RFC token
// verifies with VerifyJWS, which returns its payload; and a one-bit change
// of the signature is refused.
func TestKATSignatures(t *testing.T) {
	t.Parallel()
	for _, v := range []struct {
		name, jwk, token, alg string
		// exact: the scheme is deterministic and the JWK holds the private
		// key, so signing reproduces the token.
		exact bool
		// bind overrides the algorithm the key is bound to (the JWK has no alg).
		bind string
	}{
		{name: "RFC 7515 A.2 RS256", jwk: rfcA2JWK, token: rfcA2Token, alg: "RS256", exact: true},
		{name: "RFC 7515 A.3 ES256", jwk: rfcA3JWK, token: rfcA3Token, alg: "ES256"},
		{name: "RFC 7515 A.4 ES512", jwk: rfcA4JWK, token: rfcA4Token, alg: "ES512"},
		{name: "RFC 8037 A.4 EdDSA", jwk: rfc8037JWK, token: rfc8037Token, alg: "EdDSA", exact: true},
		{name: "RFC 7520 4.1 RS256", jwk: rfc7520RSAPrivate, token: rfc7520RS256, alg: "RS256", exact: true},
		{name: "RFC 7520 4.1 RS256 public key", jwk: rfc7520RSAPublic, token: rfc7520RS256, alg: "RS256"},
		{name: "RFC 7520 4.2 PS384", jwk: rfc7520RSAPrivate, token: rfc7520PS384, alg: "PS384", bind: "PS384"},
		{name: "RFC 7520 4.3 ES512", jwk: rfc7520ECJWK, token: rfc7520ES512, alg: "ES512"},
		{name: "RFC 7520 4.4 HS256", jwk: rfc7520HMACJWK, token: rfc7520HS256, alg: "HS256", exact: true},
	} {
		t.Run(v.name, func(t *testing.T) {
			t.Parallel()
			key := parseKey(t, v.jwk)
			if v.bind != "" {
				key.Algorithm = v.bind
			}
			require.Equal(t, v.alg, key.Algorithm, "the algorithm the key is bound to")
			si, payload, sig := split(t, v.token)
			method := jwt.GetSigningMethod(v.alg)
			require.NotNil(t, method)

			if key.SignKey != nil {
				got, err := method.Sign(si, key.SignKey)
				require.NoError(t, err)
				if v.exact {
					assert.Equal(t, sig, got, "signature, byte for byte")
					assert.Equal(t, v.token, si+"."+base64.RawURLEncoding.EncodeToString(got), "token")
				} else {
					assert.NotEqual(t, sig, got, "a randomized scheme signs differently each time")
					assert.NoError(t, method.Verify(si, got, key.VerifyKey), "a fresh signature verifies")
					_, err := jwsAuth(t, verifyOnly(key)).VerifyJWS(context.Background(), si+"."+base64.RawURLEncoding.EncodeToString(got))
					assert.NoError(t, err, "a fresh signature passes VerifyJWS")
				}
			} else {
				require.False(t, v.exact, "an exact vector needs the private key")
			}

			var server jwtgate.KeySource = verifyOnly(key)
			if v.alg == "HS256" {
				server = key // a secret is its own verification key
			}
			a := jwsAuth(t, server)
			got, err := a.VerifyJWS(context.Background(), v.token)
			require.NoError(t, err)
			assert.Equal(t, payload, got, "payload")

			_, err = a.VerifyJWS(context.Background(), flipSig(t, v.token))
			assert.ErrorIs(t, err, jwtgate.ErrInvalidToken)
			assert.ErrorIs(t, err, jwt.ErrTokenSignatureInvalid)
		})
	}
}

// TestKATJWTClock runs the JWT-shaped vectors (RFC 7515 A.2, A.3) through
// Verify with the clock one second before their exp, and at exp (RFC 7519
// §4.1.4: "on or after"). The vectors whose payload is not a claims set are
// valid signatures but not JWTs, and Verify refuses them.
func TestKATJWTClock(t *testing.T) {
	t.Parallel()
	for _, v := range []struct{ name, jwk, token string }{
		{"RFC 7515 A.2 RS256", rfcA2JWK, rfcA2Token},
		{"RFC 7515 A.3 ES256", rfcA3JWK, rfcA3Token},
	} {
		t.Run(v.name, func(t *testing.T) {
			t.Parallel()
			key := verifyOnly(parseKey(t, v.jwk))
			tok, err := jwtAuth(t, key, rfcExp-1).Verify(context.Background(), v.token)
			require.NoError(t, err, "one second before exp")
			assert.Equal(t, "joe", tok.Issuer)
			assert.Equal(t, key.Algorithm, tok.Algorithm)
			assert.Equal(t, time.Unix(rfcExp, 0).UTC(), tok.ExpiresAt.UTC())
			claims, ok := tok.Claims.(*jwtgate.Claims)
			require.True(t, ok, "claims type %T", tok.Claims)
			assert.Equal(t, "joe", claims.Issuer)

			_, err = jwtAuth(t, key, rfcExp).Verify(context.Background(), v.token)
			assert.ErrorIs(t, err, jwtgate.ErrInvalidToken)
			assert.ErrorIs(t, err, jwt.ErrTokenExpired)
			var e *jwtgate.Error
			if assert.ErrorAs(t, err, &e) {
				assert.Equal(t, "The access token expired", e.Description)
			}
		})
	}
	for _, v := range []struct{ name, jwk, token string }{
		{"RFC 7515 A.4 ES512", rfcA4JWK, rfcA4Token},
		{"RFC 8037 A.4 EdDSA", rfc8037JWK, rfc8037Token},
		{"RFC 7520 4.3 ES512", rfc7520ECJWK, rfc7520ES512},
	} {
		t.Run(v.name+" is not a JWT", func(t *testing.T) {
			t.Parallel()
			a := jwtAuth(t, verifyOnly(parseKey(t, v.jwk)), rfcExp-1)
			_, err := a.VerifyJWS(context.Background(), v.token)
			require.NoError(t, err, "the signature is valid")
			_, err = a.Verify(context.Background(), v.token)
			assert.ErrorIs(t, err, jwtgate.ErrInvalidToken)
			assert.NotErrorIs(t, err, jwt.ErrTokenSignatureInvalid)
		})
	}
}

// TestKATDerivedNegatives replays N3–N8 (docs/security-cases.md, "Derived
// negatives N1–N12") with a clock before their exp, so that only the attack
// can refuse them. Each vector is first shown to be what it claims (a naive
// verifier would accept N3 and N4; N6 is a valid signature).
func TestKATDerivedNegatives(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a2 := verifyOnly(parseKey(t, rfcA2JWK))
	a3 := verifyOnly(parseKey(t, rfcA3JWK))

	t.Run("N3 N4 RS256 to HS256 with the A.2 public key PEM", func(t *testing.T) {
		t.Parallel()
		der, err := x509.MarshalPKIXPublicKey(a2.VerifyKey)
		require.NoError(t, err)
		require.Equal(t, rfcA2PEM, string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})),
			"the PEM is the A.2 public key's SPKI")
		for _, v := range []struct {
			name, token, secret string
		}{
			{"N3 with trailing LF", katN3, rfcA2PEM},
			{"N4 without trailing LF", katN4, strings.TrimSuffix(rfcA2PEM, "\n")},
		} {
			si, _, sig := split(t, v.token)
			m := hmac.New(sha256.New, []byte(v.secret))
			m.Write([]byte(si))
			require.Equal(t, m.Sum(nil), sig, "%s: the MAC is keyed with the PEM", v.name)
			// What the attack is against: golang-jwt with a keyfunc returning
			// the PEM octets and no WithValidMethods accepts it.
			_, err := jwt.Parse(v.token, func(*jwt.Token) (any, error) { return []byte(v.secret), nil },
				jwt.WithTimeFunc(func() time.Time { return time.Unix(rfcExp-1, 0) }))
			require.NoError(t, err, "%s: a naive verifier accepts it", v.name)

			// jwtgate, holding only the A.2 RSA key, refuses it before any key
			// is used: no key is bound to HS256.
			_, err = jwsAuth(t, a2).VerifyJWS(ctx, v.token)
			assert.ErrorIs(t, err, jwtgate.ErrInvalidToken, v.name)
			assert.Equal(t, "algorithm", jwtgate.Reason(err), v.name)
			_, err = jwtAuth(t, a2, rfcExp-1).Verify(ctx, v.token)
			assert.ErrorIs(t, err, jwtgate.ErrInvalidToken, v.name)
			assert.Equal(t, "algorithm", jwtgate.Reason(err), v.name)
		}
	})

	t.Run("N5 ES256 psychic signature", func(t *testing.T) {
		t.Parallel()
		_, _, sig := split(t, katN5)
		require.Equal(t, make([]byte, 64), sig)
		for _, err := range verifyBoth(t, a3, katN5) {
			assert.ErrorIs(t, err, jwtgate.ErrInvalidToken)
			assert.ErrorIs(t, err, jwt.ErrTokenSignatureInvalid)
		}
	})

	t.Run("N6 ES256 high-S twin is accepted", func(t *testing.T) {
		t.Parallel()
		// N6 is A.3 with s replaced by n−s.
		siA3, _, sigA3 := split(t, rfcA3Token)
		si, _, sig := split(t, katN6)
		require.Equal(t, siA3, si)
		require.Equal(t, sigA3[:32], sig[:32], "same r")
		s := new(big.Int).SetBytes(sigA3[32:])
		twin := new(big.Int).Sub(elliptic.P256().Params().N, s)
		require.Equal(t, twin.FillBytes(make([]byte, 32)), sig[32:], "s' = n - s")
		// A mathematically valid signature: accepted. Revocation is keyed by
		// (iss, jti), never by the token's bytes, so the twin is revoked with
		// the original.
		for _, err := range verifyBoth(t, a3, katN6) {
			assert.NoError(t, err)
		}
	})

	t.Run("N7 ES256 DER signature", func(t *testing.T) {
		t.Parallel()
		for _, err := range verifyBoth(t, a3, katN7) {
			assert.ErrorIs(t, err, jwtgate.ErrInvalidToken)
			assert.ErrorIs(t, err, jwt.ErrTokenSignatureInvalid)
		}
	})

	t.Run("N8 embedded jwk", func(t *testing.T) {
		t.Parallel()
		ed := parseKey(t, rfc8037JWK)
		si, _, sig := split(t, katN8)
		require.NoError(t, jwt.SigningMethodEdDSA.Verify(si, sig, ed.VerifyKey), "N8 is validly signed by the RFC 8037 key it embeds")
		otherPub, _, err := ed25519.GenerateKey(rand.Reader)
		require.NoError(t, err)
		for _, srv := range []struct {
			name   string
			key    *jwtgate.Key
			reason string
		}{
			// The server's own key is the A.3 ES256 key: EdDSA is not allowed.
			{"server holds the A.3 key", a3, "algorithm"},
			// The server holds an Ed25519 key of its own: the jwk header is
			// refused, never used.
			{"server holds another Ed25519 key", &jwtgate.Key{Algorithm: "EdDSA", VerifyKey: otherPub}, "header"},
			// Even when the embedded key is the very key the server trusts,
			// a token carrying key material in its header is refused.
			{"server holds the embedded key itself", verifyOnly(ed), "header"},
		} {
			for _, err := range verifyBoth(t, srv.key, katN8) {
				assert.ErrorIs(t, err, jwtgate.ErrInvalidToken, srv.name)
				assert.Equal(t, srv.reason, jwtgate.Reason(err), srv.name)
			}
		}
	})
}

// verifyBoth returns the errors of VerifyJWS and of Verify (clock before exp).
func verifyBoth(t *testing.T, key *jwtgate.Key, tok string) []error {
	t.Helper()
	_, err1 := jwsAuth(t, key).VerifyJWS(context.Background(), tok)
	_, err2 := jwtAuth(t, key, rfcExp-1).Verify(context.Background(), tok)
	return []error{err1, err2}
}

func pemOf(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

// mustDER returns der, failing t on err.
func mustDER(t *testing.T) func(der []byte, err error) []byte {
	return func(der []byte, err error) []byte {
		t.Helper()
		require.NoError(t, err)
		return der
	}
}

// TestParsePEM reads every PEM form jwtgate.ParsePEM supports, built in the
// test with crypto/x509 from the RFC keys (and a fresh P-384 key), and checks
// the key it returns: the algorithm its type allows, the public key, the
// private key when there is one, and the kid. A key that signs is used to
// sign a token that its public half verifies.
func TestParsePEM(t *testing.T) {
	t.Parallel()
	rsaKey := parseKey(t, rfcA2JWK).SignKey.(*rsa.PrivateKey)
	ec256 := parseKey(t, rfcA3JWK).SignKey.(*ecdsa.PrivateKey)
	ec521 := parseKey(t, rfcA4JWK).SignKey.(*ecdsa.PrivateKey)
	edKey := parseKey(t, rfc8037JWK).SignKey.(ed25519.PrivateKey)
	ec384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	require.NoError(t, err)

	spki := func(pub crypto.PublicKey) []byte {
		return pemOf("PUBLIC KEY", mustDER(t)(x509.MarshalPKIXPublicKey(pub)))
	}
	pkcs8 := func(priv crypto.PrivateKey) []byte {
		return pemOf("PRIVATE KEY", mustDER(t)(x509.MarshalPKCS8PrivateKey(priv)))
	}
	sec1 := func(priv *ecdsa.PrivateKey) []byte {
		return pemOf("EC PRIVATE KEY", mustDER(t)(x509.MarshalECPrivateKey(priv)))
	}

	for _, c := range []struct {
		name    string
		pem     []byte
		alg     string // argument; "" for the default
		wantAlg string
		pub     crypto.PublicKey
		priv    crypto.Signer // nil for a verify-only key
	}{
		{"PKIX RSA public", spki(&rsaKey.PublicKey), "", "RS256", &rsaKey.PublicKey, nil},
		{"PKIX RSA public bound to PS256", spki(&rsaKey.PublicKey), "PS256", "PS256", &rsaKey.PublicKey, nil},
		{"PKIX P-256 public", spki(&ec256.PublicKey), "", "ES256", &ec256.PublicKey, nil},
		{"PKIX P-384 public", spki(&ec384.PublicKey), "", "ES384", &ec384.PublicKey, nil},
		{"PKIX P-521 public", spki(&ec521.PublicKey), "", "ES512", &ec521.PublicKey, nil},
		{"PKIX Ed25519 public", spki(edKey.Public()), "", "EdDSA", edKey.Public(), nil},
		{"PKCS#1 RSA public", pemOf("RSA PUBLIC KEY", x509.MarshalPKCS1PublicKey(&rsaKey.PublicKey)), "", "RS256", &rsaKey.PublicKey, nil},
		{"PKCS#8 RSA private", pkcs8(rsaKey), "", "RS256", &rsaKey.PublicKey, rsaKey},
		{"PKCS#8 RSA private bound to PS512", pkcs8(rsaKey), "PS512", "PS512", &rsaKey.PublicKey, rsaKey},
		{"PKCS#8 P-256 private", pkcs8(ec256), "", "ES256", &ec256.PublicKey, ec256},
		{"PKCS#8 P-521 private", pkcs8(ec521), "", "ES512", &ec521.PublicKey, ec521},
		{"PKCS#8 Ed25519 private", pkcs8(edKey), "", "EdDSA", edKey.Public(), edKey},
		{"PKCS#1 RSA private", pemOf("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rsaKey)), "", "RS256", &rsaKey.PublicKey, rsaKey},
		{"SEC 1 P-256 private", sec1(ec256), "", "ES256", &ec256.PublicKey, ec256},
		{"SEC 1 P-384 private", sec1(ec384), "", "ES384", &ec384.PublicKey, ec384},
		{"SEC 1 P-521 private", sec1(ec521), "", "ES512", &ec521.PublicKey, ec521},
		{"certificate with a P-256 key", pemOf("CERTIFICATE", selfSigned(t, ec256, ec256)), "", "ES256", &ec256.PublicKey, nil},
		{"certificate with an RSA key", pemOf("CERTIFICATE", selfSigned(t, rsaKey, ec256)), "", "RS256", &rsaKey.PublicKey, nil},
		{"PEM with text around it", append(append([]byte("key for the API:\n"), spki(&ec256.PublicKey)...), "# end\n"...), "", "ES256", &ec256.PublicKey, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			k, err := jwtgate.ParsePEM(c.pem, c.alg, "kid-1")
			require.NoError(t, err)
			assert.Equal(t, "kid-1", k.ID)
			assert.Equal(t, c.wantAlg, k.Algorithm)
			assert.True(t, c.pub.(interface{ Equal(crypto.PublicKey) bool }).Equal(k.VerifyKey), "VerifyKey")
			require.NoError(t, k.Validate())
			if c.priv == nil {
				assert.Nil(t, k.SignKey, "a public key does not sign")
				return
			}
			require.NotNil(t, k.SignKey)
			assert.True(t, c.priv.(interface{ Equal(crypto.PrivateKey) bool }).Equal(k.SignKey), "SignKey")
			// The key signs what its public half verifies.
			tok, err := jwt.NewWithClaims(jwt.GetSigningMethod(k.Algorithm), jwt.MapClaims{"iss": "joe", "exp": rfcExp}).SignedString(k.SignKey)
			require.NoError(t, err)
			_, err = jwsAuth(t, verifyOnly(k)).VerifyJWS(context.Background(), tok)
			assert.NoError(t, err)
		})
	}
}

// selfSigned is a self-signed certificate (DER) for key's public half,
// signed by signer.
func selfSigned(t *testing.T, key crypto.Signer, signer crypto.Signer) []byte {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(7),
		Subject:      pkix.Name{CommonName: "jwtgate test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), signer)
	require.NoError(t, err)
	return der
}

// TestParsePEMErrors checks that ParsePEM refuses what it must, saying why.
func TestParsePEMErrors(t *testing.T) {
	t.Parallel()
	rsa1024, err := rsa.GenerateKey(rand.Reader, 1024)
	require.NoError(t, err)
	ec256 := parseKey(t, rfcA3JWK).SignKey.(*ecdsa.PrivateKey)
	rsaA2 := parseKey(t, rfcA2JWK).VerifyKey.(*rsa.PublicKey)
	ec224, err := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	require.NoError(t, err)
	x25519, err := ecdh.X25519().GenerateKey(rand.Reader)
	require.NoError(t, err)
	pub := pemOf("PUBLIC KEY", mustDER(t)(x509.MarshalPKIXPublicKey(&ec256.PublicKey)))

	for _, c := range []struct {
		name string
		pem  []byte
		alg  string
		want string // a part of the error message
	}{
		{"empty input", nil, "", "no PEM block found"},
		{"garbage", []byte("this is not a key\n"), "", "no PEM block found"},
		{"a bare base64 key without PEM armour", []byte(base64.StdEncoding.EncodeToString(mustDER(t)(x509.MarshalPKIXPublicKey(&ec256.PublicKey)))), "", "no PEM block found"},
		{"two blocks", append(bytes.Clone(pub), pub...), "", "more than one PEM block"},
		{"unsupported block type ENCRYPTED PRIVATE KEY", pemOf("ENCRYPTED PRIVATE KEY", []byte{0x30, 0x00}), "", `unsupported PEM block "ENCRYPTED PRIVATE KEY"`},
		{"unsupported block type OPENSSH PRIVATE KEY", pemOf("OPENSSH PRIVATE KEY", []byte("openssh-key-v1\x00")), "", `unsupported PEM block "OPENSSH PRIVATE KEY"`},
		{"unsupported block type DSA PRIVATE KEY", pemOf("DSA PRIVATE KEY", []byte{0x30, 0x00}), "", `unsupported PEM block "DSA PRIVATE KEY"`},
		{"corrupt PUBLIC KEY", pemOf("PUBLIC KEY", []byte{0x30, 0x03, 0x02, 0x01, 0x00}), "", "PUBLIC KEY"},
		{"corrupt CERTIFICATE", pemOf("CERTIFICATE", []byte("not DER")), "", "CERTIFICATE"},
		{"RSA-1024 public", pemOf("PUBLIC KEY", mustDER(t)(x509.MarshalPKIXPublicKey(&rsa1024.PublicKey))), "", "at least 2048 bits"},
		{"RSA-1024 private", pemOf("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rsa1024)), "", "at least 2048 bits"},
		{"P-224 public", pemOf("PUBLIC KEY", mustDER(t)(x509.MarshalPKIXPublicKey(&ec224.PublicKey))), "", "unsupported curve"},
		{"X25519 public", pemOf("PUBLIC KEY", mustDER(t)(x509.MarshalPKIXPublicKey(x25519.PublicKey()))), "", "unsupported public key type"},
		{"X25519 private", pemOf("PRIVATE KEY", mustDER(t)(x509.MarshalPKCS8PrivateKey(x25519))), "", "unsupported private key type"},
		{"RSA public exponent 1", pemOf("RSA PUBLIC KEY", x509.MarshalPKCS1PublicKey(&rsa.PublicKey{N: rsaA2.N, E: 1})), "", "unsafe public exponent"},
		{"P-256 key bound to ES384", pub, "ES384", "P-384"},
		{"P-256 key bound to RS256", pub, "RS256", "*rsa.PublicKey"},
		{"P-256 key bound to HS256", pub, "HS256", "[]byte"},
		{"P-256 key bound to none", pub, "none", "not supported"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			k, err := jwtgate.ParsePEM(c.pem, c.alg, "")
			require.Error(t, err)
			assert.Nil(t, k)
			assert.Contains(t, err.Error(), c.want)
			assert.True(t, strings.HasPrefix(err.Error(), "jwtgate: "), "error %q says where it comes from", err)
		})
	}
}

// TestEd25519FullySpecified: RFC 9864's Ed25519 names the algorithm EdDSA
// names for an Ed25519 key. A JWK that carries either name, a token that
// names either, and an issuer that signs with either all work together; the
// key stays bound to that one algorithm (no other alg passes).
func TestEd25519FullySpecified(t *testing.T) {
	t.Parallel()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	for _, bound := range []string{"EdDSA", "Ed25519"} {
		key := &jwtgate.Key{ID: "ed", Algorithm: bound, VerifyKey: pub, SignKey: priv}
		published, err := jwks.Marshal(key)
		require.NoError(t, err)
		assert.Contains(t, string(published), `"alg":"`+bound+`"`)
		set, err := jwks.ParseSet(published)
		require.NoError(t, err)
		a, err := jwtgate.New(jwtgate.Config{Keys: set, SkipIssuerCheck: true, SkipAudienceCheck: true, ExpirationOptional: true})
		require.NoError(t, err)
		for _, alg := range []string{"EdDSA", "Ed25519"} {
			tok := jwt.NewWithClaims(signing.Method(alg), jwt.MapClaims{"sub": "alice"})
			tok.Header["kid"] = "ed"
			s, err := tok.SignedString(priv)
			require.NoError(t, err)
			_, err = a.Verify(context.Background(), s)
			assert.NoError(t, err, "key bound to %s, token alg %s", bound, alg)
		}
		hs := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": "alice"})
		hs.Header["kid"] = "ed"
		s, err := hs.SignedString([]byte(pub))
		require.NoError(t, err)
		_, err = a.Verify(context.Background(), s)
		assert.Equal(t, "algorithm", jwtgate.Reason(err), "the Ed25519 key is never an HMAC secret")
		k, err := jwks.ParseKey([]byte(`{"kty":"OKP","crv":"Ed25519","alg":"` + bound + `","kid":"x","x":"` + base64.RawURLEncoding.EncodeToString(pub) + `"}`))
		require.NoError(t, err)
		assert.Equal(t, bound, k.Algorithm)
	}
	assert.Equal(t, "Ed25519", signing.Method("Ed25519").Alg())
}
