package sandbox

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// Timeouts are written as durations ("20s"), not raw nanoseconds; old
// files with nanoseconds still read the same.
func TestLimitsWallTimeIsADurationString(t *testing.T) {
	b, err := json.Marshal(Limits{MemoryBytes: 1 << 20, WallTime: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"wall_time":"20s"`) || strings.Contains(string(b), "20000000000") {
		t.Fatalf("marshalled %s", b)
	}
	for _, in := range []string{`{"wall_time":"20s","cpus":1}`, `{"wall_time":20000000000,"cpus":1}`} {
		var l Limits
		if err := json.Unmarshal([]byte(in), &l); err != nil || l.WallTime != 20*time.Second || l.CPUs != 1 {
			t.Fatalf("%s → %+v %v", in, l, err)
		}
	}
	var l Limits
	if err := json.Unmarshal([]byte(`{"wall_tme":"20s"}`), &l); err == nil {
		t.Fatal("a misspelt field was accepted")
	}
	if err := json.Unmarshal([]byte(`{"wall_time":"soon"}`), &l); err == nil {
		t.Fatal("a bad duration was accepted")
	}
}
