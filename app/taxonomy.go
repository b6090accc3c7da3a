package app

import (
	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/flows"
)

// warnUnmappedCategories logs the flow file's categories that the JR/T 0169 data file's
// `categories:` does not map to a reason: their cases get the reason the customer's words point to,
// else 其他 (C99), which is allowed but probably not meant.
func (a *App) warnUnmappedCategories(def *flows.Definition) {
	for _, k := range []complaintbot.Kind{complaintbot.KindComplaint, complaintbot.KindSuggestion, complaintbot.KindPraise} {
		for _, c := range def.Categories(k) {
			if _, ok := a.Taxonomy.CategoryReason(c.Code); !ok {
				a.Log.Warn("flow category has no JR/T 0169 reason in taxonomy/jrt0169.yaml (categories:); its cases are coded from the words",
					"kind", string(k), "category", c.Code)
			}
		}
	}
}
