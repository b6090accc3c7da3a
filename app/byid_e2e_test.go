package app_test

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/complaintbot/complaintbot/app"
	"github.com/complaintbot/complaintbot/app/apptest"
	"github.com/complaintbot/complaintbot/storage"
	"github.com/complaintbot/complaintbot/wechatsim"
	"github.com/silenceper/wechat/v2/officialaccount/message"
)

// commandLog keeps the commands on the database's main connection that read by anything but _id.
type commandLog struct {
	mu    sync.Mutex
	on    bool
	scans []string
}

func (l *commandLog) observe(c storage.Command) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.on && !c.ByID {
		l.scans = append(l.scans, c.Name+" "+c.Collection)
	}
}

func (l *commandLog) watch(on bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.on = on
}

func (l *commandLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.scans
	l.scans = nil
	return out
}

// Every record a customer's path reads on the connection customers wait on is read by its _id:
// the first message, a whole complaint, a WeChat retry of the confirmation, progress, a person,
// and a returning customer's first message after a restart. (On the embedded server any other
// filter reads the whole collection, and at a year of data that stalls every customer.)
func TestCustomerPathReadsOnlyByID(t *testing.T) {
	var log commandLog
	h := apptest.NewWith(t, nil, app.Options{ObserveStore: log.observe})
	log.watch(true)
	who := "oByID0000001carol"
	toReadBack(t, h, who)
	confirm := wechatsim.Message{From: who, Type: message.MsgTypeText, Content: "确认", MsgID: h.Sim.NextMsgID()}
	first, err := h.Sim.Send(confirm)
	if err != nil || !strings.Contains(first.Text, "TS20261127-0001") {
		t.Fatalf("confirmation: %+v %v", first, err)
	}
	again, err := h.Sim.Send(confirm) // WeChat's retry: the same MsgId
	if err != nil || again.Text != first.Text {
		t.Fatalf("retry of the confirmation: %+v %v, want the first answer %q", again, err, first.Text)
	}
	expect(t, h, who, "进度", "TS20261127-0001")
	expect(t, h, who, "人工")
	if scans := log.take(); len(scans) > 0 {
		t.Fatalf("a customer's messages read by other keys than _id on the main connection: %v", uniq(scans))
	}

	log.watch(false)
	h.Restart()
	log.watch(true)
	expect(t, h, who, "你好")
	other := "oByID0000002dave"
	expect(t, h, other, "城东支行的柜员态度很差，昨天下午让我等了一个小时", "")
	again, err = h.Sim.Send(confirm) // a very late retry, after the restart
	if err != nil || again.Status != 200 {
		t.Fatalf("retry after the restart: %+v %v", again, err)
	}
	if scans := log.take(); len(scans) > 0 {
		t.Fatalf("after a restart, messages read by other keys than _id on the main connection: %v", uniq(scans))
	}
}

func uniq(s []string) []string {
	slices.Sort(s)
	s = slices.Compact(s)
	for i := range s {
		s[i] = fmt.Sprintf("%q", s[i])
	}
	return s
}
