package taxonomy

import (
	"errors"
	"fmt"
	"github.com/complaintbot/complaintbot"
	"strings"
)

// Coding is a case's JR/T 0169 codes, one leaf per axis (the domain's type; see Validate).
type Coding = complaintbot.Coding

// Validate checks, against a loaded taxonomy, that every axis carries a leaf of that axis. It
// returns nil, or a CodingError with one *AxisError per axis that is missing or wrong, in the order
// A, B, C.
func (t *Taxonomy) Validate(c Coding) error {
	var errs CodingError
	for _, a := range Axes() {
		code := c.Code(a)
		var why error
		switch n, ok := t.byCode[code]; {
		case code == "":
			why = ErrMissing
		case !ok:
			why = ErrUnknown
		case n.Axis != a:
			why = ErrWrongAxis
		case !n.Leaf:
			why = ErrNotLeaf
		default:
			continue
		}
		errs = append(errs, &AxisError{Axis: a, Code: code, Err: why})
	}
	if len(errs) == 0 {
		return nil
	}
	return errs
}

// What is wrong with one axis of a Coding (the Err of an AxisError; match with errors.Is).
var (
	ErrMissing   = errors.New("not coded")
	ErrUnknown   = errors.New("not a JR/T 0169 code")
	ErrWrongAxis = errors.New("a code of another axis")
	ErrNotLeaf   = errors.New("not the deepest level of its branch")
)

// AxisError is one axis of a Coding that is missing or wrong.
type AxisError struct {
	Axis Axis   // the axis
	Code string // the code given (empty when missing)
	Err  error  // ErrMissing, ErrUnknown, ErrWrongAxis or ErrNotLeaf
}

// Error says which axis and what is wrong with it.
func (e *AxisError) Error() string {
	if e.Code == "" {
		return fmt.Sprintf("JR/T 0169 axis %s: %v", e.Axis, e.Err)
	}
	return fmt.Sprintf("JR/T 0169 axis %s: %s is %v", e.Axis, e.Code, e.Err)
}

// Unwrap is the reason (ErrMissing …).
func (e *AxisError) Unwrap() error { return e.Err }

// CodingError is every axis of a Coding that is missing or wrong, in the order A, B, C.
// errors.Is(err, ErrMissing) matches any of them, errors.As(err, &axisErr) finds the first, and
// Axis finds a given axis.
type CodingError []*AxisError

// Error lists the axes that are missing or wrong.
func (e CodingError) Error() string {
	parts := make([]string, len(e))
	for i, ae := range e {
		parts[i] = ae.Error()
	}
	return strings.Join(parts, "; ")
}

// Unwrap is the errors of the single axes.
func (e CodingError) Unwrap() []error {
	out := make([]error, len(e))
	for i, ae := range e {
		out[i] = ae
	}
	return out
}

// Axis is the error of axis a, or nil when that axis is right.
func (e CodingError) Axis(a Axis) *AxisError {
	for _, ae := range e {
		if ae.Axis == a {
			return ae
		}
	}
	return nil
}
