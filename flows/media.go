package flows

import (
	"strconv"

	"github.com/complaintbot/complaintbot"
)

// maxPictures bounds the pictures kept before a draft is opened.
const maxPictures = 9

// image keeps a picture as evidence during an intake, or before one for the next draft.
func (t *turn) image() {
	st := t.st
	at := t.in.At
	if at.IsZero() {
		at = t.now
	}
	if st.Draft == nil && st.Flow == complaintbot.FlowIdle && len(st.Pictures) < maxPictures {
		// A picture before the story: kept for the draft the story opens.
		st.Pictures = append(st.Pictures, complaintbot.Evidence{MediaID: t.in.MediaID, Type: "image", At: at})
		t.add(t.msgs().ImageIdle)
		return
	}
	if st.Draft == nil || (st.Flow != complaintbot.FlowIntake && st.Flow != complaintbot.FlowResume) {
		t.add(t.msgs().ImageIdle)
		t.remind()
		return
	}
	st.Draft.Evidence = append(st.Draft.Evidence, complaintbot.Evidence{MediaID: t.in.MediaID, Type: "image", At: at})
	t.add(fill(t.msgs().ImageReceived, "count", strconv.Itoa(len(st.Draft.Evidence)), "kind", t.d.kindName(st.Draft.Kind)))
	t.add(t.question())
}

// location answers a shared location; at the branch question its label is tried as a branch.
func (t *turn) location() {
	st := t.st
	if st.Flow == complaintbot.FlowIntake && len(st.Choices) == 0 && clean(t.in.Text) != "" {
		if s := t.currentStep(); s != nil && s.Type == stepBranch {
			t.orig = clean(t.in.Text)
			text := t.d.normalize(t.orig)
			none, found := t.d.matchBranch(text)
			if none || len(found) == 1 {
				t.answer(s, text, cmdNone)
				return
			}
		}
	}
	t.add(t.msgs().Location)
	t.remind()
}
