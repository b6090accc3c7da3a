package storage

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// The customers' pictures kept as evidence:
//
//   - media_fetch: one request per picture a customer sent (MediaRequest), _id = WeChat's MediaId,
//     inserted on the customer's path when the picture arrives (a retry of the message inserts it
//     again: a duplicate key, ignored). It is never updated.
//   - media: one document per picture the worker finished with (MediaFile), _id = the MediaId:
//     stored (with its size, type and checksum) or expired. Inserted once, never updated; it is
//     also what says a request is done.
//   - media_chunks: a stored picture's bytes in chunks of MediaChunkSize, _id = "<MediaId>#<n>".
//
// Everything is read by _id. The driver's GridFS bucket is not used: it finds a file's chunks
// with the filter {files_id, n}, which the embedded server answers by reading every chunk of
// every file in Go.
func init() {
	addIndex(mediaRequests, false, "expires_at", 1) // MongoDB's look for open requests
	addCollection(mediaFiles)
	addCollection(mediaChunks)
}

// The media collections.
const (
	mediaRequests = "media_fetch"
	mediaFiles    = "media"
	mediaChunks   = "media_chunks"
)

// MediaChunkSize is the size of one stored chunk of a picture.
const MediaChunkSize = 255 << 10

// MediaLifetime is how long WeChat keeps a temporary MediaId: the picture must be downloaded
// within it.
const MediaLifetime = 72 * time.Hour

// MaxMediaBytes is the largest picture the store keeps.
const MaxMediaBytes = 20 << 20

// MediaRequest asks for a customer's picture to be downloaded from WeChat and kept.
type MediaRequest struct {
	// ID is WeChat's MediaId.
	ID string `bson:"_id"`
	// OpenID is the customer who sent it.
	OpenID string `bson:"openid"`
	// Type is the input type ("image").
	Type string `bson:"type"`
	// At is when it arrived; Expires when WeChat forgets it (At + MediaLifetime).
	At      time.Time `bson:"at"`
	Expires time.Time `bson:"expires_at"`
}

// MediaStatus is what became of a requested picture.
type MediaStatus string

// The statuses of a picture.
const (
	// MediaPending: not downloaded yet, and WeChat still has it.
	MediaPending MediaStatus = "pending"
	// MediaStored: downloaded and kept.
	MediaStored MediaStatus = "stored"
	// MediaExpired: WeChat no longer has it and it was not kept.
	MediaExpired MediaStatus = "expired"
)

// MediaFile is a picture the worker finished with.
type MediaFile struct {
	ID          string      `bson:"_id"`
	OpenID      string      `bson:"openid"`
	Status      MediaStatus `bson:"status"`
	ContentType string      `bson:"content_type,omitempty"`
	Size        int         `bson:"size"`
	Chunks      int         `bson:"chunks"`
	SHA256      string      `bson:"sha256,omitempty"`
	// Reason says why an expired picture was not kept (for operators).
	Reason string    `bson:"reason,omitempty"`
	At     time.Time `bson:"at"`
}

type mediaChunk struct {
	ID   string `bson:"_id"`
	Data []byte `bson:"data"`
}

// openMedia is, on the embedded server, the list of requests not yet done: the embedded server
// answers no filter but {_id} from an index, so the worker takes its work from this list instead
// of scanning media_fetch. Only this process writes the embedded database, so every request and
// outcome passes through the Store and is noted here; the first use loads the open requests of
// the last MediaLifetime with one read of the SQLite file (see readSQLite) and drops those
// already done (a look by _id each).
type openMedia struct {
	loadMu sync.Mutex
	loaded bool

	mu   sync.Mutex
	reqs map[string]MediaRequest
}

func (o *openMedia) add(r MediaRequest) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.reqs == nil {
		o.reqs = map[string]MediaRequest{}
	}
	o.reqs[r.ID] = r
}

func (o *openMedia) done(id string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	delete(o.reqs, id)
}

func (o *openMedia) list() []MediaRequest {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make([]MediaRequest, 0, len(o.reqs))
	for _, r := range o.reqs {
		out = append(out, r)
	}
	return out
}

// mediaLists holds each embedded Store's openMedia (a Store has no field for it).
var mediaLists sync.Map // *Store → *openMedia

func (s *Store) openMediaList() *openMedia {
	v, _ := mediaLists.LoadOrStore(s, &openMedia{})
	return v.(*openMedia)
}

// RequestMedia records that the customer's picture must be kept: one insert, keyed by the
// MediaId, so a retry of the same message stores nothing more. It does not download anything.
func (s *Store) RequestMedia(ctx context.Context, r MediaRequest) error {
	if r.ID == "" {
		return errors.New("request media: no media id")
	}
	if r.Expires.IsZero() {
		r.Expires = r.At.Add(MediaLifetime)
	}
	_, err := s.db.Collection(mediaRequests).InsertOne(ctx, r)
	if IsDuplicate(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("request media %s: %w", r.ID, err)
	}
	if s.embedded != nil {
		s.openMediaList().add(r)
	}
	return nil
}

// MediaRequestByID returns the request for the picture (ErrNotFound when there is none).
func (s *Store) MediaRequestByID(ctx context.Context, id string) (MediaRequest, error) {
	ctx, stop := s.scanContext(ctx)
	defer stop()
	var r MediaRequest
	err := s.ScanCollection(mediaRequests).FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&r)
	if err != nil {
		return MediaRequest{}, fmt.Errorf("media request %s: %w", id, notFound(err))
	}
	return r, nil
}

// OpenMediaRequests returns the requests not done yet whose pictures WeChat kept until at least
// since (the worker passes a little before now, so that it records the expiry of those that
// lapsed meanwhile), oldest first. On the embedded server they come from the process's list (see
// openMedia); on MongoDB from the expires_at index.
func (s *Store) OpenMediaRequests(ctx context.Context, since time.Time) ([]MediaRequest, error) {
	var out []MediaRequest
	if s.embedded != nil {
		list := s.openMediaList()
		if err := s.loadOpenMedia(ctx, list, since); err != nil {
			return nil, err
		}
		out = list.list()
	} else {
		var reqs []MediaRequest
		cur, err := s.db.Collection(mediaRequests).Find(ctx, bson.D{{Key: "expires_at", Value: bson.D{{Key: "$gt", Value: since}}}})
		if err != nil {
			return nil, fmt.Errorf("open media requests: %w", err)
		}
		if err := cur.All(ctx, &reqs); err != nil {
			return nil, fmt.Errorf("open media requests: %w", err)
		}
		done, err := s.finishedMedia(ctx, reqs)
		if err != nil {
			return nil, err
		}
		for _, r := range reqs {
			if !done[r.ID] {
				out = append(out, r)
			}
		}
	}
	slices.SortFunc(out, func(a, b MediaRequest) int {
		if n := a.At.Compare(b.At); n != 0 {
			return n
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// finishedMedia returns which of the requests have a MediaFile, on MongoDB.
func (s *Store) finishedMedia(ctx context.Context, reqs []MediaRequest) (map[string]bool, error) {
	done := map[string]bool{}
	for start := 0; start < len(reqs); start += 500 {
		ids := make([]string, 0, 500)
		for _, r := range reqs[start:min(start+500, len(reqs))] {
			ids = append(ids, r.ID)
		}
		cur, err := s.db.Collection(mediaFiles).Find(ctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: ids}}}},
			options.Find().SetProjection(bson.D{{Key: "_id", Value: 1}}))
		if err != nil {
			return nil, fmt.Errorf("open media requests: %w", err)
		}
		var found []struct {
			ID string `bson:"_id"`
		}
		if err := cur.All(ctx, &found); err != nil {
			return nil, fmt.Errorf("open media requests: %w", err)
		}
		for _, f := range found {
			done[f.ID] = true
		}
	}
	return done, nil
}

// loadOpenMedia loads, once, the requests of the embedded server that expire after since and are
// not done.
func (s *Store) loadOpenMedia(ctx context.Context, list *openMedia, since time.Time) error {
	list.loadMu.Lock()
	defer list.loadMu.Unlock()
	if list.loaded {
		return nil
	}
	reqs, err := s.mediaRequestsFromSQLite(ctx, since)
	if err != nil {
		return fmt.Errorf("load open media requests: %w", err)
	}
	// A request expiring after since arrived after since - MediaLifetime, and so was finished
	// after that.
	done, err := s.mediaDoneFromSQLite(ctx, since.Add(-MediaLifetime))
	if err != nil {
		return fmt.Errorf("load open media requests: %w", err)
	}
	for _, r := range reqs {
		if !done[r.ID] {
			list.add(r)
		}
	}
	list.loaded = true
	return nil
}

// mediaDoneFromSQLite returns the ids of the pictures finished after since, straight from the
// embedded server's SQLite file.
func (s *Store) mediaDoneFromSQLite(ctx context.Context, since time.Time) (map[string]bool, error) {
	db, table, err := s.readSQLite(ctx, mediaFiles)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	done := map[string]bool{}
	if table == "" {
		return done, nil
	}
	const j = sjsonColumn
	rows, err := db.QueryContext(ctx, `SELECT `+j+`->>'$._id' FROM "`+table+`" WHERE `+j+`->>'$.at' > ?`, since.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("read the media table: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("read the media table: %w", err)
		}
		done[id] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read the media table: %w", err)
	}
	return done, nil
}

// mediaRequestsFromSQLite reads the requests that expire after since straight from the embedded
// server's SQLite file.
func (s *Store) mediaRequestsFromSQLite(ctx context.Context, since time.Time) ([]MediaRequest, error) {
	db, table, err := s.readSQLite(ctx, mediaRequests)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	if table == "" {
		return nil, nil
	}
	const j = sjsonColumn
	rows, err := db.QueryContext(ctx, `SELECT `+j+`->>'$._id', `+j+`->>'$.openid', `+j+`->>'$.type', `+j+`->>'$.at', `+j+`->>'$.expires_at' FROM "`+
		table+`" WHERE `+j+`->>'$.expires_at' > ?`, since.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("read the media requests table: %w", err)
	}
	defer rows.Close()
	var out []MediaRequest
	for rows.Next() {
		var r MediaRequest
		var openID, typ sql.NullString
		var at, exp sql.NullInt64
		if err := rows.Scan(&r.ID, &openID, &typ, &at, &exp); err != nil {
			return nil, fmt.Errorf("read the media requests table: %w", err)
		}
		r.OpenID, r.Type, r.At, r.Expires = openID.String, typ.String, sjsonTime(at), sjsonTime(exp)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read the media requests table: %w", err)
	}
	return out, nil
}

// SaveMedia keeps the downloaded picture of the request: its chunks first, then its MediaFile,
// which marks it done. A save cut off midway is done again by the next attempt (a chunk already
// written holds the same bytes: a MediaId's content never changes).
func (s *Store) SaveMedia(ctx context.Context, r MediaRequest, contentType string, data []byte, now time.Time) error {
	if len(data) == 0 {
		return fmt.Errorf("save media %s: no data", r.ID)
	}
	if len(data) > MaxMediaBytes {
		return fmt.Errorf("save media %s: %d bytes is more than %d", r.ID, len(data), MaxMediaBytes)
	}
	chunks := s.db.Collection(mediaChunks)
	n := 0
	for off := 0; off < len(data); off += MediaChunkSize {
		end := min(off+MediaChunkSize, len(data))
		_, err := chunks.InsertOne(ctx, mediaChunk{ID: chunkID(r.ID, n), Data: data[off:end]})
		if err != nil && !IsDuplicate(err) {
			return fmt.Errorf("save media %s chunk %d: %w", r.ID, n, err)
		}
		n++
	}
	sum := sha256.Sum256(data)
	f := MediaFile{ID: r.ID, OpenID: r.OpenID, Status: MediaStored, ContentType: contentType, Size: len(data), Chunks: n,
		SHA256: hex.EncodeToString(sum[:]), At: now}
	return s.finishMedia(ctx, f)
}

// ExpireMedia records that the request's picture was not kept, and why (for operators).
func (s *Store) ExpireMedia(ctx context.Context, r MediaRequest, reason string, now time.Time) error {
	return s.finishMedia(ctx, MediaFile{ID: r.ID, OpenID: r.OpenID, Status: MediaExpired, Reason: reason, At: now})
}

func (s *Store) finishMedia(ctx context.Context, f MediaFile) error {
	_, err := s.db.Collection(mediaFiles).InsertOne(ctx, f)
	if err != nil && !IsDuplicate(err) { // a duplicate: another attempt finished it first
		return fmt.Errorf("finish media %s: %w", f.ID, err)
	}
	if s.embedded != nil {
		s.openMediaList().done(f.ID)
	}
	return nil
}

// MediaState says what the console can show of the picture at now: its MediaFile when the
// worker is done with it (stored or expired), else a pending one while WeChat still has it and
// an expired one after; ErrNotFound when no customer sent it.
func (s *Store) MediaState(ctx context.Context, id string, now time.Time) (MediaFile, MediaRequest, error) {
	ctx, stop := s.scanContext(ctx)
	defer stop()
	r, err := s.MediaRequestByID(ctx, id)
	if err != nil {
		return MediaFile{}, MediaRequest{}, err
	}
	var f MediaFile
	err = s.ScanCollection(mediaFiles).FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&f)
	switch notFound(err) {
	case nil:
		return f, r, nil
	case ErrNotFound:
		f = MediaFile{ID: id, OpenID: r.OpenID, Status: MediaPending}
		if !now.Before(r.Expires) {
			f.Status = MediaExpired
		}
		return f, r, nil
	default:
		return MediaFile{}, MediaRequest{}, fmt.Errorf("media %s: %w", id, err)
	}
}

// MediaData reads a stored picture's bytes, chunk by chunk by _id, and checks them against the
// file's checksum.
func (s *Store) MediaData(ctx context.Context, f MediaFile) ([]byte, error) {
	ctx, stop := s.scanContext(ctx)
	defer stop()
	if f.Status != MediaStored {
		return nil, fmt.Errorf("media %s: %w", f.ID, ErrNotFound)
	}
	data := make([]byte, 0, f.Size)
	coll := s.ScanCollection(mediaChunks)
	for n := range f.Chunks {
		var c mediaChunk
		if err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: chunkID(f.ID, n)}}).Decode(&c); err != nil {
			return nil, fmt.Errorf("media %s chunk %d: %w", f.ID, n, notFound(err))
		}
		data = append(data, c.Data...)
	}
	sum := sha256.Sum256(data)
	if len(data) != f.Size || hex.EncodeToString(sum[:]) != f.SHA256 {
		return nil, fmt.Errorf("media %s: stored bytes do not match the checksum", f.ID)
	}
	return data, nil
}

func chunkID(id string, n int) string { return id + "#" + strconv.Itoa(n) }
