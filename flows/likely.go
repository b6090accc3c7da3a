package flows

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"unicode"

	"github.com/complaintbot/complaintbot"
)

// likelyModel tells which category of a kind a story most likely belongs to from the pairs of
// adjacent Chinese characters it shares with what customers told before (the flow file's
// category_examples, and each keyword as one example): for a story whose words name no category's
// keyword ("柜台的人说比定期利息高，结果买的是分红保险") or several. A pair counts for a category by
// the share of its examples that hold it, smoothed towards the pair's share of all examples, so
// that a pair every category's customers use ("柜台", "支行") tells nothing and a category with
// few examples is not favoured for the pairs it has never seen.
type likelyModel struct {
	examples []float64          // per category: how many examples it has
	holding  []map[string]int   // per category: how many of its examples hold each pair
	all      map[string]float64 // each pair's share of all examples
}

// likelySmoothing is how many examples' weight a pair's share of all examples has in a category's
// share (Dirichlet smoothing): measured on the corpus's blind sets, 1 to 5 do equally well.
const likelySmoothing = 2.0

// charPairs returns the pairs of adjacent Chinese characters of a normalised text, each once;
// a pair never spans a space, a punctuation mark, a digit or a Latin letter.
func charPairs(n string) map[string]bool {
	out := map[string]bool{}
	var prev rune
	for _, r := range n {
		if !unicode.Is(unicode.Han, r) {
			prev = 0
			continue
		}
		if prev != 0 {
			out[string([]rune{prev, r})] = true
		}
		prev = r
	}
	return out
}

// newLikelyModel learns from the categories' keywords and examples (each normalised by norm).
func newLikelyModel(cats []categoryDef, examples map[string][]string, norm func(string) string) *likelyModel {
	m := &likelyModel{examples: make([]float64, len(cats)), holding: make([]map[string]int, len(cats)), all: map[string]float64{}}
	total := 0.0
	for i, c := range cats {
		m.holding[i] = map[string]int{}
		texts := append(slices.Clone(c.Keywords), examples[c.Code]...)
		for _, t := range texts {
			ps := charPairs(norm(strings.ReplaceAll(t, "…", " ")))
			if len(ps) == 0 {
				continue
			}
			m.examples[i]++
			total++
			for p := range ps {
				m.holding[i][p]++
				m.all[p]++
			}
		}
	}
	for p := range m.all {
		m.all[p] /= total
	}
	return m
}

// best returns the category whose examples a normalised story resembles most, and -1 when the
// story shares no pair with any example (nothing to go by).
func (m *likelyModel) best(n string) int {
	if m == nil {
		return -1
	}
	var known []string
	for p := range charPairs(n) {
		if m.all[p] > 0 {
			known = append(known, p)
		}
	}
	if len(known) == 0 {
		return -1
	}
	slices.Sort(known) // the same sum in the same order: ties fall the same way every time
	best, bestScore := -1, math.Inf(-1)
	for i := range m.examples {
		if m.examples[i] == 0 {
			continue
		}
		score := 0.0
		for _, p := range known {
			score += math.Log((float64(m.holding[i][p]) + likelySmoothing*m.all[p]) / (m.examples[i] + likelySmoothing))
		}
		if score > bestScore {
			best, bestScore = i, score
		}
	}
	return best
}

// compileLikely learns a model for each kind that has categories.
func (d *Definition) compileLikely() {
	d.likely = map[complaintbot.Kind]*likelyModel{}
	for kind, cats := range d.file.Categories {
		if len(cats) > 0 {
			d.likely[complaintbot.Kind(kind)] = newLikelyModel(cats, d.file.CategoryExamples[kind], d.normalize)
		}
	}
}

// validateCategoryExamples checks that the examples name kinds and categories the file has.
func (f *fileDef) validateCategoryExamples() error {
	for _, kind := range slices.Sorted(maps.Keys(f.CategoryExamples)) {
		byCode := f.CategoryExamples[kind]
		cats, ok := f.Categories[kind]
		if !ok {
			return fmt.Errorf("category_examples.%s: no categories of that kind", kind)
		}
		for _, code := range slices.Sorted(maps.Keys(byCode)) {
			texts := byCode[code]
			if !slices.ContainsFunc(cats, func(c categoryDef) bool { return c.Code == code }) {
				return fmt.Errorf("category_examples.%s.%s: no such category", kind, code)
			}
			for i, t := range texts {
				if strings.TrimSpace(t) == "" {
					return fmt.Errorf("category_examples.%s.%s[%d]: empty", kind, code, i)
				}
			}
		}
	}
	return nil
}

// likelyCategory returns the category a story most likely belongs to when its words name none
// (see likelyModel); -1 when the story tells too little to go by.
func (d *Definition) likelyCategory(kind complaintbot.Kind, n string) int {
	if d.content(n) < d.file.Understanding.StoryContent {
		return -1
	}
	return d.likely[kind].best(n)
}
