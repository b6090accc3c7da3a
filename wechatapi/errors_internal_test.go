package wechatapi

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

// Classify sorts this package's own errors: what went out without an answer is unknown, what
// never went out is busy, a bad argument is invalid, whatever wraps them.
func TestClassifyOwnErrors(t *testing.T) {
	for err, want := range map[error]Class{
		&unknownOutcomeError{API: apiCustomSend, Err: context.DeadlineExceeded}:                  ClassUnknown,
		fmt.Errorf("send: %w", &unknownOutcomeError{API: apiTemplateSend, Err: errors.New("x")}): ClassUnknown,
		&transportError{API: apiCustomSend, Err: context.DeadlineExceeded}:                       ClassBusy,
		&httpStatusError{API: apiCustomSend, Status: 503}:                                        ClassBusy,
		&httpStatusError{API: apiCustomSend, Status: 404}:                                        ClassInvalid,
		&argumentError{"empty text"}:                                                             ClassInvalid,
		&tokenError{&APIError{Code: 40125, API: apiStableToken}}:                                 ClassInvalid,
	} {
		if got := Classify(err); got != want {
			t.Errorf("Classify(%v) = %v, want %v", err, got, want)
		}
	}
	if ClassUnknown.Retryable() {
		t.Error("an unknown outcome must not count as retryable")
	}
	if err := (&unknownOutcomeError{API: apiCustomSend, Err: context.DeadlineExceeded}); !errors.Is(err, context.DeadlineExceeded) {
		t.Error("the cause of an unknown outcome is lost")
	}
}
