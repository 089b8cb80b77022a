package jwtgate

import (
	"encoding"
	"encoding/json"
	"reflect"
	"strings"
	"sync"

	"github.com/jwtgate/jwtgate/core/internal/parse"
)

// A claims type of the caller's is filled in by encoding/json, which matches
// a JSON name to a field case-insensitively when no field has the exact
// name: {"ROLE":"admin"} sets a field tagged "role". Claims.Get, the default
// Claims and RFC 7519 (§4: names are case-sensitive) read "ROLE" as another
// claim. So that a token has one reading whatever claims type reads it,
// members whose name matches a field of the type only under case folding are
// dropped before encoding/json sees them — in nested objects too, by the
// field types there. (Names equal to each other under folding are refused by
// the reader already.) A payload that needs no such drop, which is every
// ordinary one, is decoded as it is.

// exactPayload returns payload with the members dropped that the JSON
// decoding of a value of type t would match only case-insensitively.
func exactPayload(payload string, t reflect.Type) string {
	if t == nil {
		return payload
	}
	if !needsDrop(payload, t, 0) {
		return payload
	}
	var b strings.Builder
	b.Grow(len(payload))
	writeExact(&b, payload, t, 0)
	return b.String()
}

// maxExactDepth bounds how deep the field types are followed; deeper values
// are left to encoding/json as they are (a type nested deeper than this is
// not a claims type).
const maxExactDepth = 32

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// opaque reports whether values of t decode themselves, or hold no names
// matched by encoding/json's folding.
func opaque(t reflect.Type) bool {
	pt := reflect.PointerTo(t)
	if t.Implements(jsonUnmarshaler) || pt.Implements(jsonUnmarshaler) || pt.Implements(textUnmarshaler) {
		return true
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map, reflect.Slice, reflect.Array:
		return false
	}
	return true // scalars, interfaces (decoded to exact maps), functions…
}

func deref(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

// needsDrop reports whether the raw JSON value v, decoded into t, has a
// member matched only under case folding.
//
// Kept whole: it walks JSON and a Go type together, one case per kind of
// each (object into struct or map, array into slice or array), as
// writeExact does; the two must stay side by side to agree.
func needsDrop(v string, t reflect.Type, depth int) bool {
	t = deref(t)
	if depth > maxExactDepth || opaque(t) || len(v) == 0 {
		return false
	}
	switch {
	case t.Kind() == reflect.Struct && v[0] == '{':
		f := fieldsOf(t)
		var m parse.Members[string]
		for {
			name, value, ok := m.Next(v)
			if !ok {
				return false
			}
			if ft, ok := f.exact[name]; ok {
				if needsDrop(value, ft, depth+1) {
					return true
				}
			} else if f.folded[parse.Fold(name)] {
				return true
			}
		}
	case t.Kind() == reflect.Map && v[0] == '{':
		var m parse.Members[string]
		for {
			_, value, ok := m.Next(v)
			if !ok {
				return false
			}
			if needsDrop(value, t.Elem(), depth+1) {
				return true
			}
		}
	case (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) && v[0] == '[':
		for e, i, ok := parse.NextElem(v, 0); ok; e, i, ok = parse.NextElem(v, i) {
			if needsDrop(e, t.Elem(), depth+1) {
				return true
			}
		}
	}
	return false
}

// writeExact writes v, decoded into t, without the members needsDrop finds.
//
// Kept whole: the same walk as needsDrop's, case for case.
func writeExact(b *strings.Builder, v string, t reflect.Type, depth int) {
	t = deref(t)
	if depth > maxExactDepth || opaque(t) || len(v) == 0 {
		b.WriteString(v)
		return
	}
	switch {
	case (t.Kind() == reflect.Struct || t.Kind() == reflect.Map) && v[0] == '{':
		var f *fieldSet
		if t.Kind() == reflect.Struct {
			f = fieldsOf(t)
		}
		b.WriteByte('{')
		first := true
		var m parse.Members[string]
		for {
			name, value, ok := m.Next(v)
			if !ok {
				break
			}
			et := t
			if f != nil {
				ft, exact := f.exact[name]
				if !exact && f.folded[parse.Fold(name)] {
					continue
				}
				et = ft
			} else {
				et = t.Elem()
			}
			if !first {
				b.WriteByte(',')
			}
			first = false
			nb, _ := json.Marshal(name)
			b.Write(nb)
			b.WriteByte(':')
			if et == nil { // a name no field has: encoding/json skips it
				b.WriteString(value)
			} else {
				writeExact(b, value, et, depth+1)
			}
		}
		b.WriteByte('}')
	case (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) && v[0] == '[':
		b.WriteByte('[')
		first := true
		for e, i, ok := parse.NextElem(v, 0); ok; e, i, ok = parse.NextElem(v, i) {
			if !first {
				b.WriteByte(',')
			}
			first = false
			writeExact(b, e, t.Elem(), depth+1)
		}
		b.WriteByte(']')
	default:
		b.WriteString(v)
	}
}

// fieldSet is what encoding/json matches names against in a struct type:
// each field's JSON name (promoted fields of embedded structs included) with
// its type, and the same names folded.
type fieldSet struct {
	exact  map[string]reflect.Type
	folded map[string]bool
}

var fieldSets sync.Map // reflect.Type → *fieldSet

func fieldsOf(t reflect.Type) *fieldSet {
	if f, ok := fieldSets.Load(t); ok {
		return f.(*fieldSet)
	}
	f := &fieldSet{exact: map[string]reflect.Type{}, folded: map[string]bool{}}
	addFields(f, t, 0)
	for name := range f.exact {
		f.folded[parse.Fold(name)] = true
	}
	fieldSets.Store(t, f)
	return f
}

// addFields adds the JSON names of struct t's fields, as encoding/json names
// them: the tag's name, else the field's; embedded structs without a tag
// name promote theirs. A name two fields share is kept: a superset only
// makes more names count as exact, never fewer.
func addFields(f *fieldSet, t reflect.Type, depth int) {
	if depth > maxExactDepth {
		return
	}
	for i := range t.NumField() {
		sf := t.Field(i)
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		ft := deref(sf.Type)
		if sf.Anonymous && name == "" && ft.Kind() == reflect.Struct {
			addFields(f, ft, depth+1)
			continue
		}
		if !sf.IsExported() {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		f.exact[name] = sf.Type
	}
}
