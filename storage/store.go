// Package storage keeps everything the service knows in MongoDB: conversation turns (which are also
// the dedupe records and the transcript), cases, the outbox, shared WeChat tokens. It talks to a real
// MongoDB or to an embedded MongoDB-compatible server through the same official driver and the
// same code, using only operations both support; cross-request coordination is done with inserts
// on unique keys, which both make atomic.
package storage

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/complaintbot/complaintbot/keylock"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/event"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/readpref"
)

// Options says which database to open.
type Options struct {
	// URI of a MongoDB deployment; empty starts the embedded server under DataDir.
	URI string
	// Database is the database name.
	Database string
	// DataDir holds the embedded server's files and its lock; used only when URI is empty.
	DataDir string
	// Logger receives the store's own log lines; nil means slog.Default().
	Logger *slog.Logger
	// Observe, when set, is told of every command sent on the main connection and on the
	// lookup connections beside it (tests use it to check that a customer's path reads only by
	// _id).
	Observe func(Command)
	// ObserveScan, when set, is told of every command sent on the scan connection (the embedded
	// server's second client for long reads; on MongoDB there is none and it is never called).
	ObserveScan func(Command)
}

// Store is an open database with the service's collections. It is safe for concurrent use.
type Store struct {
	client *mongo.Client
	db     *mongo.Database
	// scanDB serves long read-only queries (lists, exports, transcripts, reports). On the embedded
	// server it is a second client, so that a query that reads every document does not hold up
	// the webhook's writes on the main connection (reads are safe on any connection; only
	// updates need the single one). On MongoDB it is the main database.
	scanClient *mongo.Client
	scanDB     *mongo.Database
	// lookupDB serves the customers' path's reads by _id (a customer's last turn, a retry's
	// stored answer, their earlier complaints …). On the embedded server it is a client of a
	// few connections of its own, so that those reads go on beside the main connection's writes
	// instead of queueing behind them (a read sees every write acknowledged before it began). On
	// MongoDB it is the main database.
	lookupClient *mongo.Client
	lookupDB     *mongo.Database
	ids          idReader // the embedded server's last ids by prefix, read from its file
	embedded     *embeddedServer
	log          *slog.Logger

	turns       *mongo.Collection
	cases       *mongo.Collection
	caseNumbers *mongo.Collection
	// caseNumberTurns holds each registering turn's claim on its number, keyed by the turn.
	caseNumberTurns *mongo.Collection
	outbox          *mongo.Collection
	attempts        *mongo.Collection
	messages        *mongo.Collection
	handoffs        *mongo.Collection
	tokens          *mongo.Collection
	customers       *mongo.Collection

	// customerSecret keys the hashes of customer_cases (CustomerKeys): this database's own.
	customerSecret []byte
	// customerHints speeds up finding a customer's last complaint entry (customer_cases.go).
	customerHints lastHints
	// customerWriters orders the appends to one customer key (addCustomerEntry).
	customerWriters keylock.Set
	// Grouped writes on the customers' path (see groupWriter).
	turnWriter, caseWriter, pendingWriter, pendingClearer *groupWriter
	// Grouped inserts of the small per-case records (case numbers, customers' entries, due
	// entries, report marks).
	grouped   *inserters
	dedupe    *dedupeLog
	opts      Options
	onEnqueue atomic.Value // func(), see OnEnqueue
	openMsgs  openOutbox   // the embedded server's list of open outbox messages
	workLists workLists    // the embedded server's work-list entries (list_entries.go)
	caseIndex *caseIndex   // the embedded server's case lists (nil on MongoDB)
	// guardMu makes each conditional update on the embedded server one step (see updateIf).
	guardMu sync.Mutex

	seqMu sync.Mutex
	seq   map[string]int // last case number handed out, by prefix and day
	// numberTurns orders the tries of one turn to reserve a case number; turnNumbers remembers
	// what they reserved.
	numberTurns keylock.Set
	turnNumbers turnNumbers
}

// Open connects to the database (starting the embedded server when no URI is given) and creates
// the collections' indexes if they are missing. Close releases everything Open took.
func Open(ctx context.Context, opts Options) (*Store, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	s := &Store{log: opts.Logger, opts: opts}
	uri := opts.URI
	clientOpts := options.Client().SetTimeout(30 * time.Second).SetAppName("complaintbot")
	if uri == "" {
		emb, err := startEmbedded(opts.DataDir, opts.Logger)
		if err != nil {
			return nil, err
		}
		s.embedded = emb
		uri = emb.uri
		// The embedded server is not atomic between connections: keep every request on one.
		clientOpts.SetMaxPoolSize(1).SetMinPoolSize(1)
	}
	var monitor *event.CommandMonitor
	if opts.Observe != nil {
		monitor = observer(opts.Observe)
	}
	// Every write on the main connection tells /readyz whether writes work (see Store.Ready).
	clientOpts.SetMonitor(s.healthMonitor(monitor))
	client, err := mongo.Connect(clientOpts.ApplyURI(uri))
	if err != nil {
		s.closeEmbedded()
		return nil, fmt.Errorf("connect to MongoDB: %w", err)
	}
	s.client = client
	s.db = client.Database(opts.Database)
	s.grouped = &inserters{db: s.db}
	s.scanDB = s.db
	if s.embedded != nil {
		scanOpts := options.Client().SetTimeout(5 * time.Minute).SetAppName("complaintbot-scan").SetMaxPoolSize(2)
		if opts.ObserveScan != nil {
			scanOpts.SetMonitor(observer(opts.ObserveScan))
		}
		scan, err := mongo.Connect(scanOpts.ApplyURI(uri))
		if err != nil {
			s.Close(context.Background())
			return nil, fmt.Errorf("connect to the embedded database: %w", err)
		}
		s.scanClient = scan
		s.scanDB = scan.Database(opts.Database)
	}
	s.lookupDB = s.db
	if s.embedded != nil {
		lookOpts := options.Client().SetTimeout(30 * time.Second).SetAppName("complaintbot-lookup").SetMaxPoolSize(lookupConnections)
		if opts.Observe != nil {
			lookOpts.SetMonitor(observer(opts.Observe))
		}
		look, err := mongo.Connect(lookOpts.ApplyURI(uri))
		if err != nil {
			s.Close(context.Background())
			return nil, fmt.Errorf("connect to the embedded database: %w", err)
		}
		s.lookupClient = look
		s.lookupDB = look.Database(opts.Database)
	}
	s.turns = s.db.Collection("turns")
	s.cases = s.db.Collection("cases")
	s.caseNumbers = s.db.Collection("case_numbers")
	s.caseNumberTurns = s.db.Collection(CaseNumberTurnsCollection)
	s.outbox = s.db.Collection("outbox")
	s.attempts = s.db.Collection("outbox_attempts")
	s.messages = s.db.Collection("messages")
	s.handoffs = s.db.Collection("handoffs")
	s.tokens = s.db.Collection("tokens")
	s.customers = s.db.Collection("customers")
	if err := s.Ping(ctx); err != nil {
		s.Close(context.Background())
		return nil, err
	}
	if err := s.ensureIndexes(ctx); err != nil {
		s.Close(context.Background())
		return nil, err
	}
	if s.embedded != nil {
		if err := s.IndexEmbedded(ctx); err != nil {
			s.Close(context.Background())
			return nil, err
		}
	}
	if s.customerSecret, err = s.loadCustomerSecret(ctx); err != nil {
		s.Close(context.Background())
		return nil, err
	}
	if err := s.migrate(ctx); err != nil {
		s.Close(context.Background())
		return nil, err
	}
	s.turnWriter = newInserter(s.turns)
	s.caseWriter = newInserter(s.cases)
	s.pendingWriter = newInserter(s.db.Collection(PendingCollection))
	s.pendingClearer = newDeleter(s.db.Collection(PendingCollection))
	s.dedupe = newDedupeLog(s.db.Collection(DedupeCollection), s.log)
	if s.embedded != nil {
		s.startCaseIndex()
	}
	return s, nil
}

// Embedded reports whether the store runs on the embedded server.
func (s *Store) Embedded() bool { return s.embedded != nil }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.client.Ping(ctx, readpref.Primary()); err != nil {
		return fmt.Errorf("ping MongoDB: %w", err)
	}
	return nil
}

// Close writes what is queued, disconnects and, in embedded mode, stops the server and releases
// the data folder. It waits for queued writes only until ctx ends.
func (s *Store) Close(ctx context.Context) error {
	var err error
	s.stopCaseIndex()
	if s.turnWriter != nil {
		for _, w := range []*groupWriter{s.turnWriter, s.caseWriter, s.pendingWriter, s.pendingClearer} {
			w.close(ctx)
		}
		s.grouped.close(ctx)
		s.turnWriter = nil
	}
	if s.dedupe != nil {
		s.dedupe.close()
	}
	if s.scanClient != nil {
		_ = s.scanClient.Disconnect(ctx)
	}
	if s.lookupClient != nil {
		_ = s.lookupClient.Disconnect(ctx)
	}
	s.ids.close()
	if s.client != nil {
		err = s.client.Disconnect(ctx)
	}
	s.closeEmbedded()
	return err
}

func (s *Store) closeEmbedded() {
	if s.embedded != nil {
		s.embedded.stop()
		s.embedded = nil
	}
}

// DropAll removes every collection of the database; tests use it to start clean.
func (s *Store) DropAll(ctx context.Context) error {
	return s.db.Drop(ctx)
}

// indexSpec is an index the store makes sure exists at start-up.
type indexSpec struct {
	collection string
	keys       bson.D
	unique     bool
}

// indexSpecs lists every index; each file of this package adds the indexes of its collections in
// an init function, so that the collections' code and their indexes stay together.
var indexSpecs []indexSpec

// addIndex registers an index on collection over keys (field, 1 or -1, ...).
func addIndex(collection string, unique bool, keys ...any) {
	var d bson.D
	for i := 0; i+1 < len(keys); i += 2 {
		d = append(d, bson.E{Key: keys[i].(string), Value: keys[i+1]})
	}
	indexSpecs = append(indexSpecs, indexSpec{collection: collection, keys: d, unique: unique})
}

func init() {
	addIndex("turns", false, "openid", 1, "version", -1)
	addIndex("turns", true, "dedupe", 1)
	addIndex("cases", false, "openid", 1, "received_at", -1)
	addIndex("cases", true, "source_turn", 1)
	addIndex("cases", false, "status", 1, "reply_due", 1)
	addIndex("cases", false, "branch.code", 1, "received_at", -1)
	addIndex("outbox", false, "status", 1, "next_at", 1)
}

// addCollection registers a collection that has no index but its _id, so that it exists from the
// start (on the embedded server its _id index is then made usable at start, see IndexEmbedded).
func addCollection(collection string) {
	indexSpecs = append(indexSpecs, indexSpec{collection: collection})
}

// ensureIndexes creates the indexes of indexSpecs (see createIndex). On the embedded server it
// first creates the listed collections that do not exist yet, so that IndexEmbedded finds them at
// start, and drops the secondary indexes an earlier version made.
func (s *Store) ensureIndexes(ctx context.Context) error {
	if s.embedded != nil {
		if err := s.prepareEmbeddedCollections(ctx); err != nil {
			return err
		}
	}
	for _, ob := range obsoleteIndexes {
		if err := dropIndexIfPresent(ctx, s.db.Collection(ob.collection), ob.name); err != nil {
			return err
		}
	}
	for _, ix := range indexSpecs {
		if len(ix.keys) == 0 {
			continue
		}
		if err := s.createIndex(ctx, s.db.Collection(ix.collection), ix.keys, ix.unique); err != nil {
			return err
		}
	}
	return nil
}

// createIndex creates an index on c if it is missing. The embedded server uses no secondary index
// to answer a query (only a lookup by _id reaches SQLite's index; every other filter reads the
// whole collection), yet updates each on every write: there only unique indexes, which are
// constraints, are created.
func (s *Store) createIndex(ctx context.Context, c *mongo.Collection, keys bson.D, unique bool) error {
	if s.embedded != nil && !unique {
		return nil
	}
	model := mongo.IndexModel{Keys: keys}
	if unique {
		model.Options = options.Index().SetUnique(true)
	}
	if _, err := c.Indexes().CreateOne(ctx, model); err != nil {
		return fmt.Errorf("create index %v on %s: %w", keys, c.Name(), err)
	}
	return nil
}

// obsoleteIndexes are indexes earlier versions made that now stand in the way: dropped at start.
var obsoleteIndexes = []struct{ collection, name string }{
	// A case number's turn was unique; a turn's number is now claimed in case_number_turns.
	{"case_numbers", "turn_1"},
}

// dropIndexIfPresent drops the named index of c if it exists.
func dropIndexIfPresent(ctx context.Context, c *mongo.Collection, name string) error {
	specs, err := c.Indexes().ListSpecifications(ctx)
	var cmdErr mongo.CommandError
	if errors.As(err, &cmdErr) && cmdErr.Code == 26 { // NamespaceNotFound: no collection, no index
		return nil
	}
	if err != nil {
		return fmt.Errorf("list indexes of %s: %w", c.Name(), err)
	}
	for _, spec := range specs {
		if spec.Name == name {
			if err := c.Indexes().DropOne(ctx, name); err != nil {
				return fmt.Errorf("drop obsolete index %s of %s: %w", name, c.Name(), err)
			}
		}
	}
	return nil
}

// prepareEmbeddedCollections creates the collections of indexSpecs that do not exist yet and
// drops the non-unique indexes of those that do (see createIndex).
func (s *Store) prepareEmbeddedCollections(ctx context.Context) error {
	names, err := s.db.ListCollectionNames(ctx, bson.D{})
	if err != nil {
		return fmt.Errorf("list collections: %w", err)
	}
	seen := map[string]bool{}
	for _, n := range names {
		seen[n] = true
	}
	done := map[string]bool{}
	for _, ix := range indexSpecs {
		if done[ix.collection] {
			continue
		}
		done[ix.collection] = true
		if !seen[ix.collection] {
			if err := s.db.CreateCollection(ctx, ix.collection); err != nil {
				return fmt.Errorf("create collection %s: %w", ix.collection, err)
			}
			continue
		}
		if err := dropSecondaryIndexes(ctx, s.db.Collection(ix.collection)); err != nil {
			return err
		}
	}
	return nil
}

// dropSecondaryIndexes drops the collection's indexes other than _id and the unique ones.
func dropSecondaryIndexes(ctx context.Context, c *mongo.Collection) error {
	specs, err := c.Indexes().ListSpecifications(ctx)
	if err != nil {
		return fmt.Errorf("list indexes of %s: %w", c.Name(), err)
	}
	for _, spec := range specs {
		if spec.Name == "_id_" || (spec.Unique != nil && *spec.Unique) {
			continue
		}
		if err := c.Indexes().DropOne(ctx, spec.Name); err != nil {
			return fmt.Errorf("drop unused index %s of %s: %w", spec.Name, c.Name(), err)
		}
	}
	return nil
}

// Collection returns the named collection, for code in this package and for benchmarks and tools
// that need raw access.
func (s *Store) Collection(name string) *mongo.Collection { return s.db.Collection(name) }

// lookupConnections is how many connections the embedded server's lookup client opens (see
// Store.lookupDB): reads by _id of a few milliseconds each, side by side on two cores.
const lookupConnections = 3

// lookup returns the named collection for the customers' path's reads by _id (see
// Store.lookupDB): never write through it, nor read through it what a write is about to
// change under a lock (guarded updates read on the main connection).
func (s *Store) lookup(name string) *mongo.Collection { return s.lookupDB.Collection(name) }

// ScanCollection returns the named collection for long read-only queries (see Store.scanDB):
// never write through it.
func (s *Store) ScanCollection(name string) *mongo.Collection { return s.scanDB.Collection(name) }

// IsDuplicate reports whether err is a unique-key violation (E11000) from either database.
func IsDuplicate(err error) bool {
	return err != nil && mongo.IsDuplicateKeyError(err)
}

// ErrNotFound is returned when the requested document does not exist.
var ErrNotFound = errors.New("not found")

func notFound(err error) error {
	if errors.Is(err, mongo.ErrNoDocuments) {
		return ErrNotFound
	}
	return err
}

// IndexEmbedded makes lookups by _id use an index on the embedded server, for the collections that
// exist now (see indexEmbeddedIDs); it does nothing on MongoDB. Open calls it; call it again after
// new collections appear (the service does so every hour).
func (s *Store) IndexEmbedded(ctx context.Context) error {
	if s.embedded == nil {
		return nil
	}
	return indexEmbeddedIDs(ctx, s.opts.DataDir, s.opts.Database)
}
