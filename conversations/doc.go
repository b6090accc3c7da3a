// Package conversations applies customer messages to their conversations: it runs the
// conversation engine (flows) on the saved state, writes each turn with one insert (which is also
// the dedupe record and the version check), carries out the turn's effects — a new case, a queue
// entry, a survey answer — and registers cases with their promised dates (Registry). It also
// changes a conversation on behalf of someone other than the customer (Service.Control) and, at
// start-up, finishes the turns a crash cut off (Service.Recover).
//
// It knows nothing of WeChat's wire: the webhook (package bot) opens and dedupes the callbacks,
// hands each message to Service.Handle with a function that says whether the answer can still go
// passively, and reports the answer delivered with Service.Answered.
package conversations
