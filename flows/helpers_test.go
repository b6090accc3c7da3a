package flows

import (
	"strings"
	"sync"
	"time"
)

var (
	testDefOnce sync.Once
	testDef     *Definition
)

// defaultDef is the embedded definition, loaded once for the tests.
func defaultDef() *Definition {
	testDefOnce.Do(func() { testDef = DefaultDefinition() })
	return testDef
}

// parseWhen and findWhen read times with the default definition's words.
func parseWhen(text string, now time.Time) (when, dateProblem) {
	return defaultDef().parseWhen(text, now)
}

func findWhen(text string, now time.Time) (when, bool) { return defaultDef().findWhen(text, now) }

func containsStr(s, sub string) bool        { return strings.Contains(s, sub) }
func indexStr(s, sub string) int            { return strings.Index(s, sub) }
func replaceOnce(s, old, new string) string { return strings.Replace(s, old, new, 1) }
