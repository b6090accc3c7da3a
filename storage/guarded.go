package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// updateIf applies update to the document of coll with the given _id if the document also meets
// conds, and reports whether it did (the document existed and met them). On MongoDB the
// conditions are part of the update's filter, atomic with it. On the embedded server a filter
// with any key but _id reads the whole collection in Go (16 s for a case on a year of cases, with
// every customer waiting on the one connection meanwhile), so there the document is read by _id,
// the conditions are checked here, and the update goes by _id alone; guardMu makes the read,
// the check and the write one step for every conditional update of this process, the only one
// writing the embedded database.
//
// conds holds equality with a value, or one operator of $exists, $ne, $in and $nin, on top-level
// or dotted fields; a condition on a list is refused with an error (see pathValue).
func (s *Store) updateIf(ctx context.Context, coll *mongo.Collection, id string, conds, update bson.D) (bool, error) {
	if s.embedded == nil {
		filter := append(bson.D{{Key: "_id", Value: id}}, conds...)
		r, err := coll.UpdateOne(ctx, filter, update)
		if err != nil {
			return false, err
		}
		return r.MatchedCount > 0, nil
	}
	s.guardMu.Lock()
	defer s.guardMu.Unlock()
	byID := bson.D{{Key: "_id", Value: id}}
	proj := bson.D{{Key: "_id", Value: 1}}
	for _, c := range conds {
		proj = append(proj, bson.E{Key: c.Key, Value: 1})
	}
	doc, err := coll.FindOne(ctx, byID, options.FindOne().SetProjection(proj)).Raw()
	if errors.Is(err, mongo.ErrNoDocuments) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	ok, err := meets(doc, conds)
	if err != nil || !ok {
		return false, err
	}
	r, err := coll.UpdateOne(ctx, byID, update)
	if err != nil {
		return false, err
	}
	return r.MatchedCount > 0, nil
}

// meets reports whether doc meets every condition (see updateIf).
func meets(doc bson.Raw, conds bson.D) (bool, error) {
	for _, c := range conds {
		v, exists, err := pathValue(doc, c.Key)
		if err != nil {
			return false, err
		}
		op, arg, isOp := operator(c.Value)
		if !isOp {
			want, err := rawValue(c.Value)
			if err != nil {
				return false, err
			}
			if !exists || !sameValue(v, want) {
				return false, nil
			}
			continue
		}
		switch op {
		case "$exists":
			b, ok := arg.(bool)
			if !ok {
				return false, fmt.Errorf("condition %s: $exists takes a bool", c.Key)
			}
			if exists != b {
				return false, nil
			}
		case "$ne":
			want, err := rawValue(arg)
			if err != nil {
				return false, err
			}
			if exists && sameValue(v, want) {
				return false, nil
			}
		case "$in", "$nin":
			list, err := rawValue(arg)
			if err != nil {
				return false, err
			}
			arr, ok := list.ArrayOK()
			if !ok {
				return false, fmt.Errorf("condition %s: %s takes a list", c.Key, op)
			}
			vals, err := arr.Values()
			if err != nil {
				return false, err
			}
			in := false
			for _, x := range vals {
				if exists && sameValue(v, x) {
					in = true
					break
				}
			}
			if in != (op == "$in") {
				return false, nil
			}
		default:
			return false, fmt.Errorf("condition %s: operator %s is not supported here", c.Key, op)
		}
	}
	return true, nil
}

// pathValue is the value at the dotted path of doc; exists is false when a field on the way is
// missing or no document. A path that meets an array is refused: MongoDB would match its
// elements, which these guards do not.
func pathValue(doc bson.Raw, path string) (v bson.RawValue, exists bool, err error) {
	cur := doc
	keys := strings.Split(path, ".")
	for i, k := range keys {
		v, err := cur.LookupErr(k)
		if err != nil {
			return bson.RawValue{}, false, nil
		}
		if v.Type == bson.TypeArray {
			return bson.RawValue{}, false, fmt.Errorf("condition %s: %s is a list, which the guards do not look into", path, k)
		}
		if i == len(keys)-1 {
			return v, true, nil
		}
		d, ok := v.DocumentOK()
		if !ok {
			return bson.RawValue{}, false, nil
		}
		cur = d
	}
	return bson.RawValue{}, false, nil
}

// operator splits a condition value of one operator ({"$in": [...]}) into the operator and its
// argument; isOp is false for a plain value.
func operator(v any) (op string, arg any, isOp bool) {
	d, ok := v.(bson.D)
	if !ok || len(d) != 1 || !strings.HasPrefix(d[0].Key, "$") {
		return "", nil, false
	}
	return d[0].Key, d[0].Value, true
}

// rawValue is v as BSON.
func rawValue(v any) (bson.RawValue, error) {
	t, data, err := bson.MarshalValue(v)
	if err != nil {
		return bson.RawValue{}, fmt.Errorf("condition value %v: %w", v, err)
	}
	return bson.RawValue{Type: t, Value: data}, nil
}

// sameValue reports whether two BSON values are equal as MongoDB compares them for a condition:
// numbers by value whatever their type, everything else byte for byte.
func sameValue(a, b bson.RawValue) bool {
	if x, ok := number(a); ok {
		y, ok := number(b)
		return ok && x == y
	}
	return a.Type == b.Type && bytes.Equal(a.Value, b.Value)
}

// number is v's value when it is a number.
func number(v bson.RawValue) (float64, bool) {
	switch v.Type {
	case bson.TypeInt32:
		return float64(v.Int32()), true
	case bson.TypeInt64:
		return float64(v.Int64()), true
	case bson.TypeDouble:
		return v.Double(), true
	}
	return 0, false
}
