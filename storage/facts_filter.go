package storage

import (
	"slices"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// FactFilter selects report facts, and the rollup cells that count them, by their dimensions.
// Its zero value selects everything. The database query (EachReportFact) and the Go-side
// matches (Matches, MatchesCell, which the dashboard applies to rollup cells) select the same
// facts: a test runs both over the same facts.
type FactFilter struct {
	// Branches, when not nil, limits the facts to these branch codes (a user's branch scope); an
	// empty, non-nil list selects nothing.
	Branches []string
	// Branch, Category, Kind and Agent, when set, select the facts with exactly that value.
	Branch   string
	Category string
	Kind     string
	Agent    string
	// Statuses, when not nil, limits the facts to cases in these statuses. Rollup cells count
	// cases of every status together: a filter with Statuses matches no cell.
	Statuses []string
}

// matches reports whether the fact passes the filter: the Go-side twin of the query, which the
// tests hold against the database's answers (it shares matchesKey with MatchesCell).
func (f *FactFilter) matches(x *ReportFact) bool {
	if f.Statuses != nil && !slices.Contains(f.Statuses, x.Status) {
		return false
	}
	return f.matchesKey(x.Branch, x.Category, x.Kind, x.Agent)
}

// MatchesCell reports whether the facts a rollup cell counts pass the filter.
func (f *FactFilter) MatchesCell(k *CellKey) bool {
	if f.Statuses != nil {
		return false
	}
	return f.matchesKey(k.Branch, k.Category, k.Kind, k.Agent)
}

func (f *FactFilter) matchesKey(branch, category, kind, agent string) bool {
	if f.Branches != nil && !slices.Contains(f.Branches, branch) {
		return false
	}
	return (f.Branch == "" || branch == f.Branch) && (f.Category == "" || category == f.Category) &&
		(f.Kind == "" || kind == f.Kind) && (f.Agent == "" || agent == f.Agent)
}

// query is the filter as a query on a day's facts.
func (f *FactFilter) query() bson.D {
	var and bson.A
	in := func(field string, values []string) {
		if values != nil {
			and = append(and, bson.D{{Key: field, Value: bson.D{{Key: "$in", Value: values}}}})
		}
	}
	eq := func(field, value string) {
		if value != "" {
			and = append(and, bson.D{{Key: field, Value: value}})
		}
	}
	in("branch", f.Branches)
	eq("branch", f.Branch)
	eq("category", f.Category)
	eq("kind", f.Kind)
	eq("agent", f.Agent)
	in("status", f.Statuses)
	if len(and) == 0 {
		return bson.D{}
	}
	return bson.D{{Key: "$and", Value: and}}
}
