package storage

import (
	"context"
	"errors"
	"fmt"
)

// ErrCallerGone is the error of a read on the scan connections whose caller was cancelled (a
// browser that closed the page, a job stopped at shutdown). It is a deadline error, not a
// cancellation, on purpose: see scanContext.
var ErrCallerGone = fmt.Errorf("the caller went away: %w", context.DeadlineExceeded)

// scanContext is ctx for reads on the embedded server's scan connections; stop releases it when
// the read is over. The caller's cancellation ends the read as a deadline would: the request under
// way finishes and the read stops before its next one.
//
// A cancelled context makes the MongoDB driver close the connection the request was on, and the
// embedded server closes with a connection every cursor that was opened on it. The scan
// connections are a pool that readers share between batches, so one reader going away would cut
// another's export or rebuild short in the middle of its cursor. A deadline does not close the
// connection (the driver reads the late answer off it before using it again). On MongoDB a
// cursor does not belong to a connection, and ctx is returned as it is: a cancelled query stops.
func (s *Store) scanContext(ctx context.Context) (scan context.Context, stop func()) {
	if _, ok := ctx.(*callerGoneContext); ok || s.embedded == nil || ctx.Done() == nil {
		return ctx, func() {}
	}
	c := &callerGoneContext{Context: ctx, done: make(chan struct{})}
	if ctx.Err() != nil { // gone already: no request goes out
		close(c.done)
		return c, func() {}
	}
	// Its own Done channel: contexts the driver derives from it then take their error from
	// its Err, not from the cancelled parent's.
	stopAfter := context.AfterFunc(ctx, func() { close(c.done) })
	return c, func() { stopAfter() }
}

// callerGoneContext reports its parent's cancellation as ErrCallerGone.
type callerGoneContext struct {
	context.Context
	done chan struct{}
}

// Done is closed when the parent is done.
func (c *callerGoneContext) Done() <-chan struct{} { return c.done }

// Err is nil until Done is closed, then the parent's error with a cancellation reported as
// ErrCallerGone.
func (c *callerGoneContext) Err() error {
	select {
	case <-c.done:
	default:
		return nil
	}
	err := c.Context.Err()
	if errors.Is(err, context.Canceled) {
		return ErrCallerGone
	}
	return err
}
