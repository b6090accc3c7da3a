package taxonomy

import (
	"errors"
	"testing"
)

func TestCodingValidate(t *testing.T) {
	tx := mustLoad(t)
	good := Coding{Channel: OfficialAccountChannel, Business: "B03026", Reason: "C10"}
	if err := tx.Validate(good); err != nil {
		t.Fatalf("Validate(%+v) = %v", good, err)
	}
	if !good.Complete() {
		t.Errorf("Complete() = false for %+v", good)
	}

	for _, tc := range []struct {
		name string
		c    Coding
		want map[Axis]error // the axes that must fail, and why
	}{
		{"uncoded", Coding{}, map[Axis]error{Channel: ErrMissing, Business: ErrMissing, Reason: ErrMissing}},
		{"proposal without A and B", Coding{Reason: "C99"}, map[Axis]error{Channel: ErrMissing, Business: ErrMissing}},
		{"old flow file codes", Coding{Channel: "A03", Business: "B99", Reason: "C06"},
			map[Axis]error{Channel: ErrUnknown, Business: ErrNotLeaf}},
		{"large level only", Coding{Channel: "A01", Business: "B03", Reason: "C01"},
			map[Axis]error{Channel: ErrNotLeaf, Business: ErrNotLeaf}},
		{"middle level with small levels below", Coding{Channel: "A0103", Business: "B0302", Reason: "C01"},
			map[Axis]error{Channel: ErrNotLeaf, Business: ErrNotLeaf}},
		{"axes swapped", Coding{Channel: "B03026", Business: "A0101", Reason: "C13"},
			map[Axis]error{Channel: ErrWrongAxis, Business: ErrWrongAxis, Reason: ErrUnknown}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tx.Validate(tc.c)
			var ce CodingError
			if !errors.As(err, &ce) {
				t.Fatalf("Validate(%+v) = %v, want a CodingError", tc.c, err)
			}
			if len(ce) != len(tc.want) {
				t.Errorf("Validate(%+v) = %v: %d axes, want %d", tc.c, err, len(ce), len(tc.want))
			}
			for _, a := range Axes() {
				ae := ce.Axis(a)
				want := tc.want[a]
				switch {
				case want == nil && ae != nil:
					t.Errorf("axis %s: %v, want no error", a, ae)
				case want != nil && (ae == nil || !errors.Is(ae, want)):
					t.Errorf("axis %s: %v, want %v", a, ae, want)
				case ae != nil && ae.Code != tc.c.Code(a):
					t.Errorf("axis %s: error names %q, want %q", a, ae.Code, tc.c.Code(a))
				}
				if want != nil && !errors.Is(err, want) {
					t.Errorf("errors.Is(err, %v) = false", want)
				}
			}
			var first *AxisError
			if !errors.As(err, &first) || first != ce[0] {
				t.Errorf("errors.As(*AxisError) = %v, want the first axis", first)
			}
		})
	}

	if got := tx.Validate(Coding{Reason: "C99"}).Error(); got != "JR/T 0169 axis A: not coded; JR/T 0169 axis B: not coded" {
		t.Errorf("message: %q", got)
	}
	if got := tx.Validate(Coding{Channel: "A01", Business: "B0101", Reason: "C01"}).Error(); got !=
		"JR/T 0169 axis A: A01 is not the deepest level of its branch; JR/T 0169 axis B: B0101 is not a JR/T 0169 code" {
		t.Errorf("message: %q", got)
	}
	for _, c := range []Coding{{}, {Channel: "A0101"}, {Channel: "A0101", Business: "B01"}, {Business: "B01", Reason: "C01"}} {
		if c.Complete() {
			t.Errorf("Complete() = true for %+v", c)
		}
	}
}

func TestCodingCodeWith(t *testing.T) {
	c := Coding{}.With(Channel, "A0101").With(Business, "B01").With(Reason, "C01").With("D", "D01")
	if c != (Coding{Channel: "A0101", Business: "B01", Reason: "C01"}) {
		t.Fatalf("With: %+v", c)
	}
	if c.Code(Channel) != "A0101" || c.Code(Business) != "B01" || c.Code(Reason) != "C01" || c.Code("D") != "" {
		t.Errorf("Code: %+v", c)
	}
}
