// Package complaintbot holds the domain of the complaint-intake service: cases, their kinds and
// statuses, the collected fields, the clock every piece of logic reads time from, the customer
// messages that flow between WeChat and the bot, and the conversation they make: its state
// (ConversationState), its turns (Turn) and what a turn asks to be done (Effect). It does no I/O;
// the packages below it (bot, flows, storage, scheduler, console) depend on it and never the other
// way round.
package complaintbot
