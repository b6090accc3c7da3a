package storage

import "testing"

// What an anonymised case keeps of its free-form fields: codes (statuses, user names, ids with
// case numbers), never a phone number, a name, a sentence or the customer's openid.
func TestScrubTextKeepsCodesOnly(t *testing.T) {
	t.Parallel()
	secret := []string{"oSecretOpenID000000000001"}
	for s, keep := range map[string]bool{
		"closed": true, "wangli": true, "low_rating": true, "TS20221101-0001#1": true, "": true, "reply": true,
		"13812345678": false, "tel:13812345678": false, "张三": false, "客户很不满意": false, "oSecretOpenID000000000001": false,
		"draft-expired:oSecretOpenID000000000001:1": false, "TS20221101-0001 13812345678": false, "call me at 021-55512345": false,
	} {
		if got := scrubText(s, secret); (got == s) != keep || (!keep && got != "") {
			t.Errorf("scrubText(%q) = %q, want kept=%v", s, got, keep)
		}
	}
}
