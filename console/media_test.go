package console_test

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/silenceper/wechat/v2/officialaccount/message"

	"github.com/complaintbot/complaintbot/scheduler"
	"github.com/complaintbot/complaintbot/wechatapi/fakewechat"
	"github.com/complaintbot/complaintbot/wechatsim"
)

// getRaw GETs path and returns the status, the headers and the body's bytes.
func (c *client) getRaw(path string) (int, http.Header, []byte) {
	c.t.Helper()
	resp, err := c.http.Get(c.base + path)
	if err != nil {
		c.t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, data
}

// sendImage sends a picture from the customer through the signed webhook.
func (e *env) sendImage(openID, mediaID string) {
	e.t.Helper()
	r, err := e.Sim.Send(wechatsim.Message{From: openID, Type: message.MsgTypeImage, MediaID: mediaID})
	if err != nil || r.Status != http.StatusOK {
		e.t.Fatalf("send image %s: %v %+v", mediaID, err, r)
	}
}

// runMedia runs the media job as the scheduler does.
func (e *env) runMedia() {
	e.t.Helper()
	if _, err := e.App.Scheduler.RunOnce(context.Background(), scheduler.JobMedia); err != nil {
		e.t.Fatalf("media job: %v", err)
	}
}

// A customer's picture sent during a complaint is downloaded by the worker and shown on the
// conversation and on the case's evidence to the branch's agent, and to no one of another branch.
func TestMediaShownToTheBranchOnly(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	const pic = "sim-media-evidence-1"
	e.say(custA, "我要投诉")
	e.say(custA, "1")
	e.say(custA, "城东支行")
	e.sendImage(custA, pic)
	e.sendImage(custA, pic) // WeChat's retry of the same message
	e.say(custA, "昨天下午3点")
	e.say(custA, "柜员态度恶劣，让我在窗口等了一个小时也没人理")
	e.say(custA, "希望支行道歉并改进服务")
	e.say(custA, "13812345678")
	got := e.say(custA, "确认")
	number := regexp.MustCompile(`TS\d{8}-\d{4}`).FindString(got)
	if number == "" {
		t.Fatalf("no case number in %q", got)
	}

	alice, carol := e.login("alice"), e.login("carol")
	convTile := "/media/" + pic + "/tile?conv=" + custA
	caseTile := "/media/" + pic + "/tile?case=" + number
	if _, body := alice.do("GET", "/conversations/"+custA+"/messages", nil); !strings.Contains(body, convTile) {
		t.Fatalf("conversation messages hold no place for the picture: %s", body)
	}
	if _, body := alice.do("GET", "/cases/"+number, nil); !strings.Contains(body, caseTile) {
		i := strings.Index(body, "证据")
		t.Fatalf("case page holds no place for the picture: %s", body[max(i, 0):min(max(i, 0)+600, len(body))])
	}
	if status, body := alice.do("GET", convTile, nil); status != 200 || !strings.Contains(body, "图片保存中") {
		t.Fatalf("tile before the download: %d %s; want 图片保存中", status, body)
	}
	if status, _, _ := alice.getRaw("/media/" + pic + "?conv=" + custA); status != http.StatusNotFound {
		t.Fatalf("picture before the download: %d, want 404", status)
	}

	e.runMedia()
	want := fakewechat.TestImage(pic)
	for _, q := range []string{"?conv=" + custA, "?case=" + number} {
		status, h, data := alice.getRaw("/media/" + pic + q)
		if status != 200 || string(data) != string(want) || h.Get("Content-Type") != "image/png" || !strings.Contains(h.Get("Cache-Control"), "private") {
			t.Fatalf("alice GET /media%s: %d %s %q, %d bytes; want the PNG, private", q, status, h.Get("Content-Type"), h.Get("Cache-Control"), len(data))
		}
		if status, _, data := carol.getRaw("/media/" + pic + q); status != http.StatusNotFound || strings.Contains(string(data), "PNG") {
			t.Fatalf("carol (another branch) GET /media%s: %d, want 404", q, status)
		}
		if status, body := carol.do("GET", "/media/"+pic+"/tile"+q, nil); status != http.StatusNotFound || strings.Contains(body, "img") {
			t.Fatalf("carol's tile %s: %d %s, want 404", q, status, body)
		}
	}
	if _, body := alice.do("GET", caseTile, nil); !strings.Contains(body, `<img src="/media/`+pic+`?case=`+number+`"`) {
		t.Fatalf("alice's case tile after the download: %s", body)
	}
	// Neither a picture without the page that holds it, nor one asked for through another
	// customer's conversation.
	if status, _, _ := alice.getRaw("/media/" + pic); status != http.StatusNotFound {
		t.Fatalf("picture with no conversation or case: %d, want 404", status)
	}
	e.askForPerson(custB, "城西支行")
	if status, _, _ := carol.getRaw("/media/" + pic + "?conv=" + custB); status != http.StatusNotFound {
		t.Fatalf("picture through another customer's conversation: %d, want 404", status)
	}
	if gets := e.App.Sandbox.MediaGets(); gets != 1 {
		t.Fatalf("%d downloads for one picture sent twice, want 1", gets)
	}
}

// A picture sent just before a restart is downloaded after it; one the media API could not give
// for 3 days is shown as expired.
func TestMediaAfterRestartAndExpired(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	const kept, late = "sim-media-restart-1", "sim-media-late-1"
	e.say(custA, "我要投诉")
	e.say(custA, "1")
	e.say(custA, "城东支行")
	e.sendImage(custA, kept)
	e.Restart()
	e.url = e.App.ConsoleURL()
	e.runMedia()
	alice := e.login("alice")
	if status, _, data := alice.getRaw("/media/" + kept + "?conv=" + custA); status != 200 || string(data) != string(fakewechat.TestImage(kept)) {
		t.Fatalf("picture sent before the restart: %d, %d bytes; want it stored", status, len(data))
	}

	e.App.Sandbox.FailNext(fakewechat.PathMediaGet, -1, 1000) // WeChat's media API is down
	e.sendImage(custA, late)
	e.runMedia()
	tile := "/media/" + late + "/tile?conv=" + custA
	if _, body := alice.do("GET", tile, nil); !strings.Contains(body, "图片保存中") {
		t.Fatalf("tile while the API fails: %s", body)
	}
	e.Clock.Advance(72*time.Hour + time.Minute)
	e.runMedia()
	alice = e.login("alice") // the session ended meanwhile
	if _, body := alice.do("GET", tile, nil); !strings.Contains(body, "图片已过期，未能保存") {
		t.Fatalf("tile after 3 days: %s; want 图片已过期，未能保存", body)
	}
	if status, _, _ := alice.getRaw("/media/" + late + "?conv=" + custA); status != http.StatusNotFound {
		t.Fatalf("expired picture: %d, want 404", status)
	}
}
