package events_test

import (
	"testing"

	"github.com/complaintbot/complaintbot/events"
)

func TestPublishReachesEverySubscriberUntilCancelled(t *testing.T) {
	var b events.Bus
	a, cancelA := b.Subscribe()
	c, cancelC := b.Subscribe()
	b.Publish(events.Event{Kind: events.Queued, Ref: "x"})
	if e := <-a; e.Ref != "x" {
		t.Fatal(e)
	}
	if e := <-c; e.Ref != "x" {
		t.Fatal(e)
	}
	cancelA()
	cancelA() // twice is harmless
	if _, open := <-a; open {
		t.Fatal("cancelled subscription still open")
	}
	b.Publish(events.Event{Kind: events.Turn, Ref: "y"})
	if e := <-c; e.Ref != "y" {
		t.Fatal(e)
	}
	cancelC()
}

func TestSlowSubscriberDoesNotBlockPublishers(t *testing.T) {
	var b events.Bus
	_, cancel := b.Subscribe()
	defer cancel()
	for range 1000 { // far more than the buffer: must not block
		b.Publish(events.Event{Kind: events.Turn})
	}
}

func TestSubscribersGetOnlyTheKindsTheyAskFor(t *testing.T) {
	var b events.Bus
	cases, stop := b.Subscribe(events.Case)
	defer stop()
	all, stopAll := b.Subscribe()
	defer stopAll()
	b.Publish(events.Event{Kind: events.Turn, Ref: "t"})
	b.Publish(events.Event{Kind: events.Case, Ref: "c"})
	if e := <-cases; e.Ref != "c" {
		t.Fatalf("case subscriber got %+v first", e)
	}
	if e := <-all; e.Ref != "t" {
		t.Fatalf("catch-all subscriber got %+v first", e)
	}
	select {
	case e := <-cases:
		t.Fatalf("case subscriber got %+v", e)
	default:
	}
}
