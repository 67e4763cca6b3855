package sandbox

import (
	"bytes"
	"strings"
	"testing"
)

func TestOutputCapCountsCharactersAcrossSplitUTF8(t *testing.T) {
	c := NewOutputCap(5)
	var out bytes.Buffer
	w := c.Writer(&out)
	s := []byte("aé€😀bcdef") // 1+2+3+4 byte characters
	// Feed one byte at a time so every multi-byte character is split.
	for i := range s {
		w.Write(s[i : i+1])
	}
	if got := out.String(); got != "aé€😀b" || !c.Truncated() {
		t.Fatalf("got %q truncated=%v", got, c.Truncated())
	}
}

func TestOutputCapSharedBetweenStreamsAndExact(t *testing.T) {
	c := NewOutputCap(10)
	var a, b bytes.Buffer
	c.Writer(&a).Write([]byte("12345"))
	c.Writer(&b).Write([]byte("67890"))
	if c.Truncated() {
		t.Fatal("exactly at the cap is not truncated")
	}
	c.Writer(&b).Write([]byte("x"))
	if !c.Truncated() || a.String()+b.String() != "1234567890" {
		t.Fatalf("a=%q b=%q", a.String(), b.String())
	}
}

func TestOutputCapFloodSignal(t *testing.T) {
	c := NewOutputCap(1)
	w := c.Writer(nil)
	chunk := []byte(strings.Repeat("x", 64<<10))
	for i := 0; i < 15; i++ {
		w.Write(chunk)
	}
	select {
	case <-c.Flooded():
		t.Fatal("flooded too early")
	default:
	}
	for i := 0; i < 3; i++ {
		w.Write(chunk) // must not panic closing twice
	}
	select {
	case <-c.Flooded():
	default:
		t.Fatal("flood not signalled after 1 MiB past the cap")
	}
}

func TestLimitsMerge(t *testing.T) {
	got := Limits{CPUs: 1}.Merge(Limits{CPUs: 0.5, MemoryBytes: 10, Pids: 3})
	if got.CPUs != 1 || got.MemoryBytes != 10 || got.Pids != 3 {
		t.Fatalf("%+v", got)
	}
}
