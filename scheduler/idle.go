package scheduler

import "context"

// JobIdleReturn hands conversations an agent left idle for console.agent_idle_timeout back to
// the bot and tells the customer (IdleReturner.ReturnIdle), every minute. It is scheduled only
// when Options.Idle is set.
const JobIdleReturn = "idle_return"

// idleReturnSpec is when JobIdleReturn runs.
const idleReturnSpec = "@every 1m"

// IdleReturner returns idle conversations to the bot and reports how many; *handoffs.Service is
// one.
type IdleReturner interface {
	ReturnIdle(ctx context.Context) (int, error)
}

// idleReturn runs JobIdleReturn.
func (x *Scheduler) idleReturn(ctx context.Context) (int, error) {
	if x.idle == nil {
		return 0, nil
	}
	return x.idle.ReturnIdle(ctx)
}
