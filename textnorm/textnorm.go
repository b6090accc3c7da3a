// Package textnorm holds the character-level normalisation customer text goes through before it is
// understood or matched: traditional characters as simplified ones, full-width ASCII as ASCII. It
// is pure and shared by the conversation engine (flows) and the JR/T 0169 coding (taxonomy), so
// that both read a message alike and the converter's tables are loaded once.
package textnorm

import (
	"fmt"
	"strings"
	"sync"

	"github.com/longbridgeapp/opencc"
)

var (
	converterOnce sync.Once
	converter     *opencc.OpenCC
	converterErr  error
)

// Load prepares the traditional-to-simplified converter (OpenCC's t2s tables, embedded in the
// library) once per process, and returns why it cannot be used, if so. Simplified works without
// it (returning the text as it is); a service calls Load at start to refuse a broken build.
func Load() error {
	converterOnce.Do(func() {
		converter, converterErr = opencc.New("t2s")
		if converterErr != nil {
			converterErr = fmt.Errorf("traditional Chinese converter: %w", converterErr)
		}
	})
	return converterErr
}

// Simplified reads traditional characters as simplified ones (投訴 → 投诉, 兩點 → 两点); text with
// no CJK characters is returned as it is, without touching the converter.
func Simplified(s string) string {
	han := false
	for _, r := range s {
		if r >= 0x2E80 {
			han = true
			break
		}
	}
	if !han || Load() != nil {
		return s
	}
	out, err := converter.Convert(s)
	if err != nil {
		return s
	}
	return out
}

// HalfWidth turns full-width ASCII (Ｔ，１２３) into ASCII and the ideographic space into a space.
func HalfWidth(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= '！' && r <= '～':
			return r - 0xFEE0
		case r == '\u3000':
			return ' '
		}
		return r
	}, s)
}
