package storage

import (
	"cmp"
	"slices"
)

// sortLines orders lines by time; lines of one turn share its time and sort by id, which puts the
// inbound line ("openid#v") before its replies ("openid#v/0", "openid#v/1").
func sortLines(lines []Line) {
	slices.SortStableFunc(lines, func(a, b Line) int {
		if c := a.At.Compare(b.At); c != 0 {
			return c
		}
		if a.FromTurn != b.FromTurn { // at one instant, the customer's turn comes before what followed it
			if a.FromTurn {
				return -1
			}
			return 1
		}
		return cmp.Compare(a.ID, b.ID)
	})
}
