package storage

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/complaintbot/complaintbot"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Erasure on request of cases that have no customer's openid (issue #14): a case an agent
// registered (by phone, at the counter, by letter, e-mail or a regulator's referral) names its
// customer only by the phone and name in its fields, so it is found by its number or by that
// phone, and anonymised like any other case (AnonymiseCases).

// PhoneCases are the cases, not anonymised yet, whose customer gave a phone number.
type PhoneCases struct {
	// Numbers are the case numbers, sorted.
	Numbers []string
	// Agent are those of them that name no openid (registered by an agent), sorted.
	Agent []string
	// OpenIDs are the openids those of them registered through WeChat name, sorted, without "".
	OpenIDs []string
}

// phoneDigits returns the digits of a phone number as typed ("138 1234 5678", "0571-88886666").
func phoneDigits(p string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, p)
}

// phoneCandidates bounds how many cases a phone's search may name.
const phoneCandidates = 10000

// CasesWithPhone finds the cases whose phone field has the digits of phone (however either was
// typed) and that are not anonymised yet. The candidates come from the case search (ListCases: on
// the embedded server its in-memory index, which answers in milliseconds where reading every case
// takes tens of seconds on a year of data; otherwise the scan connection); each is then read by
// _id through the scan connection and kept only if its phone's digits are phone's.
func (s *Store) CasesWithPhone(ctx context.Context, phone string) (PhoneCases, error) {
	ctx, stop := s.scanContext(ctx)
	defer stop()
	var out PhoneCases
	want := phoneDigits(phone)
	if want == "" {
		return out, nil
	}
	found, err := s.ListCases(ctx, CaseFilter{Query: want}, 0, phoneCandidates)
	if err != nil {
		return out, fmt.Errorf("find the cases of a phone: %w", err)
	}
	for _, c := range found {
		var r complaintbot.Case
		err := s.ScanCollection("cases").FindOne(ctx, bson.D{{Key: "_id", Value: c.Number}},
			options.FindOne().SetProjection(bson.D{{Key: "openid", Value: 1}, {Key: "fields." + complaintbot.FieldPhone, Value: 1}, {Key: "anonymised_at", Value: 1}})).Decode(&r)
		if notFound(err) == ErrNotFound {
			continue
		}
		if err != nil {
			return out, fmt.Errorf("find the cases of a phone: load case %s: %w", c.Number, err)
		}
		if r.AnonymisedAt != nil || phoneDigits(r.Fields[complaintbot.FieldPhone]) != want {
			continue
		}
		out.Numbers = append(out.Numbers, c.Number)
		if r.OpenID == "" {
			out.Agent = append(out.Agent, c.Number)
		} else if !slices.Contains(out.OpenIDs, r.OpenID) {
			out.OpenIDs = append(out.OpenIDs, r.OpenID)
		}
	}
	slices.Sort(out.Numbers)
	slices.Sort(out.Agent)
	slices.Sort(out.OpenIDs)
	return out, nil
}

// CaseToErase is what an erasure by case number needs to know of the case.
type CaseToErase struct {
	// OpenID is the case's customer ("" for a case an agent registered).
	OpenID string
	// Anonymised is set when the case was anonymised already.
	Anonymised bool
}

// CaseForErasure reads the case by _id through the scan connection (ErrNotFound: no such case).
func (s *Store) CaseForErasure(ctx context.Context, number string) (CaseToErase, error) {
	ctx, stop := s.scanContext(ctx)
	defer stop()
	var c complaintbot.Case
	err := s.ScanCollection("cases").FindOne(ctx, bson.D{{Key: "_id", Value: number}},
		options.FindOne().SetProjection(bson.D{{Key: "openid", Value: 1}, {Key: "anonymised_at", Value: 1}})).Decode(&c)
	if err != nil {
		return CaseToErase{}, fmt.Errorf("load case %s: %w", number, notFound(err))
	}
	return CaseToErase{OpenID: c.OpenID, Anonymised: c.AnonymisedAt != nil}, nil
}

// EraseRequested erases what one request names: the customers whole (EraseCustomers) and the
// other cases (AnonymiseCases: the agent-registered ones, which no openid reaches), and makes
// sure none of it stays in the search index. Like them it can run again to finish a run cut short.
func (s *Store) EraseRequested(ctx context.Context, openIDs, cases []string, now time.Time) (Erasure, error) {
	e := Erasure{}
	if err := take(e)(s.EraseCustomers(ctx, openIDs, now)); err != nil {
		return e, err
	}
	if err := take(e)(s.AnonymiseCases(ctx, cases, now)); err != nil {
		return e, err
	}
	return e, nil
}

// ErasuresCollection holds the erasure requests, one document per request keyed by _id: the
// console records a confirmed request (RequestErasure) and the leased erasures job carries it out
// (RunErasure), so that the work, tens of seconds on a year of data, is off the HTTP request, and
// a request cut short by a restart is finished by the next run.
const ErasuresCollection = "erasures"

// ErasureStatus is where an erasure request stands.
type ErasureStatus string

// The statuses of an erasure request.
const (
	ErasurePending ErasureStatus = "待执行"
	ErasureRunning ErasureStatus = "执行中"
	ErasureDone    ErasureStatus = "已完成"
	ErasureFailed  ErasureStatus = "失败"
)

// ErasureRequest is one admin's confirmed request to erase personal data.
type ErasureRequest struct {
	ID     string        `bson:"_id" json:"id"`
	Status ErasureStatus `bson:"status" json:"status"`
	// By is how the admin named it ("openid", "phone 138****5678", a case number): masked.
	By string `bson:"by" json:"by"`
	// Subject is what the audit trail names: masked openids, or the agent-registered cases.
	Subject string `bson:"subject" json:"subject"`
	// Cases are the case numbers the request reaches.
	Cases []string `bson:"cases" json:"cases"`
	// OpenIDs are the customers erased whole, in full until the request is done, then emptied.
	OpenIDs []string `bson:"openids" json:"-"`
	// AgentCases are the cases no openid reaches (registered by an agent), anonymised by number.
	AgentCases  []string       `bson:"agent_cases" json:"agent_cases,omitempty"`
	RequestedBy string         `bson:"requested_by" json:"requested_by"`
	RequestedAt time.Time      `bson:"requested_at" json:"requested_at"`
	StartedAt   time.Time      `bson:"started_at,omitempty" json:"started_at,omitzero"`
	FinishedAt  time.Time      `bson:"finished_at,omitempty" json:"finished_at,omitzero"`
	Records     int            `bson:"records" json:"records"`
	Counts      map[string]int `bson:"counts,omitempty" json:"by_collection,omitempty"`
	Error       string         `bson:"error,omitempty" json:"error,omitempty"`
}

// RequestErasure records a confirmed erasure request as ErasurePending.
func (s *Store) RequestErasure(ctx context.Context, r *ErasureRequest) error {
	r.Status = ErasurePending
	if _, err := s.db.Collection(ErasuresCollection).InsertOne(ctx, r); err != nil {
		return fmt.Errorf("record erasure request: %w", err)
	}
	return nil
}

// ErasureRequests returns the requests, newest first, at most limit (0: all), read through the
// scan connection (the collection holds one small document per request).
func (s *Store) ErasureRequests(ctx context.Context, limit int) ([]ErasureRequest, error) {
	ctx, stop := s.scanContext(ctx)
	defer stop()
	cur, err := s.ScanCollection(ErasuresCollection).Find(ctx, bson.D{})
	if err != nil {
		return nil, fmt.Errorf("list erasure requests: %w", err)
	}
	var out []ErasureRequest
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("list erasure requests: %w", err)
	}
	slices.SortFunc(out, func(a, b ErasureRequest) int { return b.RequestedAt.Compare(a.RequestedAt) })
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// ErasureRequest reads one request by _id.
func (s *Store) ErasureRequest(ctx context.Context, id string) (ErasureRequest, error) {
	var r ErasureRequest
	err := s.db.Collection(ErasuresCollection).FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&r)
	if err != nil {
		return r, fmt.Errorf("load erasure request %s: %w", id, notFound(err))
	}
	return r, nil
}

// RunErasure carries out the request: marked ErasureRunning, erased (EraseRequested), then marked
// ErasureDone with its counts and without the openids. A request already done is left alone; one
// found running (a restart cut it short) is run again, which finishes it. An error other than the
// end of ctx (shutdown, which leaves it running for the next start) marks it ErasureFailed.
func (s *Store) RunErasure(ctx context.Context, id string, now time.Time) (ErasureRequest, error) {
	r, err := s.ErasureRequest(ctx, id)
	if err != nil || r.Status == ErasureDone || r.Status == ErasureFailed {
		return r, err
	}
	coll := s.db.Collection(ErasuresCollection)
	if r.Status == ErasurePending {
		r.Status, r.StartedAt = ErasureRunning, now
		if _, err := coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: id}}, bson.D{{Key: "$set", Value: bson.D{
			{Key: "status", Value: r.Status}, {Key: "started_at", Value: now}}}}); err != nil {
			return r, fmt.Errorf("start erasure request %s: %w", id, err)
		}
	}
	e, err := s.EraseRequested(ctx, r.OpenIDs, r.AgentCases, now)
	if err != nil {
		if ctx.Err() != nil {
			return r, err
		}
		r.Status, r.Error = ErasureFailed, err.Error()
		if _, uerr := coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: id}}, bson.D{{Key: "$set", Value: bson.D{
			{Key: "status", Value: r.Status}, {Key: "error", Value: r.Error}, {Key: "finished_at", Value: now}}}}); uerr != nil {
			return r, fmt.Errorf("record the failure of erasure request %s: %w (after %w)", id, uerr, err)
		}
		return r, err
	}
	r.Status, r.FinishedAt, r.Records, r.Counts, r.OpenIDs = ErasureDone, now, e.Total(), e, nil
	if _, err := coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: id}}, bson.D{{Key: "$set", Value: bson.D{
		{Key: "status", Value: r.Status}, {Key: "finished_at", Value: now}, {Key: "records", Value: r.Records},
		{Key: "counts", Value: r.Counts}, {Key: "openids", Value: bson.A{}}}}}); err != nil {
		return r, fmt.Errorf("finish erasure request %s: %w", id, err)
	}
	return r, nil
}

// UnfinishedErasures returns the ids of the requests pending or running, oldest first.
func (s *Store) UnfinishedErasures(ctx context.Context) ([]string, error) {
	all, err := s.ErasureRequests(ctx, 0)
	if err != nil {
		return nil, err
	}
	var ids []string
	for i := len(all) - 1; i >= 0; i-- {
		if all[i].Status == ErasurePending || all[i].Status == ErasureRunning {
			ids = append(ids, all[i].ID)
		}
	}
	return ids, nil
}
