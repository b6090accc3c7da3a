package complaintbot

// AuditVocabulary is how a workflow names its audit codes and its target type for the audit
// trail's page: each workflow declares its own, and the console asks each in turn.
type AuditVocabulary struct {
	// Actions names the workflow's audit codes.
	Actions map[string]string
	// Target is the workflow's own target type ("" when its entries are on another's, such as
	// "case"), and TargetName that type's name.
	Target, TargetName string
}

// Action returns the name of an audit code, and whether the vocabulary names it.
func (v AuditVocabulary) Action(code string) (string, bool) {
	n, ok := v.Actions[code]
	return n, ok
}

// TargetType returns the name of a target type, and whether it is the vocabulary's own.
func (v AuditVocabulary) TargetType(kind string) (string, bool) {
	if v.Target == "" || kind != v.Target {
		return "", false
	}
	return v.TargetName, true
}
