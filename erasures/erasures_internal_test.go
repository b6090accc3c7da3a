package erasures

import "testing"

// A phone number is 7 to 15 digits, typed with spaces, dashes or a leading +.
func TestPhoneNumbersAsTyped(t *testing.T) {
	for query, want := range map[string]string{
		"13812345678":        "13812345678",
		"138 1234 5678":      "13812345678",
		"+86 138-1234-5678":  "8613812345678",
		"021-1234567":        "0211234567",
		"123456":             "", // 6 digits
		"1234567":            "1234567",
		"1234567890123456":   "", // 16 digits
		"138 1234 567x":      "",
		"TS20261204-0001":    "",
		"oTestCustomerA0001": "",
	} {
		if got := phone(query); got != want {
			t.Errorf("phone(%q) = %q, want %q", query, got, want)
		}
	}
}

// The code depends on both the customers and the agent-registered cases.
func TestCodesDifferByWhatTheyErase(t *testing.T) {
	a := code([]string{"oA"}, nil)
	for _, other := range []string{code([]string{"oB"}, nil), code(nil, []string{"oA"}), code([]string{"oA"}, []string{"TS20261204-0001"})} {
		if other == a {
			t.Errorf("two erasures share the code %s", a)
		}
	}
	if code([]string{"oA"}, nil) != a {
		t.Error("the same erasure has two codes")
	}
}
