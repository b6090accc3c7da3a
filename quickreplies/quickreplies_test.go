package quickreplies_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/quickreplies"
	"github.com/complaintbot/complaintbot/storage"
	"github.com/complaintbot/complaintbot/storage/storagetest"
)

var branches = []complaintbot.Branch{{Code: "0101", Name: "城东支行"}, {Code: "0201", Name: "城西支行"}}

func actor(name string, role complaintbot.Role, branches ...string) complaintbot.Actor {
	return complaintbot.Actor{User: &complaintbot.User{Name: name, DisplayName: name, Role: role, Branches: branches}, Addr: "127.0.0.1"}
}

var (
	admin = actor("root", complaintbot.RoleAdmin, complaintbot.HeadOffice)
	sue   = actor("sue", complaintbot.RoleSupervisor, "0101")
	alice = actor("alice", complaintbot.RoleAgent, "0101")
	carol = actor("carol", complaintbot.RoleAgent, "0201")
)

func newService(t *testing.T) (*quickreplies.Service, *storage.Store) {
	st := storagetest.Open(t)
	clock := complaintbot.NewManualClock(time.Date(2026, 12, 1, 9, 0, 0, 0, complaintbot.Shanghai))
	return quickreplies.New(st, clock, slog.New(slog.DiscardHandler), branches), st
}

func texts(qs []complaintbot.QuickReply) string {
	var out []string
	for _, q := range qs {
		out = append(out, q.Text)
	}
	return strings.Join(out, "|")
}

// A supervisor writes for their own branch; an admin for any branch or all; agents write none.
// Each agent is offered their branches' replies and those for every branch, nothing else.
func TestWhoWritesAndWhoIsOfferedQuickReplies(t *testing.T) {
	s, st := newService(t)
	ctx := context.Background()
	if _, err := s.Save(ctx, sue, complaintbot.QuickReply{Branch: "0101", Text: "城东支行营业时间为 9:00–17:00。"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Save(ctx, admin, complaintbot.QuickReply{Text: "您好，我是{坐席}，很高兴为您服务。"}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		who  complaintbot.Actor
		q    complaintbot.QuickReply
		want error
	}{
		{sue, complaintbot.QuickReply{Branch: "0201", Text: "别的网点"}, quickreplies.ErrForbidden},
		{sue, complaintbot.QuickReply{Branch: "", Text: "全部网点"}, quickreplies.ErrForbidden},
		{alice, complaintbot.QuickReply{Branch: "0101", Text: "坐席自己写"}, quickreplies.ErrForbidden},
		{admin, complaintbot.QuickReply{Branch: "9999", Text: "未知网点"}, quickreplies.ErrBranch},
		{admin, complaintbot.QuickReply{Text: "   "}, quickreplies.ErrText},
		{admin, complaintbot.QuickReply{Text: strings.Repeat("长", quickreplies.MaxText+1)}, quickreplies.ErrText},
		{admin, complaintbot.QuickReply{Title: strings.Repeat("题", quickreplies.MaxTitle+1), Text: "内容"}, quickreplies.ErrTitle},
	} {
		if _, err := s.Save(ctx, c.who, c.q); !errors.Is(err, c.want) {
			t.Errorf("%s saves %+v: %v, want %v", c.who.Name(), c.q, err, c.want)
		}
	}
	aliceSees, _ := s.Offered(ctx, alice.User)
	carolSees, _ := s.Offered(ctx, carol.User)
	if got := texts(aliceSees); got != "您好，我是{坐席}，很高兴为您服务。|城东支行营业时间为 9:00–17:00。" {
		t.Errorf("alice (0101) is offered %q", got)
	}
	if got := texts(carolSees); got != "您好，我是{坐席}，很高兴为您服务。" {
		t.Errorf("carol (0201) is offered %q", got)
	}
	// The supervisor manages only their branch's; cannot change or delete the admin's.
	mine, err := s.Manageable(ctx, sue)
	if err != nil || texts(mine) != "城东支行营业时间为 9:00–17:00。" {
		t.Fatalf("sue manages %q (%v)", texts(mine), err)
	}
	all, _ := s.Offered(ctx, admin.User)
	var forAll complaintbot.QuickReply
	for _, q := range all {
		if q.Branch == "" {
			forAll = q
		}
	}
	if err := s.Delete(ctx, sue, forAll.ID); !errors.Is(err, quickreplies.ErrForbidden) {
		t.Errorf("sue deletes the admin's reply: %v", err)
	}
	if _, err := s.Save(ctx, alice, complaintbot.QuickReply{ID: mine[0].ID, Branch: "0101", Text: "改了"}); !errors.Is(err, quickreplies.ErrForbidden) {
		t.Errorf("an agent changes a reply: %v", err)
	}
	if _, err := s.Manageable(ctx, alice); !errors.Is(err, quickreplies.ErrForbidden) {
		t.Errorf("an agent manages replies: %v", err)
	}
	if err := s.Delete(ctx, sue, mine[0].ID); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, sue, mine[0].ID); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("deleting twice: %v", err)
	}
	// Every change is in the audit trail, with who made it.
	log, err := st.AuditLog(ctx, storage.AuditFilter{TargetType: "quick_reply", Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range log {
		actions = append(actions, e.User+":"+e.Action)
	}
	for _, want := range []string{"sue:quick_reply.add", "root:quick_reply.add", "sue:quick_reply.delete"} {
		if !strings.Contains(strings.Join(actions, " "), want) {
			t.Errorf("audit trail %v lacks %s", actions, want)
		}
	}
}

// The configured canned replies become quick replies once: deleted ones do not come back.
func TestSeedHappensOnceInTheDatabasesLife(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	defaults := []string{"您好，请问有什么可以帮您？", "请您提供联系电话。"}
	if err := s.Seed(ctx, defaults); err != nil {
		t.Fatal(err)
	}
	got, _ := s.Offered(ctx, carol.User)
	if texts(got) != strings.Join(defaults, "|") {
		t.Fatalf("seeded: %q", texts(got))
	}
	for _, q := range got {
		if err := s.Delete(ctx, admin, q.ID); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Seed(ctx, defaults); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Offered(ctx, carol.User); len(got) != 0 {
		t.Errorf("deleted defaults came back: %q", texts(got))
	}
}

func TestFillPutsInTheCaseNumberAndTheAgent(t *testing.T) {
	text := "您的案件 {案件编号} 由{坐席}跟进。"
	if got := quickreplies.Fill(text, "TS20261201-0001", "王丽"); got != "您的案件 TS20261201-0001 由王丽跟进。" {
		t.Errorf("filled: %q", got)
	}
	if got := quickreplies.Fill(text, "", "王丽"); got != "您的案件 {案件编号} 由王丽跟进。" {
		t.Errorf("without a case the placeholder stays for the agent to see: %q", got)
	}
}
