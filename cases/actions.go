package cases

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/flows"
	"github.com/complaintbot/complaintbot/storage"
)

// The limits of what an agent writes on a case.
const (
	// MaxNote is the longest note, in characters.
	MaxNote = 2000
	// MaxTimeline is how many entries a case's timeline holds.
	MaxTimeline = 1000
	// MaxDepartment is the longest department name kept, in characters (longer ones are cut).
	MaxDepartment = 50
	// MaxCoHandling is how many co-handling departments a case may have.
	MaxCoHandling = 10
	// MaxReason is the longest reason for an extension, in characters.
	MaxReason = 200
	// MaxMaliciousReason is the longest reason kept with the malicious flag (longer ones are cut).
	MaxMaliciousReason = 500
	// MaxResolution is the longest resolution, MaxReply the longest reply to the customer.
	MaxResolution = 2000
	// MaxReply is the longest reply to the customer sent with the resolution, in characters.
	MaxReply = 500
)

// The audit trail's codes of the actions on cases (storage.AuditEntry.Action); Audit names
// them.
const (
	AuditAccept      = "case.accept"
	AuditAssign      = "case.assign"
	AuditDepartments = "case.departments"
	AuditNote        = "case.note"
	AuditStatus      = "case.status"
	AuditExtend      = "case.extend"
	AuditMalicious   = "case.malicious"
	AuditResolve     = "case.resolve"
	AuditSurvey      = "case.survey"
	// AuditExport is the console's export of a case list.
	AuditExport = "case.export"
)

// Audit names the audit codes (and target type) of these actions for the audit trail's page.
var Audit = complaintbot.AuditVocabulary{Actions: map[string]string{
	AuditAccept: "受理案件", AuditAssign: "指派承办人", AuditDepartments: "设置处理部门", AuditNote: "添加内部备注",
	AuditStatus: "变更案件状态", AuditExtend: "延长处理期限", AuditMalicious: "恶意投诉标记", AuditResolve: "办结答复",
	AuditSurvey: "发送满意度调查", AuditExport: "导出案件",
}}

// Accept makes who the case's acceptor (受理人), and its assignee if it has none; a case just
// received moves to investigating and the customer is told (notice accepted).
func (s *Service) Accept(ctx context.Context, who complaintbot.Actor, number string) error {
	return s.apply(ctx, who, number, AuditAccept, func(rec *complaintbot.Case, now time.Time) (*decision, error) {
		if !rec.Status.Open() {
			return nil, refuse(rec, ErrAcceptFinished)
		}
		if rec.Work.AcceptedAt != nil {
			e := refuse(rec, ErrAccepted)
			e.By = rec.Work.AcceptedBy
			return nil, e
		}
		u := who.User
		d := &decision{before: string(rec.Status), after: "accepted by " + u.Name}
		d.change = storage.CaseChange{AcceptedAt: &now, AcceptedBy: &u.Name, Entries: []complaintbot.TimelineEntry{{Kind: "accept", Text: "受理案件"}}}
		if rec.Work.Assignee == "" {
			d.change.Assignee = &u.Name
			d.change.Entries = append(d.change.Entries, complaintbot.TimelineEntry{Kind: "assign", To: u.Name, Text: "承办人：" + u.Label()})
		}
		if rec.Status == complaintbot.StatusReceived {
			to := complaintbot.StatusInvestigating
			d.change.FromStatus, d.change.Status = rec.Status, &to
			d.change.Entries = append(d.change.Entries, complaintbot.TimelineEntry{Kind: "status", From: string(rec.Status), To: string(to)})
			d.notice, d.data = flows.NoticeAccepted, flows.NoticeData{Expected: rec.ReplyDue, Decision: rec.DecisionDue}
		}
		return d, nil
	})
}

// Assign makes the user named assignee the case's assignee (承办人); "" leaves it unassigned. The
// assignee must be an active user who covers the case's branch.
func (s *Service) Assign(ctx context.Context, who complaintbot.Actor, number, assignee string) error {
	to := strings.TrimSpace(assignee)
	return s.apply(ctx, who, number, AuditAssign, func(rec *complaintbot.Case, _ time.Time) (*decision, error) {
		if to == rec.Work.Assignee {
			return nil, nil
		}
		label := "（无）"
		if to != "" {
			target, err := s.store.UserByName(ctx, to)
			if errors.Is(err, storage.ErrNotFound) || (err == nil && !target.CanHandle(rec.Branch.Code)) {
				return nil, refuse(rec, ErrAssignee)
			}
			if err != nil {
				return nil, err
			}
			label = target.Label()
		}
		return &decision{before: rec.Work.Assignee, after: to, change: storage.CaseChange{Assignee: &to,
			Entries: []complaintbot.TimelineEntry{{Kind: "assign", From: rec.Work.Assignee, To: to, Text: "承办人：" + label}}}}, nil
	})
}

// SetDepartments names the case's responsible (责任), host (主办) and co-handling (协办)
// departments. Names are trimmed and cut to MaxDepartment characters; repeated and empty
// co-handling names are dropped, and at most MaxCoHandling remain.
func (s *Service) SetDepartments(ctx context.Context, who complaintbot.Actor, number string, deps complaintbot.Departments) error {
	d := complaintbot.Departments{Responsible: clean(deps.Responsible, MaxDepartment), Host: clean(deps.Host, MaxDepartment)}
	for _, x := range deps.CoHandling {
		if x = clean(x, MaxDepartment); x != "" && !slices.Contains(d.CoHandling, x) {
			d.CoHandling = append(d.CoHandling, x)
		}
	}
	return s.apply(ctx, who, number, AuditDepartments, func(rec *complaintbot.Case, _ time.Time) (*decision, error) {
		if len(d.CoHandling) > MaxCoHandling {
			return nil, refuse(rec, ErrCoHandling)
		}
		old := rec.Work.Departments
		before := fmt.Sprintf("%s|%s|%s", old.Responsible, old.Host, strings.Join(old.CoHandling, ","))
		after := fmt.Sprintf("%s|%s|%s", d.Responsible, d.Host, strings.Join(d.CoHandling, ","))
		if before == after {
			return nil, nil
		}
		text := fmt.Sprintf("责任部门：%s；主办部门：%s；协办部门：%s", orNone(d.Responsible), orNone(d.Host), orNone(strings.Join(d.CoHandling, "、")))
		return &decision{before: before, after: after, change: storage.CaseChange{Departments: &d,
			Entries: []complaintbot.TimelineEntry{{Kind: "departments", Text: text}}}}, nil
	})
}

// noteIDs are the client ids that make a double-submitted note count once.
var noteIDs = regexp.MustCompile(`^[A-Za-z0-9_-]{8,64}$`)

// Note adds an internal note (the customer never sees it). clientID, when set, makes a repeated
// submission of the same note add nothing.
func (s *Service) Note(ctx context.Context, who complaintbot.Actor, number, text, clientID string) error {
	text = strings.TrimSpace(text)
	return s.apply(ctx, who, number, AuditNote, func(rec *complaintbot.Case, _ time.Time) (*decision, error) {
		if text == "" {
			return nil, refuse(rec, ErrNoteEmpty)
		}
		if len([]rune(text)) > MaxNote {
			return nil, refuse(rec, ErrNoteTooLong)
		}
		if len(rec.Work.Timeline) >= MaxTimeline {
			return nil, refuse(rec, ErrTimelineFull)
		}
		id := ""
		if clientID != "" {
			if !noteIDs.MatchString(clientID) {
				return nil, refuse(rec, ErrNoteID)
			}
			id = "note-" + clientID
			for _, e := range rec.Work.Timeline {
				if e.ID == id {
					return nil, nil
				}
			}
		}
		return &decision{after: text, change: storage.CaseChange{Entries: []complaintbot.TimelineEntry{{ID: id, Kind: "note", Text: text}}}}, nil
	})
}

// SetStatus moves the case from the status from (what the agent saw; "" skips the check) to to,
// along the moves Next allows, with an optional comment on the timeline. The customer is told when
// the case is accepted (received → investigating), escalated or reopened.
func (s *Service) SetStatus(ctx context.Context, who complaintbot.Actor, number string, from, to complaintbot.Status, comment string) error {
	return s.apply(ctx, who, number, AuditStatus, func(rec *complaintbot.Case, _ time.Time) (*decision, error) {
		if to == complaintbot.StatusResolved {
			return nil, refuse(rec, ErrStatusResolve)
		}
		if from != "" && from != rec.Status {
			return nil, refuse(rec, ErrStatusStale)
		}
		if !slices.Contains(Next(rec.Status), to) {
			e := refuse(rec, ErrStatusMove)
			e.To = to
			return nil, e
		}
		d := &decision{before: string(rec.Status), after: string(to), change: storage.CaseChange{FromStatus: rec.Status, Status: &to,
			Entries: []complaintbot.TimelineEntry{{Kind: "status", From: string(rec.Status), To: string(to), Text: strings.TrimSpace(comment)}}},
			data: flows.NoticeData{Expected: rec.ReplyDue, Decision: rec.DecisionDue}}
		switch to {
		case complaintbot.StatusInvestigating:
			if rec.Status == complaintbot.StatusReceived {
				d.notice = flows.NoticeAccepted
			}
		case complaintbot.StatusEscalated:
			d.notice = flows.NoticeEscalated
		case complaintbot.StatusReopened:
			d.notice = flows.NoticeReopened
		}
		return d, nil
	})
}

// MarkMalicious flags the case as a malicious complaint (恶意投诉) for reason (cut to
// MaxMaliciousReason characters); the customer is not told.
func (s *Service) MarkMalicious(ctx context.Context, who complaintbot.Actor, number, reason string) error {
	reason = strings.TrimSpace(reason)
	return s.apply(ctx, who, number, AuditMalicious, func(rec *complaintbot.Case, now time.Time) (*decision, error) {
		if reason == "" {
			return nil, refuse(rec, ErrMaliciousReasonless)
		}
		f := complaintbot.Flag{Reason: clean(reason, MaxMaliciousReason), By: who.User.Name, At: now}
		return &decision{after: "flagged: " + f.Reason, change: storage.CaseChange{Malicious: &f,
			Entries: []complaintbot.TimelineEntry{{Kind: "malicious", To: "flagged", Text: f.Reason}}}}, nil
	})
}

// ClearMalicious removes the malicious flag, with an optional reason; a case without the flag is
// left as it is.
func (s *Service) ClearMalicious(ctx context.Context, who complaintbot.Actor, number, reason string) error {
	reason = strings.TrimSpace(reason)
	return s.apply(ctx, who, number, AuditMalicious, func(rec *complaintbot.Case, _ time.Time) (*decision, error) {
		if rec.Work.Malicious == nil {
			return nil, nil
		}
		return &decision{before: "flagged", after: "cleared", change: storage.CaseChange{ClearMalicious: true,
			Entries: []complaintbot.TimelineEntry{{Kind: "malicious", To: "cleared", Text: reason}}}}, nil
	})
}

// Resolve records how the open case was resolved (result, internal) and the reply to the customer,
// and moves it to resolved; the customer is sent the reply (notice resolved). A case not coded
// validly on all three JR/T 0169 axes (SetCoding) is refused with ErrUncoded.
func (s *Service) Resolve(ctx context.Context, who complaintbot.Actor, number, result, reply string) error {
	result, reply = strings.TrimSpace(result), strings.TrimSpace(reply)
	return s.apply(ctx, who, number, AuditResolve, func(rec *complaintbot.Case, now time.Time) (*decision, error) {
		if !rec.Status.Open() {
			return nil, refuse(rec, ErrResolveFinished)
		}
		if result == "" || reply == "" {
			return nil, refuse(rec, ErrResolutionEmpty)
		}
		if len([]rune(result)) > MaxResolution || len([]rune(reply)) > MaxReply {
			return nil, refuse(rec, ErrResolutionTooLong)
		}
		if err := s.uncoded(rec.Coding); err != nil {
			e := refuse(rec, ErrUncoded)
			e.Err = err
			return nil, e
		}
		res := complaintbot.Resolution{Text: result, Reply: reply, By: who.User.Name, At: now}
		to := complaintbot.StatusResolved
		ch := storage.CaseChange{FromStatus: rec.Status, Status: &to, Resolution: &res, Entries: []complaintbot.TimelineEntry{
			{Kind: "resolution", Text: result},
			{Kind: "status", From: string(rec.Status), To: string(to)},
		}}
		if rec.RepliedAt == nil {
			// The decision's reply is the customer's first reply: the reply deadline is met, also
			// if the case is reopened later.
			ch.Replied = &now
		}
		return &decision{before: string(rec.Status), after: string(to), change: ch,
			notice: flows.NoticeResolved, data: flows.NoticeData{Expected: now, Decision: rec.DecisionDue, Reply: reply,
				ReviewBy: complaintbot.ReviewBy(now, s.engine.Config().ReviewWindow)}}, nil // the decision notice: what the customer can do next
	})
}

// SendSurvey asks the customer of a resolved or closed case to rate its handling now, by hand. The
// audit entry follows the request: whether a survey can go is the survey sender's to decide (the
// customer may have another one open), and an entry that cannot be written is reported as ErrAudit.
func (s *Service) SendSurvey(ctx context.Context, who complaintbot.Actor, number string) error {
	rec, err := s.load(ctx, who, number)
	if err != nil {
		return err
	}
	if rec.Status != complaintbot.StatusResolved && rec.Status != complaintbot.StatusClosed {
		return refuse(rec, ErrSurveyNotResolved)
	}
	if s.surveys == nil {
		return refuse(rec, ErrSurveysOff)
	}
	if err := s.surveys.SendSurveyNow(ctx, rec.Number, who.User.Name); err != nil {
		if errors.Is(err, storage.ErrSurveyOpen) {
			return refuse(rec, ErrSurveyOpen)
		}
		return fmt.Errorf("send survey for case %s: %w", rec.Number, err)
	}
	if err := s.store.Audit(ctx, &storage.AuditEntry{At: s.clock.Now(), User: who.User.Name, Action: AuditSurvey, TargetType: "case",
		Target: rec.Number, Branch: ScopeBranch(rec.Branch.Code), After: "survey sent", Addr: who.Addr}); err != nil {
		return &Error{Reason: ErrAudit, Case: rec.Number, Err: err}
	}
	return nil
}

// clean trims s and cuts it to n characters (with "…").
func clean(s string, n int) string {
	s = strings.TrimSpace(s)
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

func orNone(s string) string {
	if s == "" {
		return "（无）"
	}
	return s
}
