package httpapi

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
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
