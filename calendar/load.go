package calendar

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"gopkg.in/yaml.v3"
)

//go:embed holidays.yaml
var defaultYAML []byte

var defaultCalendar = sync.OnceValue(func() *Calendar {
	c, err := Load(defaultYAML)
	if err != nil {
		panic("calendar: embedded holidays.yaml: " + err.Error())
	}
	return c
})

// Default returns the built-in calendar: China's official holiday arrangements for 2024, 2025 and
// 2026 as published by the General Office of the State Council (see holidays.yaml for the notice
// of each year). Any other year, 2027 included, falls back to weekends only; Covers reports which
// years are known. The returned Calendar is shared and read-only; Merge returns a new one.
func Default() *Calendar {
	return defaultCalendar()
}

// file is the layout of a holiday YAML file.
type file struct {
	Years    map[int]yearInfo `yaml:"years"`
	Holidays []dateEntry      `yaml:"holidays"`
	Workdays []dateEntry      `yaml:"workdays"`
}

// dateEntry is one date as written in the file, kept with its line for error messages.
type dateEntry struct {
	text string
	line int
}

// UnmarshalYAML keeps the scalar's text; the date is checked afterwards so that all bad dates
// are reported together.
func (e *dateEntry) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: expected a date like 2026-01-01, got a %s", n.Line, kindName(n.Kind))
	}
	e.text, e.line = n.Value, n.Line
	return nil
}

func kindName(k yaml.Kind) string {
	switch k {
	case yaml.SequenceNode:
		return "list"
	case yaml.MappingNode:
		return "mapping"
	case yaml.AliasNode:
		return "alias"
	default:
		return "non-scalar"
	}
}

// Load parses an operator's holiday file. Its layout:
//
//	years:                    # years this file fully describes; Covers reports them
//	  2027: {official: true, source: "国务院办公厅关于2027年部分节假日安排的通知 …"}
//	holidays:                 # dates that are off
//	  - 2027-01-01 # 元旦
//	workdays:                 # weekend dates that are worked (调休上班); listing a date that is a
//	  - 2027-02-06            # holiday in the calendar merged under this one cancels that holiday
//
// Every section is optional and unknown keys are rejected. Load reports, with line numbers, every
// date that is not a real YYYY-MM-DD date and every date listed both as a holiday and as a workday.
// To lay the file over the built-in data use Default().Merge.
func Load(yamlBytes []byte) (*Calendar, error) {
	var f file
	dec := yaml.NewDecoder(bytes.NewReader(yamlBytes))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("calendar: holiday file: %w", err)
	}

	var errs []error
	c := newCalendar()
	for y, info := range f.Years {
		if y < 1900 || y > 9999 {
			errs = append(errs, fmt.Errorf("years: %d is not a plausible year", y))
			continue
		}
		c.years[y] = info
	}
	holidayLine := map[date]int{}
	for _, e := range f.Holidays {
		d, err := parseDate(e)
		if err != nil {
			errs = append(errs, fmt.Errorf("holidays: %w", err))
			continue
		}
		c.holidays[d] = struct{}{}
		holidayLine[d] = e.line
	}
	for _, e := range f.Workdays {
		d, err := parseDate(e)
		if err != nil {
			errs = append(errs, fmt.Errorf("workdays: %w", err))
			continue
		}
		if hl, ok := holidayLine[d]; ok {
			errs = append(errs, fmt.Errorf("line %d: %s is listed both as a holiday (line %d) and as a workday", e.line, d, hl))
			continue
		}
		c.workdays[d] = struct{}{}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("calendar: holiday file: %w", errors.Join(errs...))
	}
	return c, nil
}

func parseDate(e dateEntry) (date, error) {
	t, err := time.Parse(time.DateOnly, e.text)
	if err != nil {
		return date{}, fmt.Errorf("line %d: %q is not a date (want YYYY-MM-DD, e.g. 2026-01-01)", e.line, e.text)
	}
	y, m, d := t.Date()
	return date{y, m, d}, nil
}
