package taxonomy

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"github.com/complaintbot/complaintbot"
	"io"
	"strings"

	"gopkg.in/yaml.v3"
)

//go:embed jrt0169.yaml
var defaultFile []byte

// Axis is one of the standard's three axes, named by its letter.
type Axis = complaintbot.Axis

// The three axes, in the standard's order.
const (
	Channel  = complaintbot.AxisChannel  // 业务办理渠道: where the business complained about was done
	Business = complaintbot.AxisBusiness // 业务类别: the business
	Reason   = complaintbot.AxisReason   // 投诉原因: the reason
)

// Axes lists the three axes in the standard's order.
func Axes() []Axis { return []Axis{Channel, Business, Reason} }

// OfficialAccountChannel is the A code of 网络公众平台 (前台业务渠道 › 电子渠道 › 网络公众平台): the
// receiving channel (受理渠道) of every complaint made through the WeChat Official Account. A case
// records it apart from its own A code, which says where the business complained about was done (a
// complaint about a counter is 营业现场 whatever channel carried it). Load refuses a data file where
// this code is not that leaf.
const OfficialAccountChannel = "A01034"

// Level is the depth of a node: the standard's large (大类), middle (中类) and small (小类) levels.
type Level int

// The levels of the standard.
const (
	Large  Level = 1 // 大类: two digits after the axis letter (B03)
	Middle Level = 2 // 中类: two more digits (B0302)
	Small  Level = 3 // 小类: one more digit (B03026)
)

// OtherName is the name the standard gives the "other" item of a level.
const OtherName = "其他"

// Node is one item of an axis. Only a leaf (the deepest level of its branch) may be carried by a
// case. Nodes returned by a Taxonomy are copies: changing them changes nothing.
type Node struct {
	Code     string   // B03026
	Name     string   // 盗刷
	Axis     Axis     // B
	Level    Level    // Small
	Parent   string   // B0302; empty at the large level
	Leaf     bool     // the code a case may carry
	Other    bool     // the level's 其他 item (99, or 9 at the small level)
	Words    []string // what customers write that points here (see the data file), normalised
	Children []Node   // in the standard's order; empty for a leaf
}

// Taxonomy is the loaded classification. It is read-only once loaded and safe for concurrent use.
type Taxonomy struct {
	axes       map[Axis]*axis
	byCode     map[string]*node
	categories map[string]string // flow category code → C leaf
	matchers   map[Axis]*matcher
}

type axis struct {
	letter Axis
	name   string
	roots  []*node
	leaves []*node
	other  *node // the large-level 其他 leaf, if the axis has one
}

type node struct {
	Node
	parent   *node
	children []*node
}

// Load reads the embedded data file (jrt0169.yaml). It returns an error, never panics, if the file
// is malformed.
func Load() (*Taxonomy, error) {
	t, err := Parse(defaultFile)
	if err != nil {
		return nil, fmt.Errorf("embedded jrt0169.yaml: %w", err)
	}
	return t, nil
}

// Parse reads a data file in the format of jrt0169.yaml (an operator's replacement, read by the
// caller) and checks it: the axes A, B, C in order; every code its parent's code plus two digits
// (one at the small level), in increasing order among its siblings; 其他 numbered 99 (9 at the
// small level) and last; codes unique; `leaf: true` exactly on the nodes without children; every
// category mapped to a leaf of C; OfficialAccountChannel the leaf 网络公众平台.
func Parse(data []byte) (*Taxonomy, error) {
	var f fileDef
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("taxonomy file is empty")
		}
		return nil, fmt.Errorf("taxonomy file: %w", err)
	}
	t := &Taxonomy{
		axes:       map[Axis]*axis{},
		byCode:     map[string]*node{},
		categories: map[string]string{},
		matchers:   map[Axis]*matcher{},
	}
	want := Axes()
	if len(f.Axes) != len(want) {
		return nil, fmt.Errorf("axes: want %d axes (A, B, C), got %d", len(want), len(f.Axes))
	}
	for i, ad := range f.Axes {
		letter := want[i]
		if Axis(ad.Axis) != letter {
			return nil, fmt.Errorf("axes[%d]: want axis %s, got %q", i, letter, ad.Axis)
		}
		if strings.TrimSpace(ad.Name) == "" {
			return nil, fmt.Errorf("axis %s: name is missing", letter)
		}
		a := &axis{letter: letter, name: ad.Name}
		roots, err := t.build(a, nil, ad.Nodes, Large, "axis "+string(letter))
		if err != nil {
			return nil, err
		}
		if len(roots) == 0 {
			return nil, fmt.Errorf("axis %s: no nodes", letter)
		}
		a.roots = roots
		if last := roots[len(roots)-1]; last.Other && last.Leaf {
			a.other = last
		}
		t.axes[letter] = a
		t.matchers[letter] = newMatcher(a)
	}
	if t.axes[Reason].other == nil {
		return nil, fmt.Errorf("axis C: the reason %s (C99) is missing; it is what Propose falls back on", OtherName)
	}
	for cat, code := range f.Categories {
		n, ok := t.byCode[code]
		if !ok || n.Axis != Reason || !n.Leaf {
			return nil, fmt.Errorf("categories.%s: %q is not a reason (a leaf of axis C)", cat, code)
		}
		t.categories[cat] = code
	}
	oa, ok := t.byCode[OfficialAccountChannel]
	if !ok || !oa.Leaf || oa.Name != "网络公众平台" || oa.parent == nil || oa.parent.Name != "电子渠道" {
		return nil, fmt.Errorf("%s must be the leaf 电子渠道 › 网络公众平台 (the Official Account's receiving channel); "+
			"if the published standard numbers it differently, change OfficialAccountChannel too", OfficialAccountChannel)
	}
	return t, nil
}

// fileDef is the data file.
type fileDef struct {
	Axes       []axisDef         `yaml:"axes"`
	Categories map[string]string `yaml:"categories"`
}

type axisDef struct {
	Axis  string    `yaml:"axis"`
	Name  string    `yaml:"name"`
	Nodes []nodeDef `yaml:"nodes"`
}

type nodeDef struct {
	Code     string    `yaml:"code"`
	Name     string    `yaml:"name"`
	Leaf     bool      `yaml:"leaf"`
	Words    []string  `yaml:"words"`
	Children []nodeDef `yaml:"children"`
}

// build checks and links one level of nodes under parent (nil at the large level).
func (t *Taxonomy) build(a *axis, parent *node, defs []nodeDef, level Level, where string) ([]*node, error) {
	prefix, digits := string(a.letter), 2
	if parent != nil {
		prefix = parent.Code
	}
	if level == Small {
		digits = 1
	}
	otherSuffix := strings.Repeat("9", digits)
	names := map[string]bool{}
	nodes := make([]*node, 0, len(defs))
	prev := ""
	for i, d := range defs {
		p := fmt.Sprintf("%s: node %d (%s %s)", where, i+1, d.Code, d.Name)
		if strings.TrimSpace(d.Name) == "" {
			return nil, fmt.Errorf("%s: name is missing", p)
		}
		if names[d.Name] {
			return nil, fmt.Errorf("%s: name %q appears twice at this level", p, d.Name)
		}
		names[d.Name] = true
		suffix, ok := strings.CutPrefix(d.Code, prefix)
		if !ok || len(suffix) != digits || !allDigits(suffix) || strings.Trim(suffix, "0") == "" {
			return nil, fmt.Errorf("%s: code must be %s followed by %d digit(s) (not all zero)", p, prefix, digits)
		}
		if _, dup := t.byCode[d.Code]; dup {
			return nil, fmt.Errorf("%s: code %s appears twice", p, d.Code)
		}
		if prev != "" && suffix <= prev {
			return nil, fmt.Errorf("%s: codes must increase in the standard's order (after %s%s)", p, prefix, prev)
		}
		prev = suffix
		isOther := d.Name == OtherName
		if isOther != (suffix == otherSuffix) {
			return nil, fmt.Errorf("%s: %s is numbered %s at this level, and only %s is", p, OtherName, otherSuffix, OtherName)
		}
		if isOther && i != len(defs)-1 {
			return nil, fmt.Errorf("%s: %s must be the last item of its level", p, OtherName)
		}
		if d.Leaf == (len(d.Children) > 0) {
			return nil, fmt.Errorf("%s: leaf must be true exactly when the node has no children", p)
		}
		if level == Small && len(d.Children) > 0 {
			return nil, fmt.Errorf("%s: the small level (小类) is the deepest", p)
		}
		n := &node{Node: Node{Code: d.Code, Name: d.Name, Axis: a.letter, Level: level, Leaf: d.Leaf, Other: isOther}, parent: parent}
		if parent != nil {
			n.Parent = parent.Code
		}
		seen := map[string]bool{}
		for _, w := range d.Words {
			k := normalize(w)
			if k == "" {
				return nil, fmt.Errorf("%s: word %q is empty once normalised", p, w)
			}
			if !seen[k] {
				seen[k] = true
				n.Words = append(n.Words, k)
			}
		}
		t.byCode[d.Code] = n
		if d.Leaf {
			a.leaves = append(a.leaves, n)
		} else {
			children, err := t.build(a, n, d.Children, level+1, where)
			if err != nil {
				return nil, err
			}
			n.children = children
		}
		nodes = append(nodes, n)
	}
	return nodes, nil
}

func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// AxisName is the standard's name of an axis (业务办理渠道, 业务类别, 投诉原因); empty for an unknown
// axis.
func (t *Taxonomy) AxisName(a Axis) string {
	if x := t.axes[a]; x != nil {
		return x.name
	}
	return ""
}

// Axis is the tree of an axis: its large-level nodes in the standard's order, each with its
// children. Nil for an unknown axis.
func (t *Taxonomy) Axis(a Axis) []Node {
	x := t.axes[a]
	if x == nil {
		return nil
	}
	out := make([]Node, len(x.roots))
	for i, n := range x.roots {
		out[i] = n.public()
	}
	return out
}

// Leaves is every code of an axis a case may carry, in the standard's order (depth first), without
// children. Nil for an unknown axis.
func (t *Taxonomy) Leaves(a Axis) []Node {
	x := t.axes[a]
	if x == nil {
		return nil
	}
	out := make([]Node, len(x.leaves))
	for i, n := range x.leaves {
		out[i] = n.public()
	}
	return out
}

// Lookup finds a code on any axis, with its children.
func (t *Taxonomy) Lookup(code string) (Node, bool) {
	n, ok := t.byCode[code]
	if !ok {
		return Node{}, false
	}
	return n.public(), true
}

// Path is a code and its ancestors, large level first (银行卡, 信用卡, 盗刷 for B03026), without
// children: for display, joined as "银行卡 › 信用卡 › 盗刷". Nil for an unknown code.
func (t *Taxonomy) Path(code string) []Node {
	n, ok := t.byCode[code]
	if !ok {
		return nil
	}
	var out []Node
	for ; n != nil; n = n.parent {
		c := n.Node
		c.Words = append([]string(nil), n.Words...)
		out = append(out, c)
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// Names is the names of a code's path joined by sep ("银行卡 › 信用卡 › 盗刷" with " › "); empty
// for an unknown code.
func (t *Taxonomy) Names(code, sep string) string {
	n, ok := t.byCode[code]
	if !ok {
		return ""
	}
	var names []string
	for ; n != nil; n = n.parent {
		names = append(names, n.Name)
	}
	for i, j := 0, len(names)-1; i < j; i, j = i+1, j-1 {
		names[i], names[j] = names[j], names[i]
	}
	return strings.Join(names, sep)
}

// Label is a code with the names of its path, as registers and exports show it:
// "B03026 银行卡/信用卡/盗刷". An unknown code (a case coded before the taxonomy changed) is
// returned as it is.
func (t *Taxonomy) Label(code string) string {
	names := t.Names(code, "/")
	if names == "" {
		return code
	}
	return code + " " + names
}

// Valid reports whether code is a leaf of axis a: a code a case may carry on that axis.
func (t *Taxonomy) Valid(a Axis, code string) bool {
	n, ok := t.byCode[code]
	return ok && n.Axis == a && n.Leaf
}

// Other is the axis's large-level 其他 leaf: C99 for Reason; empty for Channel (A has no
// large-level 其他) and Business (B99 其他 has children).
func (t *Taxonomy) Other(a Axis) string {
	if x := t.axes[a]; x != nil && x.other != nil {
		return x.other.Code
	}
	return ""
}

// CategoryReason is the reason (C leaf) the flow file's category code proposes, if the data file
// maps it.
func (t *Taxonomy) CategoryReason(category string) (string, bool) {
	c, ok := t.categories[category]
	return c, ok
}

// public is a deep copy of n as callers see it.
func (n *node) public() Node {
	c := n.Node
	c.Words = append([]string(nil), n.Words...)
	if len(n.children) > 0 {
		c.Children = make([]Node, len(n.children))
		for i, ch := range n.children {
			c.Children[i] = ch.public()
		}
	}
	return c
}

// isUnder reports whether n is d or one of d's descendants.
func (n *node) isUnder(d *node) bool {
	for ; n != nil; n = n.parent {
		if n == d {
			return true
		}
	}
	return false
}
