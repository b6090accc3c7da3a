package flows

import (
	"testing"

	"github.com/complaintbot/complaintbot"
)

// BenchmarkHandleStory measures one turn that reads a whole story: normalisation (OpenCC), slots,
// branch sounds and times.
func BenchmarkHandleStory(b *testing.B) {
	e, err := New(defaultDef(), Config{})
	if err != nil {
		b.Fatal(err)
	}
	in := complaintbot.Input{Type: complaintbot.InputText, Text: "城冬支行的櫃員態度太差了，上個禮拜二下午三點去辦存款，讓我等了一個多小時還愛答不理的，希望給個說法，電話13812345678"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Handle(complaintbot.ConversationState{}, in, saturday, nil); err != nil {
			b.Fatal(err)
		}
	}
}
