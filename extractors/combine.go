package extractors

import "strconv"

// checkExtractors panics on a programmer error in the arguments of Chain or
// Exclusive.
func checkExtractors(fn string, exs []Extractor) {
	if len(exs) == 0 {
		panic("extractors: " + fn + " needs at least one extractor")
	}
	for i, ex := range exs {
		if ex == nil {
			panic("extractors: " + fn + ": extractor " + strconv.Itoa(i) + " is nil")
		}
	}
}

// chain implements Chain.
type chain []Extractor

// Chain returns an extractor that tries exs in order and returns the first
// token found. An error from an extractor tried before a token is found is
// returned at once; extractors after the first hit are not run, so a token
// also sent by a later method goes unnoticed. Prefer Exclusive, which enforces
// RFC 6750 §2; Chain is for migrations where several methods are accepted on
// purpose. Chain panics if exs is empty or holds a nil extractor.
func Chain(exs ...Extractor) Extractor {
	checkExtractors("Chain", exs)
	if len(exs) == 1 {
		return exs[0]
	}
	return append(chain(nil), exs...)
}

func (c chain) Extract(r Request) (token string, source Source, err error) {
	for _, ex := range c {
		token, source, err = ex.Extract(r)
		if err != nil {
			return "", Source{}, err
		}
		if token != "" {
			return token, source, nil
		}
	}
	return "", Source{}, nil
}

// exclusive implements Exclusive.
type exclusive []Extractor

// Exclusive returns an extractor that runs every one of exs and accepts the
// request only if at most one of them finds a token (RFC 6750 §2: "Clients
// MUST NOT use more than one method to transmit the token in each request").
//
// The first error, in the order of exs, is returned. Otherwise, if two or more
// extractors find a token, the request is refused with an error wrapping
// ErrMultipleMethods, even if the tokens are equal. Two extractors that report
// the same source and token (the same extractor listed twice) count once.
// Exclusive panics if exs is empty or holds a nil extractor.
func Exclusive(exs ...Extractor) Extractor {
	checkExtractors("Exclusive", exs)
	if len(exs) == 1 {
		return exs[0]
	}
	return append(exclusive(nil), exs...)
}

func (x exclusive) Extract(r Request) (token string, source Source, err error) {
	var other Source
	for _, ex := range x {
		t, s, err := ex.Extract(r)
		switch {
		case err != nil:
			return "", Source{}, err
		case t == "":
		case token == "":
			token, source = t, s
		case other.IsZero() && (s != source || t != token):
			// Keep running: an error from a later extractor takes precedence.
			other = s
		}
	}
	if !other.IsZero() {
		return "", Source{}, &multipleMethodsError{first: source.String(), second: other.String()}
	}
	return token, source, nil
}
