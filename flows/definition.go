package flows

import (
	"bytes"
	_ "embed" // the default flow definition is embedded
	"fmt"
	"regexp"

	"gopkg.in/yaml.v3"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/textnorm"
)

// unknownKeys rewrites yaml.v3's report of a key that is not in the layout.
var unknownKeys = regexp.MustCompile(`field (\S+) not found in type \S+`)

//go:embed default.yaml
var defaultYAML []byte

// Definition is a parsed, validated flow definition: the questions of each kind, every text the
// customer reads, the branch list and the categories with their JR/T 0169-2018 codes. It is
// immutable once loaded and safe to share between goroutines.
type Definition struct {
	file     fileDef
	kinds    map[complaintbot.Kind]*kindDef
	commands map[string]command // normalised word → command
	cancels  words              // commands.cancel, for a message made of them ("算了不投诉了")
	u        *understanding     // compiled word lists
	sounds   []branchSound      // branch names by sound, for typos
	requests requestWords       // the case_requests words, compiled (withdraw.go)
	likely   map[complaintbot.Kind]*likelyModel
}

// DefaultDefinition returns the embedded default definition (flows/default.yaml). It panics only
// if the embedded file itself is broken, which the package's tests rule out.
func DefaultDefinition() *Definition {
	d, err := LoadDefinition(defaultYAML)
	if err != nil {
		panic("flows: embedded default.yaml: " + err.Error())
	}
	return d
}

// DefaultYAML returns a copy of the embedded default definition, for an operator to start from.
func DefaultYAML() []byte { return bytes.Clone(defaultYAML) }

// LoadDefinition parses and validates an operator's definition file. Unknown keys, missing texts,
// unknown step types, duplicate codes and categories without JR/T codes are errors; each error
// names the offending key (for example "kinds.complaint.steps[2].type").
func LoadDefinition(yamlBytes []byte) (*Definition, error) {
	var f fileDef
	dec := yaml.NewDecoder(bytes.NewReader(yamlBytes))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("flows: definition: %s", unknownKeys.ReplaceAllString(err.Error(), `unknown key "$1"`))
	}
	if err := f.fillSections(); err != nil {
		return nil, fmt.Errorf("flows: definition: %w", err)
	}
	if err := f.Messages.fillHandoffTexts(); err != nil {
		return nil, fmt.Errorf("flows: definition: %w", err)
	}
	if err := textnorm.Load(); err != nil {
		return nil, fmt.Errorf("flows: definition: %w", err)
	}
	d := &Definition{file: f}
	if err := d.validate(); err != nil {
		return nil, fmt.Errorf("flows: definition: %w", err)
	}
	d.index()
	return d, nil
}

// Categories returns a copy of the categories a case of the given kind can be filed under, in
// the order the customer is offered them; nil when the kind asks for none.
func (d *Definition) Categories(kind complaintbot.Kind) []complaintbot.Category {
	defs := d.file.Categories[string(kind)]
	if len(defs) == 0 {
		return nil
	}
	out := make([]complaintbot.Category, len(defs))
	for i, c := range defs {
		out[i] = c.Category
	}
	return out
}

// Branches returns a copy of the branch list, in file order. The "no branch" choice
// (complaintbot.NoBranchCode) is not in it.
func (d *Definition) Branches() []complaintbot.Branch {
	out := make([]complaintbot.Branch, len(d.file.Branches))
	for i, b := range d.file.Branches {
		out[i] = copyBranch(b)
	}
	return out
}

// noBranch returns the branch recorded when a case concerns no particular branch.
func (d *Definition) noBranch() complaintbot.Branch {
	return complaintbot.Branch{Code: complaintbot.NoBranchCode, Name: d.file.NoBranch.Name}
}

// kind returns the flow of a kind; validation guarantees all three kinds exist.
func (d *Definition) kind(k complaintbot.Kind) *kindDef { return d.kinds[k] }

// kindName is what customers read for a kind: the flow file's name for it (the loader fills one
// the file lacks from the embedded default).
func (d *Definition) kindName(k complaintbot.Kind) string {
	if kd := d.kinds[k]; kd != nil {
		return kd.Name
	}
	return ""
}

// statusName is what customers read for a case status: the flow file's name for it (the loader
// fills one the file lacks from the embedded default).
func (d *Definition) statusName(s complaintbot.Status) string { return d.file.Statuses[s] }

// StatusName is what customers read for a case status (the flow file's statuses:).
func (d *Definition) StatusName(s complaintbot.Status) string { return d.statusName(s) }

// kindOrder lists the kinds in the order the customer is offered them (1 投诉 2 建议 3 表扬).
var kindOrder = []complaintbot.Kind{complaintbot.KindComplaint, complaintbot.KindSuggestion, complaintbot.KindPraise}

func (d *Definition) index() {
	d.requests = compileRequests(&d.file.CaseRequests)
	d.kinds = map[complaintbot.Kind]*kindDef{
		complaintbot.KindComplaint:  d.file.Kinds.Complaint,
		complaintbot.KindSuggestion: d.file.Kinds.Suggestion,
		complaintbot.KindPraise:     d.file.Kinds.Praise,
	}
	d.commands = map[string]command{}
	c := d.file.Commands
	for _, g := range []struct {
		cmd   command
		words []string
	}{
		{cmdCancel, c.Cancel}, {cmdBack, c.Back}, {cmdAgent, c.Agent}, {cmdHelp, c.Help},
		{cmdSkip, c.Skip}, {cmdConfirm, c.Confirm}, {cmdResume, c.Resume}, {cmdRestart, c.Restart},
		{cmdProgress, c.Progress}, {cmdGreeting, c.Greeting},
	} {
		for _, w := range g.words {
			if _, taken := d.commands[key(w)]; !taken {
				d.commands[key(w)] = g.cmd
			}
		}
	}
	d.cancels = newWords(c.Cancel)
	d.compileUnderstanding()
	d.compileLikely()
	d.indexSounds()
}

func copyBranch(b complaintbot.Branch) complaintbot.Branch {
	b.Aliases = append([]string(nil), b.Aliases...)
	return b
}
