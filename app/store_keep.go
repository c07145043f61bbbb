package app

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
)

// Members this iapdesk does not know (written by a newer iapdesk with the
// same schema version, or added by hand) survive a load-modify-save:
// keepUnknown copies them from the file as read into the file about to be
// written, at every depth, by walking both JSON texts along the ConnectionsFile
// type. Decoding into ConnectionsFile drops them, and a bag of leftovers on every
// struct would make the settings types incomparable and leak into imports,
// so the merge works on the JSON instead.
//
// What counts as the same object: a struct member of the same name, a map
// entry of the same key, a profile of the same "id". A member is unknown
// when the Go type has no field of that name (matched case-insensitively,
// as encoding/json decodes). Known members are never copied back: a
// setting the user cleared stays cleared, a deleted profile or settings
// level stays deleted (and its unknown members with it).

// jsonMember is one member of a JSON object, in file order.
type jsonMember struct {
	key string
	val json.RawMessage
}

// keepUnknown returns out (the compact encoding of a ConnectionsFile) with the
// unknown members of prev (the file as read) added, and whether it added
// any. When none are added out is returned unchanged.
func keepUnknown(prev, out []byte) ([]byte, bool, error) {
	if !hasUnknown(prev) {
		return out, false, nil // the common case, at the cost of one decode
	}
	merged, changed, err := mergeUnknown(prev, out, reflect.TypeFor[ConnectionsFile]())
	if err != nil || !changed {
		return out, false, err
	}
	return merged, true, nil
}

// hasUnknown reports whether prev may hold members ConnectionsFile does not know:
// whether it fails to decode with DisallowUnknownFields, which checks every
// depth and matches names as decoding does.
func hasUnknown(prev []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(prev))
	dec.DisallowUnknownFields()
	var d ConnectionsFile
	return dec.Decode(&d) != nil
}

var (
	marshalerType   = reflect.TypeFor[json.Marshaler]()
	unmarshalerType = reflect.TypeFor[json.Unmarshaler]()
)

// mergeUnknown merges the unknown members of prev into cur, both JSON
// values of type t.
func mergeUnknown(prev, cur json.RawMessage, t reflect.Type) (json.RawMessage, bool, error) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Implements(marshalerType) || reflect.PointerTo(t).Implements(unmarshalerType) {
		return cur, false, nil // a leaf with its own encoding (Optional, time.Time)
	}
	switch t.Kind() {
	case reflect.Struct:
		return mergeStruct(prev, cur, t)
	case reflect.Map:
		if t.Key().Kind() == reflect.String {
			return mergeMap(prev, cur, t.Elem())
		}
	case reflect.Slice, reflect.Array:
		if idField(t.Elem()) >= 0 {
			return mergeByID(prev, cur, t.Elem())
		}
	}
	return cur, false, nil
}

func mergeStruct(prev, cur json.RawMessage, t reflect.Type) (json.RawMessage, bool, error) {
	old, ok := objectMembers(prev)
	if !ok {
		return cur, false, nil
	}
	now, ok := objectMembers(cur)
	if !ok {
		return cur, false, nil
	}
	changed := false
	for _, m := range old {
		f, known := jsonField(t, m.key)
		i := memberIndex(now, m.key, known)
		switch {
		case !known:
			if i < 0 {
				now = append(now, m)
				changed = true
			}
		case i >= 0:
			v, ch, err := mergeUnknown(m.val, now[i].val, f.Type)
			if err != nil {
				return nil, false, err
			}
			if ch {
				now[i].val, changed = v, true
			}
		case isStruct(f.Type):
			// Left out because every known field is unset now (omitzero):
			// keep the member if it holds unknown ones.
			v, ch, err := mergeUnknown(m.val, json.RawMessage("{}"), f.Type)
			if err != nil {
				return nil, false, err
			}
			if ch {
				now = append(now, jsonMember{key: m.key, val: v})
				changed = true
			}
		}
	}
	if !changed {
		return cur, false, nil
	}
	return encodeObject(now), true, nil
}

func mergeMap(prev, cur json.RawMessage, elem reflect.Type) (json.RawMessage, bool, error) {
	old, ok := objectMembers(prev)
	if !ok {
		return cur, false, nil
	}
	now, ok := objectMembers(cur)
	if !ok {
		return cur, false, nil
	}
	changed := false
	for _, m := range old {
		i := memberIndex(now, m.key, false)
		if i < 0 {
			continue // the entry was deleted
		}
		v, ch, err := mergeUnknown(m.val, now[i].val, elem)
		if err != nil {
			return nil, false, err
		}
		if ch {
			now[i].val, changed = v, true
		}
	}
	if !changed {
		return cur, false, nil
	}
	return encodeObject(now), true, nil
}

// mergeByID merges arrays of objects with an "id" member (profiles),
// pairing elements by id; elements without a partner are new or deleted.
func mergeByID(prev, cur json.RawMessage, elem reflect.Type) (json.RawMessage, bool, error) {
	var old, now []json.RawMessage
	if json.Unmarshal(prev, &old) != nil || json.Unmarshal(cur, &now) != nil {
		return cur, false, nil
	}
	byID := make(map[string]json.RawMessage, len(old))
	for _, o := range old {
		if id, ok := elementID(o); ok {
			byID[id] = o
		}
	}
	changed := false
	for i, n := range now {
		id, ok := elementID(n)
		if !ok {
			continue
		}
		o, ok := byID[id]
		if !ok {
			continue
		}
		v, ch, err := mergeUnknown(o, n, elem)
		if err != nil {
			return nil, false, err
		}
		if ch {
			now[i], changed = v, true
		}
	}
	if !changed {
		return cur, false, nil
	}
	b, err := json.Marshal(now)
	if err != nil {
		return nil, false, fmt.Errorf("encode merged list: %w", err)
	}
	return b, true, nil
}

// elementID returns the "id" member of a JSON object.
func elementID(b json.RawMessage) (string, bool) {
	var v struct {
		ID *string `json:"id"`
	}
	if json.Unmarshal(b, &v) != nil || v.ID == nil {
		return "", false
	}
	return *v.ID, true
}

// objectMembers returns the members of a JSON object in order; ok is
// false if b is not an object.
func objectMembers(b json.RawMessage) ([]jsonMember, bool) {
	dec := json.NewDecoder(bytes.NewReader(b))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, false
	}
	var out []jsonMember
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, false
		}
		key, ok := tok.(string)
		if !ok {
			return nil, false
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, false
		}
		out = append(out, jsonMember{key: key, val: v})
	}
	return out, true
}

func encodeObject(ms []jsonMember) json.RawMessage {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range ms {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(m.key) // a string always encodes
		b.Write(k)
		b.WriteByte(':')
		b.Write(m.val)
	}
	b.WriteByte('}')
	return b.Bytes()
}

// memberIndex finds key among ms: exactly, or, for a known field (fold),
// case-insensitively as encoding/json matches it.
func memberIndex(ms []jsonMember, key string, fold bool) int {
	for i, m := range ms {
		if m.key == key || fold && strings.EqualFold(m.key, key) {
			return i
		}
	}
	return -1
}

// jsonField returns the exported field of struct t that encoding/json
// decodes the member key into.
func jsonField(t reflect.Type, key string) (reflect.StructField, bool) {
	var fold reflect.StructField
	found := false
	for i := range t.NumField() {
		f := t.Field(i)
		name, ok := jsonName(f)
		if !ok {
			continue
		}
		if name == key {
			return f, true
		}
		if !found && strings.EqualFold(name, key) {
			fold, found = f, true
		}
	}
	return fold, found
}

// jsonName is the member name of field f, and false if encoding/json
// skips it.
func jsonName(f reflect.StructField) (string, bool) {
	if !f.IsExported() {
		return "", false
	}
	tag := f.Tag.Get("json")
	if tag == "-" {
		return "", false
	}
	if name, _, _ := strings.Cut(tag, ","); name != "" {
		return name, true
	}
	return f.Name, true
}

// idField returns the index of the field of elem (a struct) encoded as
// "id", or -1.
func idField(elem reflect.Type) int {
	if elem.Kind() != reflect.Struct {
		return -1
	}
	for i := range elem.NumField() {
		if name, ok := jsonName(elem.Field(i)); ok && name == "id" {
			return i
		}
	}
	return -1
}

func isStruct(t reflect.Type) bool {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Kind() == reflect.Struct && !t.Implements(marshalerType) && !reflect.PointerTo(t).Implements(unmarshalerType)
}
