package httpapi

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/runblock/runblock/internal/execute"
)

// A fast run has its start and its end ready together; the handler must
// always take the start, or a successful run is answered 500 and stays
// registered. Before the fix this failed about once in 10,000 runs.
func TestStreamFastRunIsNeverRefused(t *testing.T) {
	s := newTestServer(t)
	const workers, runs = 2, 10000 // workers: no more than the test server's concurrency
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range runs {
				req := httptest.NewRequest("POST", "/api/v1/code/execute/stream", strings.NewReader(`{"code":"x"}`))
				req.Header.Set("Content-Type", "application/json")
				rec := httptest.NewRecorder()
				s.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"type":"complete"`) {
					t.Errorf("fast run answered %d: %s", rec.Code, rec.Body)
					return
				}
			}
		}()
	}
	wg.Wait()
	if n := s.Registry.Count(); n != 0 {
		t.Fatalf("%d finished runs still registered", n)
	}
}

func TestAwaitStartPrefersAReadyStart(t *testing.T) {
	for i := 0; i < 200; i++ {
		started := make(chan execute.Outcome, 1)
		finished := make(chan runEnd, 1)
		started <- execute.Outcome{ID: "run"}
		finished <- runEnd{out: execute.Outcome{ID: "run"}}
		o, err := awaitStart(started, finished)
		if err != nil || o.ID != "run" {
			t.Fatalf("both ready: got %+v, %v", o, err)
		}
		if len(finished) != 1 {
			t.Fatal("the run's end was lost")
		}
	}
	finished := make(chan runEnd, 1)
	finished <- runEnd{err: errors.New("refused")}
	if _, err := awaitStart(make(chan execute.Outcome), finished); err == nil {
		t.Fatal("a run that never started is not a refusal")
	}
}
