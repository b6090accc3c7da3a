package console

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/cases"
	"github.com/complaintbot/complaintbot/flows"
	"github.com/gin-gonic/gin"
)

// 登记投诉: an agent registers a complaint received by phone, at the counter, by letter, by e-mail
// or forwarded by a regulator. The form asks the bot's questions (the flow file's steps) and
// checks the answers by the bot's rules (flows.Engine.CheckForm); a correct form is read back
// exactly as the bot reads a draft back to a customer, and only 确认登记 registers the case
// (cases.Registrar), once per form: the form's token is the case's source key.

// referralNumberMax is the most characters of a regulator's referral number.
const referralNumberMax = 50

// agentChannels are the receiving channels an agent registers, in the form's order.
var agentChannels = []string{complaintbot.ReceivedPhone, complaintbot.ReceivedCounter, complaintbot.ReceivedLetter,
	complaintbot.ReceivedEmail, complaintbot.ReceivedRegulator}

// referralAuthorities are the regulators that forward complaints, in the form's order.
var referralAuthorities = []string{complaintbot.ReferralPBOC, complaintbot.ReferralNFRA, complaintbot.Referral12378}

// newCaseForm is the registration form as typed, with the form's token.
type newCaseForm struct {
	Token    string            `json:"token"`
	Kind     complaintbot.Kind `json:"kind"`
	Channel  string            `json:"channel"`
	Category string            `json:"category"`
	Branch   string            `json:"branch"`
	Occurred string            `json:"occurred"`
	Fields   map[string]string `json:"fields"`
	// Authority, Referral and ReplyBy (YYYY-MM-DD) are a regulator's referral.
	Authority string `json:"referral_authority"`
	Referral  string `json:"referral_number"`
	ReplyBy   string `json:"referral_reply_by"`
	// AsOf is when the form was checked and read back (Unix seconds): the confirmation reads a
	// relative time ("昨天下午3点") as of then, so the case gets the time the customer heard.
	AsOf string `json:"as_of"`
}

// newCaseFormFrom reads the form from a form post or a JSON body (form).
func newCaseFormFrom(form func(string) string) newCaseForm {
	f := newCaseForm{Token: strings.TrimSpace(form("token")), Kind: complaintbot.Kind(strings.TrimSpace(form("kind"))),
		Channel: strings.TrimSpace(form("channel")), Category: form("category"), Branch: form("branch"), Occurred: form("occurred"),
		Authority: strings.TrimSpace(form("referral_authority")), Referral: strings.TrimSpace(form("referral_number")),
		ReplyBy: strings.TrimSpace(form("referral_reply_by")), AsOf: strings.TrimSpace(form("as_of")), Fields: map[string]string{}}
	if f.Kind == "" {
		f.Kind = complaintbot.KindComplaint
	}
	for _, k := range []string{complaintbot.FieldDescription, complaintbot.FieldRequest, complaintbot.FieldPhone,
		complaintbot.FieldPerson, complaintbot.FieldName} {
		if v := form(k); v != "" {
			f.Fields[k] = v
		}
	}
	return f
}

// newFormToken returns a fresh form token (cases.FormTokenOK).
func newFormToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}

// newCaseCheck is a checked form: the draft and referral it makes, or its problems by field.
type newCaseCheck struct {
	Draft    complaintbot.Draft
	Referral *complaintbot.Referral
	Problems []flows.FormProblem
}

// problem returns the message of field's problem, "" when it has none.
func (k *newCaseCheck) problem(field string) string {
	for _, p := range k.Problems {
		if p.Field == field {
			return p.Message
		}
	}
	return ""
}

// readBackWindow is how long after its read-back a form's relative time is still read as of the
// read-back.
const readBackWindow = 24 * time.Hour

// asOf is the time the form's answers are read as of: its read-back's (AsOf) within
// readBackWindow before now, else now.
func (f *newCaseForm) asOf(now time.Time) time.Time {
	sec, err := strconv.ParseInt(f.AsOf, 10, 64)
	if err != nil {
		return now
	}
	at := time.Unix(sec, 0)
	if at.After(now) || now.Sub(at) > readBackWindow {
		return now
	}
	return at
}

// checkNewCase reads the form by the bot's rules, and the receiving channel, the referral and the
// branch by the registration's: the branch must be one of who's (head office: any).
func (c *Console) checkNewCase(who *actor, f newCaseForm, now time.Time) *newCaseCheck {
	eng := c.registrar.Engine()
	draft, problems := eng.CheckForm(flows.Form{Kind: f.Kind, Category: f.Category, Branch: f.Branch, Occurred: f.Occurred, Fields: f.Fields}, f.asOf(now))
	k := &newCaseCheck{Draft: draft, Problems: problems}
	add := func(field, label, msg string) {
		k.Problems = append(k.Problems, flows.FormProblem{Field: field, Label: label, Message: msg})
	}
	if !cases.AgentChannel(f.Channel) {
		add("channel", "受理渠道", "请选择受理渠道（电话、柜面、信函、电子邮件或监管转办）。")
	}
	if b := draft.Branch; k.problem(flows.FieldBranch) == "" {
		code := complaintbot.NoBranchCode
		if b != nil {
			code = b.Code
		}
		if !who.user.Covers(code) {
			msg := "您只能为本人所属网点登记，请选择您所在的网点。"
			if b == nil {
				msg = "这一类登记不涉及网点，由总行登记。"
			}
			add(flows.FieldBranch, "网点", msg)
		}
	}
	if f.Channel != complaintbot.ReceivedRegulator {
		return k
	}
	ref := &complaintbot.Referral{Authority: f.Authority, Number: f.Referral}
	if !cases.ReferralAuthority(f.Authority) {
		add("referral_authority", "转办机构", "请选择转办机构（人民银行、金融监管或 12378 转办）。")
	}
	switch n := len([]rune(f.Referral)); {
	case n == 0:
		add("referral_number", "转办单号", "请填写转办单号。")
	case n > referralNumberMax:
		add("referral_number", "转办单号", "转办单号最多 50 个字符，请核对。")
	}
	day, err := time.ParseInLocation("2006-01-02", f.ReplyBy, complaintbot.Shanghai)
	today := now.In(complaintbot.Shanghai).Format("2006-01-02")
	switch {
	case f.ReplyBy == "":
		add("referral_reply_by", "转办回复期限", "请填写转办单要求的回复日期（如 2026-12-10）。")
	case err != nil:
		add("referral_reply_by", "转办回复期限", "日期格式不对，请按“2026-12-10”填写。")
	case f.ReplyBy < today:
		add("referral_reply_by", "转办回复期限", "这个回复日期已经过去，请核对转办单。")
	default:
		ref.ReplyBy = day
	}
	k.Referral = ref
	return k
}

// newCasePage is what the registration page shows: the form (with its problems), or the read-back.
type newCasePage struct {
	Form   newCaseForm
	Kinds  []kindChoice
	Fields []formFieldView
	// Channels, Authorities and Branches are the choices; Categories the kind's.
	Channels    []choice
	Authorities []choice
	Branches    []complaintbot.Branch
	Categories  []complaintbot.Category
	// Problems are the form's problems by field ("" key: the page's).
	Problems map[string]string
	// Confirm shows the read-back instead of the form.
	Confirm bool
	Header  string
	Lines   []string
	Extra   []string
}

type kindChoice struct {
	Kind complaintbot.Kind
	Name string
	On   bool
}

type choice struct{ Value, Label string }

// formFieldView is a question of the form with its answer as typed.
type formFieldView struct {
	flows.FormField
	Value   string
	Problem string
}

// newCaseView builds the page for the form f checked as k (nil: not checked yet).
func (c *Console) newCaseView(who *actor, f newCaseForm, k *newCaseCheck) *newCasePage {
	def := c.registrar.Engine().Definition()
	p := &newCasePage{Form: f, Problems: map[string]string{}, Categories: def.Categories(f.Kind)}
	for _, kind := range []complaintbot.Kind{complaintbot.KindComplaint, complaintbot.KindSuggestion, complaintbot.KindPraise} {
		p.Kinds = append(p.Kinds, kindChoice{Kind: kind, Name: def.KindName(kind), On: kind == f.Kind})
	}
	for _, ch := range agentChannels {
		p.Channels = append(p.Channels, choice{ch, complaintbot.ReceivedLabel(ch)})
	}
	for _, a := range referralAuthorities {
		p.Authorities = append(p.Authorities, choice{a, complaintbot.ReferralAuthorityLabel(a)})
	}
	if who.user.HeadOffice() {
		p.Branches = append(p.Branches, def.NoBranch())
	}
	for _, b := range def.Branches() {
		if who.user.Covers(b.Code) {
			p.Branches = append(p.Branches, b)
		}
	}
	if k != nil {
		for _, pr := range k.Problems {
			if _, seen := p.Problems[pr.Field]; !seen {
				p.Problems[pr.Field] = pr.Message
			}
		}
	}
	for _, ff := range def.FormFields(f.Kind) {
		v := formFieldView{FormField: ff, Problem: p.Problems[ff.Field]}
		switch ff.Field {
		case flows.FieldCategory:
			v.Value = f.Category
		case flows.FieldBranch:
			v.Value = f.Branch
		case flows.FieldOccurredAt:
			v.Value = f.Occurred
		default:
			v.Value = f.Fields[ff.Field]
		}
		p.Fields = append(p.Fields, v)
	}
	return p
}

// readback fills the page's read-back of a correct form: the bot's read-back of the draft, then
// the contact, the channel and the referral.
func (c *Console) readback(p *newCasePage, k *newCaseCheck) {
	p.Confirm = true
	p.Header, p.Lines = c.registrar.Engine().Readback(k.Draft)
	if n := k.Draft.Fields[complaintbot.FieldName]; n != "" {
		p.Extra = append(p.Extra, "联系人："+n)
	}
	p.Extra = append(p.Extra, "受理渠道："+complaintbot.ReceivedLabel(p.Form.Channel))
	if r := k.Referral; r != nil {
		p.Extra = append(p.Extra, "转办："+complaintbot.ReferralAuthorityLabel(r.Authority)+" "+r.Number+"，要求 "+r.ReplyBy.Format("2006-01-02")+" 前回复")
	}
}

func (c *Console) registerNewCase(p, a *gin.RouterGroup) {
	p.GET("/cases/new", c.newCasePage)
	p.POST("/cases/new", c.newCaseSubmit)
	a.POST("/cases", c.apiNewCase)
}

// errNoRegistrar answers a registration when the console was built without a registrar.
var errNoRegistrar = &Error{http.StatusServiceUnavailable, "登记功能未启用。"}

func (c *Console) newCasePage(g *gin.Context) {
	if c.registrar == nil {
		c.pageError(g, errNoRegistrar)
		return
	}
	who := actorOf(g)
	f := newCaseForm{Token: newFormToken(), Kind: complaintbot.Kind(g.Query("kind")), Channel: g.Query("channel"), Fields: map[string]string{}}
	if c.registrar.Engine().Definition().FormFields(f.Kind) == nil {
		f.Kind = complaintbot.KindComplaint
	}
	if len(who.user.Branches) == 1 && !who.user.HeadOffice() {
		f.Branch = who.user.Branches[0]
	}
	data := c.newCaseView(who, f, nil)
	c.render(g, http.StatusOK, "newcase", c.newView(g, "登记投诉", "newcase", data), nil)
}

// newCaseSubmit answers the form's buttons: 下一步 (step "check") checks the form and shows the
// read-back, 修改 ("edit") shows the form again as filled, 确认登记 ("confirm") checks it again and
// registers the case.
func (c *Console) newCaseSubmit(g *gin.Context) {
	if c.registrar == nil {
		c.pageError(g, errNoRegistrar)
		return
	}
	who := actorOf(g)
	f := newCaseFormFrom(g.PostForm)
	if !cases.FormTokenOK(f.Token) {
		f.Token = newFormToken()
	}
	step := g.PostForm("step")
	show := func(status int, k *newCaseCheck, confirm bool) {
		data := c.newCaseView(who, f, k)
		if confirm {
			c.readback(data, k)
		}
		c.render(g, status, "newcase", c.newView(g, "登记投诉", "newcase", data), nil)
	}
	if step == "edit" {
		show(http.StatusOK, nil, false)
		return
	}
	k := c.checkNewCase(who, f, c.clock.Now())
	if len(k.Problems) > 0 {
		show(http.StatusBadRequest, k, false)
		return
	}
	if step != "confirm" {
		f.AsOf = strconv.FormatInt(c.clock.Now().Unix(), 10)
		show(http.StatusOK, k, true)
		return
	}
	rec, _, err := c.registerChecked(g.Request.Context(), who, f, k)
	if err != nil {
		status, msg := c.userError(err)
		data := c.newCaseView(who, f, k)
		data.Problems[""] = msg
		c.render(g, status, "newcase", c.newView(g, "登记投诉", "newcase", data), nil)
		return
	}
	c.done(g, "/cases/"+url.PathEscape(rec.Number), nil, registeredNote(rec))
}

// registerChecked registers a checked form's case.
func (c *Console) registerChecked(ctx context.Context, who *actor, f newCaseForm, k *newCaseCheck) (*complaintbot.Case, bool, error) {
	rec, created, err := c.registrar.Register(ctx, who.by(), cases.Registration{Draft: k.Draft, Channel: f.Channel, Referral: k.Referral, Token: f.Token})
	switch {
	case errors.Is(err, cases.ErrOutsideBranches):
		return nil, false, &Error{http.StatusForbidden, "您只能为本人所属网点登记。"}
	case errors.Is(err, cases.ErrBadToken):
		return nil, false, invalid("登记表已失效，请重新填写。")
	case errors.Is(err, cases.ErrBadChannel), errors.Is(err, cases.ErrBadReferral):
		return nil, false, invalid("受理渠道或转办信息不完整，请核对。")
	case errors.Is(err, cases.ErrAudit):
		return nil, false, errUnaudited
	}
	return rec, created, err
}

// apiNewCase is POST /api/v1/cases: the form's fields as a JSON object (or a form). Without
// "confirm": true it checks them and answers the read-back to read to the customer with the
// form's token and as_of (400 with "problems" by field when they are refused); with "confirm":
// true, the token and as_of it registers the case (201; the same token again answers the same
// case, 200).
func (c *Console) apiNewCase(g *gin.Context) {
	if c.registrar == nil {
		c.apiError(g, errNoRegistrar)
		return
	}
	who := actorOf(g)
	form, ok := c.bodyForm(g)
	if !ok {
		return
	}
	f := newCaseFormFrom(form)
	confirm := form("confirm") == "true" || form("confirm") == "1"
	if !cases.FormTokenOK(f.Token) {
		if confirm {
			c.apiError(g, invalid("缺少有效的 token：请先提交一次不带 confirm 的请求，取得复述内容和 token。"))
			return
		}
		f.Token = newFormToken()
	}
	k := c.checkNewCase(who, f, c.clock.Now())
	if len(k.Problems) > 0 {
		g.JSON(http.StatusBadRequest, gin.H{"error": "登记内容有误，请按各项提示修改。", "problems": apiProblems(k.Problems)})
		return
	}
	if !confirm {
		page := c.newCaseView(who, f, k)
		c.readback(page, k)
		g.JSON(http.StatusOK, gin.H{"token": f.Token, "as_of": strconv.FormatInt(c.clock.Now().Unix(), 10),
			"readback": gin.H{"header": page.Header, "lines": append(page.Lines, page.Extra...)}})
		return
	}
	rec, created, err := c.registerChecked(g.Request.Context(), who, f, k)
	if err != nil {
		c.apiError(g, err)
		return
	}
	status := http.StatusCreated
	if !created {
		status = http.StatusOK // registered by an earlier submission of the same form
	}
	g.JSON(status, gin.H{"number": rec.Number, "case": rec, "message": registeredNote(rec)})
}

// registeredNote tells the agent what to tell the customer of a registered case: its number and
// the promised reply date (the bot's registration message speaks of the chat, so it is not used).
func registeredNote(rec *complaintbot.Case) string {
	return "已登记，编号 " + rec.Number + "。请告知客户案件编号，并告知我们将在" + flows.FormatDate(rec.ReplyDue) + "前答复。"
}

// apiProblem is a refused field as the API answers it.
type apiProblem struct {
	Field   string `json:"field"`
	Label   string `json:"label,omitempty"`
	Message string `json:"message"`
}

func apiProblems(ps []flows.FormProblem) []apiProblem {
	out := make([]apiProblem, len(ps))
	for i, p := range ps {
		out[i] = apiProblem{Field: p.Field, Label: p.Label, Message: p.Message}
	}
	return out
}
