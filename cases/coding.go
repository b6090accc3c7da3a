package cases

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/storage"
	"github.com/complaintbot/complaintbot/taxonomy"
)

// AuditCoding is the audit trail's code of SetCoding.
const AuditCoding = "case.coding"

func init() { Audit.Actions[AuditCoding] = "JR/T 0169 编码" }

// embeddedTaxonomy is the embedded JR/T 0169 data file, loaded once, for a Service built without
// one (its tests hold that it loads; nil otherwise, and then every coding is refused).
var embeddedTaxonomy = sync.OnceValue(func() *taxonomy.Taxonomy {
	t, err := taxonomy.Load()
	if err != nil {
		return nil
	}
	return t
})

// Taxonomy is the JR/T 0169 classification the cases are coded in.
func (s *Service) Taxonomy() *taxonomy.Taxonomy { return s.tax }

// SetCoding confirms or changes the case's JR/T 0169 codes (A 业务办理渠道, B 业务类别, C 投诉原因),
// whatever its status: an agent corrects a resolved case's figures the same way. Codes are
// trimmed and upper-cased; an empty code leaves its axis uncoded (Resolve then refuses the case).
// A code that is not a leaf of its axis is refused with ErrCodingInvalid, whose Err is the
// taxonomy.CodingError naming each wrong axis; no code at all is refused the same way, naming
// every axis (a request that sent none, not a coding). The same codes again change nothing. The
// customer is not told.
func (s *Service) SetCoding(ctx context.Context, who complaintbot.Actor, number string, c taxonomy.Coding) error {
	for _, a := range taxonomy.Axes() {
		c = c.With(a, strings.ToUpper(strings.TrimSpace(c.Code(a))))
	}
	return s.apply(ctx, who, number, AuditCoding, func(rec *complaintbot.Case, _ time.Time) (*decision, error) {
		if c == (taxonomy.Coding{}) {
			e := refuse(rec, ErrCodingInvalid)
			e.Err = s.uncoded(c)
			return nil, e
		}
		if err := s.wrongCodes(c); err != nil {
			e := refuse(rec, ErrCodingInvalid)
			e.Err = err
			return nil, e
		}
		if c == rec.Coding {
			return nil, nil
		}
		if len(rec.Work.Timeline) >= MaxTimeline {
			return nil, refuse(rec, ErrTimelineFull)
		}
		to := c
		return &decision{before: codes(rec.Coding), after: codes(c), change: storage.CaseChange{Coding: &to,
			Entries: []complaintbot.TimelineEntry{{Kind: "coding", From: codes(rec.Coding), To: codes(c), Text: CodingText(s.tax, c)}}}}, nil
	})
}

// wrongCodes is the taxonomy.CodingError of the axes that carry a code that is not one of their
// leaves (an empty axis is not wrong here), or nil.
func (s *Service) wrongCodes(c taxonomy.Coding) error {
	if s.tax == nil {
		return taxonomy.CodingError{{Axis: taxonomy.Channel, Code: c.Channel, Err: taxonomy.ErrUnknown}}
	}
	err, _ := s.tax.Validate(c).(taxonomy.CodingError)
	var wrong taxonomy.CodingError
	for _, ae := range err {
		if ae.Code != "" {
			wrong = append(wrong, ae)
		}
	}
	if len(wrong) == 0 {
		return nil
	}
	return wrong
}

// uncoded is the taxonomy.CodingError of the axes of c that are missing or wrong, or nil when the
// case may be resolved.
func (s *Service) uncoded(c taxonomy.Coding) error {
	if s.tax == nil {
		return taxonomy.CodingError{{Axis: taxonomy.Channel, Code: c.Channel, Err: taxonomy.ErrUnknown}}
	}
	return s.tax.Validate(c)
}

// codes is the coding as the audit trail records it: "A0101 B01 C01", "-" for an uncoded axis.
func codes(c taxonomy.Coding) string {
	parts := make([]string, 0, 3)
	for _, a := range taxonomy.Axes() {
		parts = append(parts, orDash(c.Code(a)))
	}
	return strings.Join(parts, " ")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// Uncoded is how a case page, list or export shows an axis that carries no code.
const Uncoded = "未编码"

// CodingText is the coding as the case's timeline shows it: "编码 A0101 营业现场；B01 人民币储蓄；
// C01 服务态度及服务质量", an uncoded axis as "B 未编码".
func CodingText(t *taxonomy.Taxonomy, c taxonomy.Coding) string {
	parts := make([]string, 0, 3)
	for _, a := range taxonomy.Axes() {
		code := c.Code(a)
		switch n, ok := lookup(t, code); {
		case code == "":
			parts = append(parts, string(a)+" "+Uncoded)
		case ok:
			parts = append(parts, code+" "+n.Name)
		default:
			parts = append(parts, code)
		}
	}
	return "编码 " + strings.Join(parts, "；")
}

func lookup(t *taxonomy.Taxonomy, code string) (taxonomy.Node, bool) {
	if t == nil || code == "" {
		return taxonomy.Node{}, false
	}
	return t.Lookup(code)
}

// proposalFields are the draft's fields whose words the JR/T 0169 proposal reads: what the
// customer told, not their name or phone number.
var proposalFields = []string{complaintbot.FieldDescription, complaintbot.FieldRequest, complaintbot.FieldPerson}

// Propose is the JR/T 0169 coding proposed for a new case from the draft (taxonomy.Propose): the
// reason from its category (or the words), the A code from the words, saying where the business
// complained about was done (a counter's, told through WeChat, is 营业现场; the receiving channel
// is the case's Channel), and B from the words. Axes the words leave open stay uncoded for the
// agent. Empty without a Taxonomy.
func (r *Registry) Propose(d complaintbot.Draft) taxonomy.Coding {
	if r.Taxonomy == nil {
		return taxonomy.Coding{}
	}
	category := ""
	if d.Category != nil {
		category = d.Category.Code
	}
	var words []string
	for _, f := range proposalFields {
		if v := strings.TrimSpace(d.Fields[f]); v != "" {
			words = append(words, v)
		}
	}
	return r.Taxonomy.Propose(category, strings.Join(words, "\n"))
}
