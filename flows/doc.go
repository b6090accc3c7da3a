// Package flows is the conversation engine of complaintbot: it takes one customer's conversation
// state and one message, and returns the new state, what to say, and what the caller must do
// (register a case, add to a case, queue the customer for a person).
//
// It is pure logic: no I/O, no clock, no goroutines. The flows themselves — questions, choices,
// help texts, examples, the read-back template, branches and categories — are data, read from the
// embedded default.yaml or from an operator's replacement (LoadDefinition).
package flows
