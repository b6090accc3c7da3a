package flows

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	"github.com/complaintbot/complaintbot"
)

// reservedSteps are step names the engine uses for its own questions; no field may take them.
var reservedSteps = map[string]bool{stepReadback: true, stepDuplicate: true, stepKind: true}

// menuActions are the actions a menu key may trigger.
var menuActions = map[string]bool{
	string(complaintbot.KindComplaint): true, string(complaintbot.KindSuggestion): true,
	string(complaintbot.KindPraise): true, menuProgress: true, menuAgent: true,
}

// validate checks everything the engine relies on and names the first bad key.
func (d *Definition) validate() error {
	f := &d.file
	if err := required("hotline", f.Hotline); err != nil {
		return err
	}
	if err := required("welcome", f.Welcome); err != nil {
		return err
	}
	if err := requiredStrings("messages", &f.Messages); err != nil {
		return err
	}
	if err := requiredStrings("readback", &f.Readback); err != nil {
		return err
	}
	if err := requiredStrings("registered", &f.Registered); err != nil {
		return err
	}
	if err := validateCommands(&f.Commands); err != nil {
		return err
	}
	if err := f.Survey.validate(); err != nil {
		return err
	}
	if err := validateNotices(&f.Notices); err != nil {
		return err
	}
	if len(f.Menu) == 0 {
		return fmt.Errorf("menu is missing")
	}
	for _, k := range slices.Sorted(maps.Keys(f.Menu)) {
		if action := f.Menu[k]; !menuActions[action] {
			return fmt.Errorf("menu.%s: unknown action %q (want complaint, suggestion, praise, progress or agent)", k, action)
		}
	}
	if f.StoryMinChars <= 0 {
		return fmt.Errorf("story_min_chars must be a positive number")
	}
	if err := required("no_branch.name", f.NoBranch.Name); err != nil {
		return err
	}
	if len(f.NoBranch.Words) == 0 {
		return fmt.Errorf("no_branch.words is missing")
	}
	if err := validateBranches(f.Branches); err != nil {
		return err
	}
	for _, name := range slices.Sorted(maps.Keys(f.Categories)) {
		if name != string(complaintbot.KindComplaint) && name != string(complaintbot.KindSuggestion) && name != string(complaintbot.KindPraise) {
			return fmt.Errorf("categories.%s: unknown kind (want complaint, suggestion or praise)", name)
		}
		if err := validateCategories("categories."+name, f.Categories[name]); err != nil {
			return err
		}
	}
	if err := f.validateCategoryExamples(); err != nil {
		return err
	}
	if err := d.validateUnderstanding(); err != nil {
		return err
	}
	kinds := []struct {
		name string
		def  *kindDef
	}{{"complaint", f.Kinds.Complaint}, {"suggestion", f.Kinds.Suggestion}, {"praise", f.Kinds.Praise}}
	for _, k := range kinds {
		if err := validateKind("kinds."+k.name, k.def, len(f.Categories[k.name]) > 0); err != nil {
			return err
		}
	}
	return nil
}

func required(path, v string) error {
	if strings.TrimSpace(v) == "" {
		return fmt.Errorf("%s is missing or empty", path)
	}
	return nil
}

// requiredStrings checks that every string field of the struct pointed to by v is set.
func requiredStrings(path string, v any) error {
	rv := reflect.ValueOf(v).Elem()
	rt := rv.Type()
	for i := range rt.NumField() {
		tag := strings.Split(rt.Field(i).Tag.Get("yaml"), ",")[0]
		if err := required(path+"."+tag, rv.Field(i).String()); err != nil {
			return err
		}
	}
	return nil
}

func validateCommands(c *commandsDef) error {
	rv := reflect.ValueOf(c).Elem()
	rt := rv.Type()
	for i := range rt.NumField() {
		tag := rt.Field(i).Tag.Get("yaml")
		words := rv.Field(i).Interface().([]string)
		if len(words) == 0 {
			return fmt.Errorf("commands.%s is missing or empty", tag)
		}
		for j, w := range words {
			if key(w) == "" {
				return fmt.Errorf("commands.%s[%d]: %q has no letters or digits", tag, j, w)
			}
		}
	}
	return nil
}

func validateBranches(bs []complaintbot.Branch) error {
	if len(bs) == 0 {
		return fmt.Errorf("branches is missing or empty")
	}
	codes := map[string]bool{}
	for i, b := range bs {
		p := fmt.Sprintf("branches[%d]", i)
		if err := required(p+".code", b.Code); err != nil {
			return err
		}
		if err := required(p+".name", b.Name); err != nil {
			return err
		}
		if b.Code == complaintbot.NoBranchCode {
			return fmt.Errorf("%s.code: %q is reserved for 不涉及网点", p, b.Code)
		}
		if codes[b.Code] {
			return fmt.Errorf("%s.code: duplicate code %q", p, b.Code)
		}
		codes[b.Code] = true
	}
	return nil
}

func validateCategories(path string, cats []categoryDef) error {
	codes := map[string]bool{}
	for i, c := range cats {
		p := fmt.Sprintf("%s[%d]", path, i)
		for _, f := range []struct{ key, v string }{{"code", c.Code}, {"name", c.Name}} {
			if err := required(p+"."+f.key, f.v); err != nil {
				return err
			}
		}
		// The codes a category carried before the JR/T 0169 taxonomy: refused rather than
		// ignored, so that an older flow file's operator learns where they went.
		for _, f := range []struct{ key, v string }{{"jr_channel", c.Channel}, {"jr_business", c.Business}, {"jr_reason", c.Reason}} {
			if f.v != "" {
				return fmt.Errorf("%s.%s: JR/T 0169 codes are no longer set in the flow file: taxonomy/jrt0169.yaml maps "+
					"category %q to its reason (categories:), and the channel and business are proposed from the customer's words", p, f.key, c.Code)
			}
		}
		if codes[c.Code] {
			return fmt.Errorf("%s.code: duplicate code %q", p, c.Code)
		}
		codes[c.Code] = true
	}
	return nil
}

func validateKind(path string, k *kindDef, hasCategories bool) error {
	if k == nil {
		return fmt.Errorf("%s is missing", path)
	}
	if len(k.Words) == 0 {
		return fmt.Errorf("%s.words is missing or empty", path)
	}
	if err := required(path+".intro", k.Intro); err != nil {
		return err
	}
	if len(k.Steps) == 0 {
		return fmt.Errorf("%s.steps is missing or empty", path)
	}
	seen := map[string]bool{}
	for i, s := range k.Steps {
		p := fmt.Sprintf("%s.steps[%d]", path, i)
		if err := required(p+".field", s.Field); err != nil {
			return err
		}
		if reservedSteps[s.Field] {
			return fmt.Errorf("%s.field: %q is reserved", p, s.Field)
		}
		if seen[s.Field] {
			return fmt.Errorf("%s.field: %q is asked twice", p, s.Field)
		}
		seen[s.Field] = true
		for _, f := range []struct{ key, v string }{{"label", s.Label}, {"prompt", s.Prompt}, {"help", s.Help}, {"example", s.Example}} {
			if err := required(p+"."+f.key, f.v); err != nil {
				return err
			}
		}
		if err := validateStepType(p, s, hasCategories); err != nil {
			return err
		}
		if s.IfTold && !s.Optional {
			return fmt.Errorf("%s: a question asked only if told (if_told) must be optional", p)
		}
	}
	return nil
}

func validateStepType(p string, s stepDef, hasCategories bool) error {
	want := map[string]string{stepChoice: fieldCategory, stepBranch: fieldBranch, stepDateTime: fieldOccurredAt}
	switch s.Type {
	case stepChoice, stepBranch, stepDateTime:
		if s.Field != want[s.Type] {
			return fmt.Errorf("%s.field: a %s step must fill %q, not %q", p, s.Type, want[s.Type], s.Field)
		}
		if s.Type == stepChoice && !hasCategories {
			return fmt.Errorf("%s: a choice step needs categories for this kind under categories", p)
		}
	case stepText, stepPhone:
		for _, f := range want {
			if s.Field == f {
				return fmt.Errorf("%s.field: %q needs a step of its own type, not %s", p, s.Field, s.Type)
			}
		}
		if s.Type == stepText && (s.Min < 0 || s.Max <= 0 || s.Min > s.Max) {
			return fmt.Errorf("%s: a text step needs 0 <= min <= max and max > 0 (got min %d, max %d)", p, s.Min, s.Max)
		}
	case "":
		return fmt.Errorf("%s.type is missing (want choice, text, branch, datetime or phone)", p)
	default:
		return fmt.Errorf("%s.type: unknown step type %q (want choice, text, branch, datetime or phone)", p, s.Type)
	}
	return nil
}
