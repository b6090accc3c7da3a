package storage

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// The webhook's replay records: webhook_nonces_YYYYMMDDHH, one collection per hour (UTC) of the
// callbacks' own timestamps. Each holds one document per signed (timestamp, nonce) pair the
// webhook accepted, its _id "<timestamp>:<nonce>" (an insert on a unique key, so it holds
// across instances, and the only lookup is by _id) with a hash of the body. A pair is useful
// only while its timestamp is within wechat.max_clock_skew of now: older hours are dropped whole
// (MaintainCallbacks), which costs nothing however many pairs they hold, instead of deleting
// documents, which would read the whole collection on the embedded server.

// callbackPrefix starts the name of every hour's collection of replay records.
const callbackPrefix = "webhook_nonces_"

// callbackPeriod is the span of one collection of replay records.
const callbackPeriod = time.Hour

// callbackMargin is added to the clock skew before an hour is dropped, for instances whose
// clocks differ a little.
const callbackMargin = time.Minute

// CallbackSeen says whether a signed (timestamp, nonce) pair was seen before.
type CallbackSeen int

// What RecordCallbacks found of a pair.
const (
	// CallbackNew: the pair was not seen before; it is now recorded.
	CallbackNew CallbackSeen = iota
	// CallbackRepeated: the pair was seen with the same body (WeChat repeating its callback).
	CallbackRepeated
	// CallbackReused: the pair was seen with another body: a replayed signature.
	CallbackReused
)

// callbackBucket is the name of the collection holding pairs with timestamp ts (Unix seconds).
func callbackBucket(ts int64) string {
	return callbackPrefix + time.Unix(ts, 0).UTC().Format("2006010215")
}

// bucketStart is when the hour of a bucket's name starts; ok is false for other names.
func bucketStart(name string) (time.Time, bool) {
	rest, ok := strings.CutPrefix(name, callbackPrefix)
	if !ok || len(rest) != 10 {
		return time.Time{}, false
	}
	t, err := time.ParseInLocation("2006010215", rest, time.UTC)
	return t, err == nil
}

// CallbackPair is a signed (timestamp, nonce) pair of a callback the webhook accepted, with a
// hash of its body.
type CallbackPair struct {
	// TS is the callback's timestamp, Unix seconds.
	TS       int64
	Nonce    string
	BodyHash string
}

// RecordCallbacks records that the webhook accepted callbacks, each signed with a timestamp TS
// (Unix seconds) and a nonce and with a body that hashes to BodyHash, and says of each whether the
// pair was seen before: one unordered insert for those of one hour (the callbacks that arrived
// together), and a lookup by _id for each pair that was taken, to compare the bodies. Pairs that
// repeat within pairs count as seen before.
func (s *Store) RecordCallbacks(ctx context.Context, pairs []CallbackPair) ([]CallbackSeen, error) {
	seen := make([]CallbackSeen, len(pairs))
	byBucket := map[string][]int{}
	var buckets []string
	for i, p := range pairs {
		b := callbackBucket(p.TS)
		if _, ok := byBucket[b]; !ok {
			buckets = append(buckets, b)
		}
		byBucket[b] = append(byBucket[b], i)
	}
	for _, b := range buckets {
		idx := byBucket[b]
		c := s.db.Collection(b)
		docs := make([]any, len(idx))
		for j, i := range idx {
			docs[j] = bson.D{{Key: "_id", Value: callbackID(pairs[i])}, {Key: "h", Value: pairs[i].BodyHash}}
		}
		errs := s.grouped.insert(ctx, b, docs...) // with other callbacks' pairs of the moment
		for j, i := range idx {
			if errs[j] == nil {
				continue
			}
			if !IsDuplicate(errs[j]) {
				return nil, fmt.Errorf("record callback nonce: %w", errs[j])
			}
			var doc struct {
				Hash string `bson:"h"`
			}
			if err := c.FindOne(ctx, bson.D{{Key: "_id", Value: callbackID(pairs[i])}}).Decode(&doc); err != nil {
				return nil, fmt.Errorf("look up callback nonce: %w", notFound(err))
			}
			seen[i] = CallbackReused
			if doc.Hash == pairs[i].BodyHash {
				seen[i] = CallbackRepeated
			}
		}
	}
	return seen, nil
}

func callbackID(p CallbackPair) string { return strconv.FormatInt(p.TS, 10) + ":" + p.Nonce }

// CallbackBuckets lists the hours of replay records that exist, oldest first.
func (s *Store) CallbackBuckets(ctx context.Context) ([]string, error) {
	names, err := s.db.ListCollectionNames(ctx, bson.D{})
	if err != nil {
		return nil, fmt.Errorf("list replay records: %w", err)
	}
	var out []string
	for _, n := range names {
		if _, ok := bucketStart(n); ok {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out, nil
}

// MaintainCallbacks keeps the replay records for a clock skew of skew at now: it drops the hours
// whose pairs are all too old to be accepted and, with prepare, creates ahead of use the
// collections of the hours that may be written before it runs again (up to an hour and the skew
// ahead; on the embedded server with their _id index rebuilt, so that the lookup of a repeated
// pair is indexed). It returns how many hours it dropped. Running it on several instances at once
// is harmless; once an hour is enough.
func (s *Store) MaintainCallbacks(ctx context.Context, now time.Time, skew time.Duration, prepare bool) (int, error) {
	existing, err := s.CallbackBuckets(ctx)
	if err != nil {
		return 0, err
	}
	dropped := 0
	have := map[string]bool{}
	for _, name := range existing {
		start, _ := bucketStart(name)
		if !start.Add(callbackPeriod + skew + callbackMargin).After(now) {
			if err := s.db.Collection(name).Drop(ctx); err != nil {
				return dropped, fmt.Errorf("drop replay records %s: %w", name, err)
			}
			dropped++
			continue
		}
		have[name] = true
	}
	if !prepare {
		return dropped, nil
	}
	created := false
	for t := now.Add(-skew).Truncate(callbackPeriod); !t.After(now.Add(skew + callbackPeriod)); t = t.Add(callbackPeriod) {
		name := callbackBucket(t.Unix())
		if have[name] {
			continue
		}
		err := s.db.CreateCollection(ctx, name)
		var ce mongo.CommandError
		if err != nil && !(errors.As(err, &ce) && ce.Code == 48) { // 48: NamespaceExists (another instance)
			return dropped, fmt.Errorf("create replay records %s: %w", name, err)
		}
		created = true
	}
	if created {
		if err := s.IndexEmbedded(ctx); err != nil {
			return dropped, err
		}
	}
	return dropped, nil
}
