// Package soak holds the kill -9 soak of the service (issue 15): the complaintbot binary runs as a
// program of its own on an embedded-database data folder, WeChat-style clients (signed, and
// encrypted in safe mode) walk customers through full complaints, thirty of them confirm at the
// same moment, and the service is killed with SIGKILL at random moments and restarted on the same
// folder. Outbound messages go to a fake WeChat API in the test process, so what the service sent
// survives its kills. The clients behave like WeChat: a message without an answer within 5 s (or
// with a broken connection) is sent again with the same MsgId, 3 tries in all, 5 s apart.
//
// Each wave of customers sees a kill at a random point of the intake (in some waves a second one
// during the restart, and a stall: SIGSTOP for longer than the reply budget, so that the messages
// in flight are answered "success"), then one while its confirmations are in flight; in stall
// waves WeChat's retries of those are stalled and the service killed again while their answers
// go out through the outbox; in the outage wave the service stays down past WeChat's last retry.
//
// At the end the database and the fake WeChat are checked. Failures: an acknowledged message
// lost, a message in two turns, a case doubled; a customer whose 确认 was acknowledged told their
// case number never or more than once; a reply answered "success" never queued, or queued and
// not delivered; a message delivered more often than the outbox's attempts at it allow; an
// outbox message or pending-turn mark that breaks its rules (below).
//
// Cut-off sends are counted apart, as no failure: an outbox attempt a kill cut off between its
// claim and its recorded outcome (the claim's owner names the killed process). WeChat's send API
// takes no idempotency key, so whether that attempt reached the customer is unknown, and the
// outbox decides by purpose once the claim is two minutes old (scheduler.OutboxWorker): a late
// bot reply is sent once more (so it may arrive twice, never three times), a second unknown
// outcome is not sent again; any other message is not sent again. What is not sent again must be
// on the list for a person (storage.UndeliverableOutbox). The check holds every outbox message to
// that rule, and excuses a customer told the number twice, or never, only by such a send.
// Likewise a pending-turn mark left for a message WeChat had an answer for is excused only when
// the incarnation that answered was killed right after (it would make start-up recovery send
// the answer again), and a registration WeChat never had an answer for is owed by start-up
// recovery only until recovery's pass for it (30 s after the turn) has come.
//
// The package has no code of its own; everything is in its tests:
//
//	go test ./soak                           # short: 30 customers, 4 kills, a stall, safe mode
//	SOAK=full go test ./soak -v -timeout 30m # full: 6 waves of 30 per mode, 18 kills, 5 stalls, plaintext and safe mode
//
// The short version takes about 25 s (plus building the service) and does not wait for what the
// outbox decides two minutes after a cut-off send: such sends are reported "undecided". The full
// version does: when the check finds undecided sends it starts the service once more, leaves it
// until the outbox has decided and sent them, and checks again (a few minutes more).
//
// Other knobs: SOAK_WAVES (waves of 30 customers), SOAK_MODE (plain, aes or both), SOAK_OUTAGE (the
// outage wave, 0 none), SOAK_RECOVERY=1 (a last restart once start-up recovery has had its turn),
// SOAK_RESOLVE=1 or 0 (wait for the outbox to decide cut-off sends, as the full version does, or
// not), SOAK_SEED (repeats the random kill and stall points, not the timing; every run logs its
// seed), SOAK_KEEP=1 (keep the data folder, the service's logs, the timeline and the report, and
// print where), SOAK_LOG_LEVEL (the service's log level, default info).
package soak
