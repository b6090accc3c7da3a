package complaintbot_test

import (
	"testing"

	"github.com/complaintbot/complaintbot"
)

func TestMasking(t *testing.T) {
	for in, want := range map[string]string{"oAbCdEfGhIjKlMnOp": "oAbC…lMnOp"[0:4] + "…" + "MnOp", "short": "…", "o_sim_客户张三丰": "o_si…户张三丰"} {
		if got := complaintbot.MaskOpenID(in); got != want {
			t.Errorf("MaskOpenID(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"13812345678": "138****5678", "0571-88886666": "057******6666", "1234": "****", "": ""} {
		if got := complaintbot.MaskPhone(in); got != want {
			t.Errorf("MaskPhone(%q) = %q, want %q", in, got, want)
		}
	}
}
