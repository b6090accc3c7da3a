package complaintbot

// Axis is one of the three JR/T 0169-2018 axes a complaint is coded on ("A", "B", "C"); the
// taxonomy package holds the codes of each.
type Axis string

// The three axes, in the standard's order.
const (
	AxisChannel  Axis = "A" // 业务办理渠道: where the business complained about was done
	AxisBusiness Axis = "B" // 业务类别: the business
	AxisReason   Axis = "C" // 投诉原因: the reason
)

// Coding is a case's JR/T 0169 codes, one leaf per axis. An empty field is an axis not coded
// yet; taxonomy.Taxonomy.Validate says whether the codes are right.
type Coding struct {
	Channel  string `bson:"jr_channel,omitempty" json:"jr_channel,omitempty"`   // A 业务办理渠道
	Business string `bson:"jr_business,omitempty" json:"jr_business,omitempty"` // B 业务类别
	Reason   string `bson:"jr_reason,omitempty" json:"jr_reason,omitempty"`     // C 投诉原因
}

// Code is the coding's code on axis a (empty for an unknown axis).
func (c Coding) Code(a Axis) string {
	switch a {
	case AxisChannel:
		return c.Channel
	case AxisBusiness:
		return c.Business
	case AxisReason:
		return c.Reason
	}
	return ""
}

// With is the coding with axis a set to code (unchanged for an unknown axis).
func (c Coding) With(a Axis, code string) Coding {
	switch a {
	case AxisChannel:
		c.Channel = code
	case AxisBusiness:
		c.Business = code
	case AxisReason:
		c.Reason = code
	}
	return c
}

// Complete reports whether every axis carries a code (not whether the codes are right).
func (c Coding) Complete() bool { return c.Channel != "" && c.Business != "" && c.Reason != "" }

// IsZero reports whether no axis is coded (the BSON encoder then leaves the coding out).
func (c Coding) IsZero() bool { return c == Coding{} }
