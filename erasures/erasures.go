// Package erasures holds erasure on request (issue #14): an admin erases one customer's personal
// data, found by openid, by phone number or by one of their case numbers, in two steps — the
// first (Preview) shows what will go and gives a confirmation code, the second (Request), with
// that code, records the request, which the erasures job (scheduler.Erasures) carries out in the
// background (storage.Store.EraseRequested).
//
// A case an agent registered (phone, counter, letter, e-mail, regulator referral) has no openid:
// it is anonymised by its number, and an erasure by phone reaches every case carrying that phone,
// agent-registered or not, and the customers of those registered through WeChat. Both the request
// (AuditRequest, written before the request is recorded) and the result (AuditErased, the job's)
// are written to the audit trail; the trail names the customer by masked openid (or the
// agent-registered cases by number) and a phone masked only.
package erasures

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/storage"
)

// The audit trail's names of the erasures' actions and of their target.
const (
	// AuditRequest is an admin's request to erase (after: the request's id, how the customer
	// was named, the cases).
	AuditRequest = "customer.erase"
	// AuditErased is the result of carrying a request out, written by the erasures job.
	AuditErased = "customer.erased"
	// AuditTarget is the audit entries' target type: the masked openids, or the
	// agent-registered cases' numbers.
	AuditTarget = "customer"
)

// Audit names the audit codes (and target type) of these actions for the audit trail's page.
var Audit = complaintbot.AuditVocabulary{Actions: map[string]string{AuditRequest: "申请删除客户个人信息", AuditErased: "已删除客户个人信息"}, Target: AuditTarget, TargetName: "客户"}

// Why an erasure is refused.
var (
	// ErrForbidden: only admins erase, and read the requests.
	ErrForbidden = errors.New("erasures: only admins erase customers' data")
	// ErrNoQuery: nothing names the customer.
	ErrNoQuery = errors.New("erasures: no openid, phone or case number")
	// ErrUnrecognised: what was typed is no openid, phone number (7 to 15 digits) or case
	// number.
	ErrUnrecognised = errors.New("erasures: not an openid, phone number or case number")
	// ErrNoOne: no conversation or case has that openid or phone, or the case is unknown or
	// anonymised already.
	ErrNoOne = errors.New("erasures: no such customer")
	// ErrCode: the confirmation code is not the one the preview of the same customers and cases
	// gave (on this instance, since it started).
	ErrCode = errors.New("erasures: the confirmation code does not match")
	// ErrNoRequest: there is no erasure request by that id.
	ErrNoRequest = errors.New("erasures: no such request")
	// ErrUnaudited: the audit entry could not be written, so nothing was requested.
	ErrUnaudited = errors.New("erasures: the audit entry could not be written")
)

// Deps are what the erasures work with.
type Deps struct {
	Store *storage.Store
	Clock complaintbot.Clock
	// Log is where requests and failures are told; nil: slog.Default().
	Log *slog.Logger
}

// Service previews and records erasure requests. Build it with New; it is safe for concurrent
// use.
type Service struct {
	store *storage.Store
	clock complaintbot.Clock
	log   *slog.Logger
}

// New returns the erasures over d.
func New(d Deps) *Service {
	if d.Log == nil {
		d.Log = slog.Default()
	}
	return &Service{store: d.Store, clock: d.Clock, log: d.Log}
}

// MayErase reports whether who may erase customers' data and read the requests: admins only.
func MayErase(who complaintbot.Actor) bool { return who.Admin() }

// key signs the confirmation codes: a code is good only for the customers and cases it was shown
// for, in this process, until the service restarts.
var key = func() []byte {
	k := make([]byte, 32)
	_, _ = rand.Read(k)
	return k
}()

// code is the confirmation code of erasing the customers and the agent-registered cases.
func code(openIDs, agentCases []string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("erase:" + strings.Join(openIDs, ",") + "|" + strings.Join(agentCases, ",")))
	return hex.EncodeToString(m.Sum(nil))[:12]
}

// Preview is what an erasure will remove, shown before it is confirmed.
type Preview struct {
	// Customer is the masked openid (several, comma-separated, when a phone names several
	// customers; "" when only agent-registered cases are named).
	Customer string `json:"customer"`
	// By is how the customer was named: "openid", "phone 138****5678" or the case number.
	By string `json:"by"`
	// Cases are the case numbers (they are anonymised; their figures stay).
	Cases []string `json:"cases"`
	// AgentCases are those of them registered by an agent (no openid: anonymised by number).
	AgentCases []string `json:"agent_cases,omitempty"`
	// Turns is how many messages of their conversations are stored.
	Turns int `json:"turns"`
	// Confirm is the code the confirmation must carry.
	Confirm string `json:"confirm"`
	// Query is what the admin typed, trimmed (for a page's confirmation form; not in the JSON).
	Query string `json:"-"`
}

// Subject names what is erased in the audit trail and on the page: the masked openids, or the
// agent-registered cases' numbers.
func (p Preview) Subject() string {
	if p.Customer != "" {
		return p.Customer
	}
	return strings.Join(p.AgentCases, ",")
}

// target is what one request erases: customers whole, and cases no openid reaches.
type target struct {
	openIDs    []string
	agentCases []string
}

var (
	phoneRe  = regexp.MustCompile(`^\+?[0-9][0-9 \-]{5,20}$`)
	openIDRe = regexp.MustCompile(`^[A-Za-z0-9_\-]{6,64}$`)
)

// phone returns the digits of a phone number typed with spaces or dashes ("" when query is not
// one: 7 to 15 digits).
func phone(query string) string {
	if !phoneRe.MatchString(query) {
		return ""
	}
	d := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, query)
	if len(d) < 7 || len(d) > 15 {
		return ""
	}
	return d
}

// Preview finds what an admin named — a case number's customer (or, for a case an agent
// registered, that case), every customer and agent-registered case carrying a phone number, or
// an openid that has a conversation or a case — and returns what erasing it removes, with the
// code that confirms it. Nothing is changed.
func (s *Service) Preview(ctx context.Context, who complaintbot.Actor, query string) (*Preview, error) {
	_, p, err := s.find(ctx, who, query)
	if err != nil {
		return nil, err
	}
	return p, nil
}

// find is Preview, with what the request erases.
func (s *Service) find(ctx context.Context, who complaintbot.Actor, query string) (target, *Preview, error) {
	var w target
	p := &Preview{}
	if !MayErase(who) {
		return w, nil, ErrForbidden
	}
	query = strings.TrimSpace(query)
	if query == "" {
		return w, nil, ErrNoQuery
	}
	var cases []string
	switch ph := phone(query); {
	case complaintbot.IsCaseNumber(query):
		ce, err := s.store.CaseForErasure(ctx, query)
		if errors.Is(err, storage.ErrNotFound) || (err == nil && ce.Anonymised) {
			return w, nil, ErrNoOne
		}
		if err != nil {
			return w, nil, fmt.Errorf("find case %s to erase: %w", query, err)
		}
		if ce.OpenID != "" {
			w.openIDs = []string{ce.OpenID}
		} else {
			w.agentCases = []string{query}
		}
		cases, p.By = []string{query}, query
	case ph != "":
		pc, err := s.store.CasesWithPhone(ctx, ph)
		if err != nil {
			return w, nil, fmt.Errorf("find the cases of a phone to erase: %w", err)
		}
		if len(pc.Numbers) == 0 {
			return w, nil, ErrNoOne
		}
		w.openIDs, w.agentCases = pc.OpenIDs, pc.Agent
		cases, p.By = pc.Numbers, "phone "+complaintbot.MaskPhone(ph)
	case openIDRe.MatchString(query):
		w.openIDs, p.By = []string{query}, "openid"
	default:
		return w, nil, ErrUnrecognised
	}
	var masked []string
	for _, id := range w.openIDs {
		st, err := s.store.CustomerRetention(ctx, id)
		if err != nil {
			return w, nil, fmt.Errorf("read customer %s to erase: %w", complaintbot.MaskOpenID(id), err)
		}
		if st.LastActive.IsZero() && p.By == "openid" {
			return w, nil, ErrNoOne
		}
		if !st.LastActive.IsZero() {
			if t, err := s.store.LatestTurn(ctx, id); err == nil {
				p.Turns += int(t.Version)
			}
		}
		for _, n := range st.Cases {
			if !slices.Contains(cases, n) {
				cases = append(cases, n)
			}
		}
		masked = append(masked, complaintbot.MaskOpenID(id))
	}
	p.Customer, p.Cases, p.AgentCases = strings.Join(masked, ","), cases, w.agentCases
	p.Confirm, p.Query = code(w.openIDs, w.agentCases), query
	return w, p, nil
}

// Request records the erasure of what query names once confirm is the code its preview gives
// (ErrCode otherwise), audited (AuditRequest) before it is recorded; the erasures job
// (scheduler.Erasures) carries it out in the background and audits the result (AuditErased).
func (s *Service) Request(ctx context.Context, who complaintbot.Actor, query, confirm string) (storage.ErasureRequest, error) {
	var r storage.ErasureRequest
	w, p, err := s.find(ctx, who, query)
	if err != nil {
		return r, err
	}
	if !hmac.Equal([]byte(strings.TrimSpace(confirm)), []byte(p.Confirm)) {
		return r, ErrCode
	}
	suffix := make([]byte, 4)
	_, _ = rand.Read(suffix)
	now := s.clock.Now()
	r = storage.ErasureRequest{ID: "ER" + now.In(complaintbot.Shanghai).Format("20060102150405") + "-" + hex.EncodeToString(suffix),
		By: p.By, Subject: p.Subject(), Cases: p.Cases, OpenIDs: w.openIDs, AgentCases: w.agentCases,
		RequestedBy: who.Name(), RequestedAt: now}
	e := &storage.AuditEntry{At: now, User: who.Name(), Action: AuditRequest, TargetType: AuditTarget, Target: r.Subject,
		After: fmt.Sprintf("request %s by %s; cases %s", r.ID, p.By, strings.Join(p.Cases, ",")), Addr: who.Addr}
	if err := s.store.Audit(ctx, e); err != nil {
		s.log.Error("write audit trail: action not carried out", "action", AuditRequest, "err", err)
		return r, fmt.Errorf("%w: %w", ErrUnaudited, err)
	}
	if err := s.store.RequestErasure(ctx, &r); err != nil {
		return r, fmt.Errorf("erase customer %s: %w", r.Subject, err)
	}
	s.log.Info("erasure of a customer's personal data requested", "erasure", r.ID, "customer", r.Subject, "by", who.Name())
	return r, nil
}

// Requests returns the latest limit requests and where they stand, newest first (admins only).
func (s *Service) Requests(ctx context.Context, who complaintbot.Actor, limit int) ([]storage.ErasureRequest, error) {
	if !MayErase(who) {
		return nil, ErrForbidden
	}
	rs, err := s.store.ErasureRequests(ctx, limit)
	if err != nil {
		return nil, fmt.Errorf("list erasure requests: %w", err)
	}
	return rs, nil
}

// Get returns one request and where it stands (admins only; ErrNoRequest for an unknown id).
func (s *Service) Get(ctx context.Context, who complaintbot.Actor, id string) (storage.ErasureRequest, error) {
	if !MayErase(who) {
		return storage.ErasureRequest{}, ErrForbidden
	}
	r, err := s.store.ErasureRequest(ctx, id)
	if errors.Is(err, storage.ErrNotFound) {
		return r, fmt.Errorf("erasure request %s: %w", id, ErrNoRequest)
	}
	if err != nil {
		return r, fmt.Errorf("read erasure request %s: %w", id, err)
	}
	return r, nil
}
