package flows

import (
	"strings"
	"testing"

	"github.com/complaintbot/complaintbot"
)

// A story naming no category's keyword gets the category whose customers' stories it resembles,
// not 其他 or the whole list (stories written for this test, in none of the examples).
func TestLikelyCategoryOfAStoryWithoutKeywords(t *testing.T) {
	t.Parallel()
	d := defaultDef()
	tests := []struct{ story, want string }{
		{"我妈在柜台存了五万块钱 回家一看拿的是一张保单", "marketing"},
		{"信用卡账单上多了一笔我不认识的消费", "funds"},
		{"叫号叫到我了柜员说要下班了让我明天再来", "process"},
		{"自助机屏幕黑了 卡插进去没反应", "facility"},
	}
	for _, tc := range tests {
		n := d.normalize(tc.story)
		if at := d.categoryCandidates(complaintbot.KindComplaint, n); len(at) > 0 {
			t.Errorf("%s: names a category's keywords (%v): not a test of the likely category", tc.story, at)
			continue
		}
		i := d.likelyCategory(complaintbot.KindComplaint, n)
		if i < 0 {
			t.Errorf("%s: no likely category", tc.story)
			continue
		}
		if got := d.file.Categories[string(complaintbot.KindComplaint)][i].Code; got != tc.want {
			t.Errorf("%s: likely %s, want %s", tc.story, got, tc.want)
		}
	}
	if i := d.likelyCategory(complaintbot.KindComplaint, d.normalize("你好")); i >= 0 {
		t.Errorf("a greeting has a likely category (%d): it tells no story", i)
	}
}

// An operator who adds a customer's words to a category's examples changes what the bot guesses
// for stories like it: the model is the flow file's data.
func TestCategoryExamplesAreTheFlowFilesData(t *testing.T) {
	t.Parallel()
	story := "办完业务送的礼品回家打开发现是坏的"
	before := defaultDef()
	n := before.normalize(story)
	cats := before.file.Categories[string(complaintbot.KindComplaint)]
	was := before.likelyCategory(complaintbot.KindComplaint, n)
	target := "contract"
	if was >= 0 && cats[was].Code == target {
		target = "privacy"
	}
	src := string(DefaultYAML())
	at := strings.Index(src, "\ncategory_examples:")
	marker := "\n    " + target + ":\n"
	j := strings.Index(src[at:], marker)
	if at < 0 || j < 0 {
		t.Fatalf("the default flow file has no category_examples.complaint.%s", target)
	}
	j += at + len(marker)
	edited := src[:j] + "      - \"" + story + "\"\n" + src[j:]
	after, err := LoadDefinition([]byte(edited))
	if err != nil {
		t.Fatal(err)
	}
	i := after.likelyCategory(complaintbot.KindComplaint, after.normalize(story))
	if i < 0 || cats[i].Code != target {
		t.Fatalf("after adding the story to %s's examples the likely category is %d (was %d), want %s", target, i, was, target)
	}

	// A transcript: the story, and the bot notes the category learnt instead of asking it.
	c := newChat(t)
	if c.e, err = New(after, Config{}); err != nil {
		t.Fatal(err)
	}
	c.say("我要投诉")
	c.say(story)
	if got := c.st.Draft.Category; got == nil || got.Code != target {
		t.Fatalf("after the story the draft's category is %v, want %s", got, target)
	}
}

// Examples naming a kind or a category the file does not have are refused, by key.
func TestCategoryExamplesOfUnknownCategoriesAreRefused(t *testing.T) {
	t.Parallel()
	src := string(DefaultYAML())
	for _, tc := range []struct{ add, want string }{
		{"\n  complaint_x:\n    attitude:\n      - \"柜员态度不好\"\n", "category_examples.complaint_x"},
		{"\n  praise:\n    attitude:\n      - \"柜员很耐心\"\n", "category_examples.praise"},
	} {
		at := strings.Index(src, "\ncategory_examples:") + len("\ncategory_examples:")
		_, err := LoadDefinition([]byte(src[:at] + tc.add + src[at+1:]))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("adding %q: error %v, want one naming %s", tc.add, err, tc.want)
		}
	}
	at := strings.Index(src, "\ncategory_examples:\n  complaint:\n") + len("\ncategory_examples:\n  complaint:\n")
	_, err := LoadDefinition([]byte(src[:at] + "    nosuch:\n      - \"x\"\n" + src[at:]))
	if err == nil || !strings.Contains(err.Error(), "category_examples.complaint.nosuch") {
		t.Errorf("an unknown category's examples: error %v, want one naming category_examples.complaint.nosuch", err)
	}
}
