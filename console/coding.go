package console

import (
	"errors"
	"strings"
	"sync"

	"github.com/complaintbot/complaintbot/cases"
	"github.com/complaintbot/complaintbot/taxonomy"
)

// CodingAxis is one JR/T 0169 axis of a case as the console shows it (pages, JSON, exports).
type CodingAxis struct {
	// Axis is the axis letter (A, B, C); AxisName the standard's name of it (业务办理渠道 …).
	Axis     taxonomy.Axis `json:"axis"`
	AxisName string        `json:"axis_name"`
	// Code is the case's code on the axis, "" when uncoded.
	Code string `json:"code"`
	// Name is the names of the code's path ("银行卡/信用卡/盗刷"): 未编码 when uncoded, "" for a code
	// the taxonomy does not have.
	Name string `json:"name"`
	// Leaf is the code's own name (盗刷), as the case list shows it; "" when uncoded or unknown.
	Leaf string `json:"leaf,omitempty"`
	// Label is the code with its names ("B03026 银行卡/信用卡/盗刷"), 未编码, or an unknown code as it
	// is.
	Label string `json:"label"`
	// Valid: the code is a leaf of the axis, as Resolve requires.
	Valid bool `json:"valid"`
}

// CodingField is an axis of the case page's coding form: the axis and the codes it may carry.
type CodingField struct {
	CodingAxis
	// Param is the form field's name (jr_channel, jr_business, jr_reason).
	Param   string
	Options []CodingOption
}

// CodingOption is one leaf in a coding form's list.
type CodingOption struct {
	Code, Label string
	Selected    bool
}

// codingParams are the form and JSON fields of the three axes, as taxonomy.Coding names them.
var codingParams = map[taxonomy.Axis]string{taxonomy.Channel: "jr_channel", taxonomy.Business: "jr_business", taxonomy.Reason: "jr_reason"}

// fallbackTaxonomy is the embedded classification, for a console built without a case workflow.
var fallbackTaxonomy = sync.OnceValue(func() *taxonomy.Taxonomy {
	t, _ := taxonomy.Load()
	return t
})

// taxonomy is the classification the case workflow codes cases in.
func (c *Console) taxonomy() *taxonomy.Taxonomy {
	if c.cases != nil && c.cases.Taxonomy() != nil {
		return c.cases.Taxonomy()
	}
	return fallbackTaxonomy()
}

// codingAxes is the coding as the console shows it, axis by axis in the order A, B, C.
func codingAxes(t *taxonomy.Taxonomy, cd taxonomy.Coding) []CodingAxis {
	out := make([]CodingAxis, 0, 3)
	for _, a := range taxonomy.Axes() {
		x := CodingAxis{Axis: a, Code: cd.Code(a)}
		if t != nil {
			x.AxisName = t.AxisName(a)
		}
		switch {
		case x.Code == "":
			x.Name, x.Label = cases.Uncoded, cases.Uncoded
		case t != nil && t.Names(x.Code, "/") != "":
			x.Name, x.Label, x.Valid = t.Names(x.Code, "/"), t.Label(x.Code), t.Valid(a, x.Code)
			if n, ok := t.Lookup(x.Code); ok {
				x.Leaf = n.Name
			}
		default:
			x.Label = x.Code
		}
		out = append(out, x)
	}
	return out
}

// codingFields is the case page's coding form for the case's coding: every leaf of each axis,
// the case's code chosen.
func codingFields(t *taxonomy.Taxonomy, cd taxonomy.Coding) []CodingField {
	out := []CodingField{}
	if t == nil {
		return out
	}
	for _, x := range codingAxes(t, cd) {
		f := CodingField{CodingAxis: x, Param: codingParams[x.Axis]}
		for _, n := range t.Leaves(x.Axis) {
			f.Options = append(f.Options, CodingOption{Code: n.Code, Label: t.Label(n.Code), Selected: n.Code == x.Code})
		}
		out = append(out, f)
	}
	return out
}

// codingFrom reads the three axes of a coding form or JSON body.
func codingFrom(form func(string) string) taxonomy.Coding {
	var cd taxonomy.Coding
	for _, a := range taxonomy.Axes() {
		cd = cd.With(a, form(codingParams[a]))
	}
	return cd
}

// codingProblems words what is wrong with the axes of a refused coding, for the user: "业务类别（B）
// 未编码；投诉原因（C）：C77 不是 JR/T 0169 编码".
func (c *Console) codingProblems(err error) string {
	var ce taxonomy.CodingError
	if !errors.As(err, &ce) || len(ce) == 0 {
		return "编码有误"
	}
	t := c.taxonomy()
	parts := make([]string, 0, len(ce))
	for _, ae := range ce {
		axis := string(ae.Axis)
		if t != nil && t.AxisName(ae.Axis) != "" {
			axis = t.AxisName(ae.Axis) + "（" + string(ae.Axis) + "）"
		}
		switch {
		case errors.Is(ae, taxonomy.ErrMissing):
			parts = append(parts, axis+"未编码")
		case errors.Is(ae, taxonomy.ErrNotLeaf):
			parts = append(parts, axis+"："+ae.Code+" 不是最细一级的编码，请选到最细一级")
		case errors.Is(ae, taxonomy.ErrWrongAxis):
			parts = append(parts, axis+"："+ae.Code+" 是其他维度的编码")
		default:
			parts = append(parts, axis+"："+ae.Code+" 不是 JR/T 0169 编码")
		}
	}
	return strings.Join(parts, "；")
}

// coding is the template function jrt: the case's coding as the console shows it.
func (d *displayNames) coding(cd taxonomy.Coding) []CodingAxis { return codingAxes(d.c.taxonomy(), cd) }
