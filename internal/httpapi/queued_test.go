package httpapi

import (
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/runblock/runblock/internal/apperr"
	"github.com/runblock/runblock/internal/execute"
)

func TestSlowReaderGetsOnlyTheLatestPlaceInLine(t *testing.T) {
	q := newEventQueue(nil)
	for pos := 5; pos >= 2; pos-- {
		q.pushQueued(event{Type: "queued", ID: "r", Position: ptr(pos)})
	}
	q.push(event{Type: "start", ID: "r"})
	q.pushQueued(event{Type: "queued", ID: "r", Position: ptr(1)}) // after start: not merged into it
	evs, _, _ := q.take()
	if len(evs) != 3 || evs[0].Type != "queued" || *evs[0].Position != 2 || evs[1].Type != "start" || *evs[2].Position != 1 {
		t.Fatalf("events %+v", evs)
	}
}

func TestStreamFailureAfterQueueing(t *testing.T) {
	s := newTestServer(t)
	r := httptest.NewRequest("POST", "/api/v1/code/execute/stream", nil)
	busy := &apperr.Error{Kind: apperr.Busy, Code: "busy", Message: "server is busy", RetryAfter: 7 * time.Second}
	for _, tc := range []struct {
		err          error
		status, code string
	}{
		{&apperr.Error{Kind: apperr.Conflict, Code: "replaced", Message: "replaced by a newer run"}, "cancelled", "replaced"},
		{&apperr.Error{Kind: apperr.Busy, Code: "cancelled", Message: "request ended"}, "cancelled", "cancelled"},
		{busy, "error", "busy"},
		{errors.New("disk on fire"), "error", "internal"},
	} {
		f := s.streamFailure(r, tc.err)
		if f.status != tc.status || f.code != tc.code || f.message == "" {
			t.Errorf("%v: %+v, want %s/%s", tc.err, f, tc.status, tc.code)
		}
		if f.code == "internal" && f.message == "disk on fire" {
			t.Error("an internal error's details reached the client")
		}
	}
	ev := s.completeEvent(r, execute.Outcome{ID: "q1"}, busy)
	if ev.RetryAfter == nil || *ev.RetryAfter != 7 || ev.Code != "busy" || ev.ID != "q1" {
		t.Fatalf("complete for a run that waited too long: %+v", ev)
	}
}
