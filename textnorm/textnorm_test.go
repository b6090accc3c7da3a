package textnorm_test

import (
	"testing"

	"github.com/complaintbot/complaintbot/textnorm"
)

func TestNormalisation(t *testing.T) {
	if err := textnorm.Load(); err != nil {
		t.Fatal(err)
	}
	for in, want := range map[string]string{"投訴城東支行，確認": "投诉城东支行，确认", "兩點": "两点", "hello": "hello"} {
		if got := textnorm.Simplified(in); got != want {
			t.Errorf("Simplified(%q) = %q, want %q", in, got, want)
		}
	}
	if got := textnorm.HalfWidth("ＡＴＭ　１２３！"); got != "ATM 123!" {
		t.Errorf("HalfWidth = %q", got)
	}
}
