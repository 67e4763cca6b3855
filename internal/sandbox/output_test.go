package sandbox

import (
	"bytes"
	"io"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"unicode/utf8"
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

func TestOutputCapCountsEveryInvalidByte(t *testing.T) {
	c := NewOutputCap(10)
	var out bytes.Buffer
	w := c.Writer(&out)
	flood := bytes.Repeat([]byte{0x80}, 64<<10)
	for i := 0; i < 20; i++ { // 1.25 MiB of bytes that start no character
		w.Write(flood)
	}
	if out.String() != strings.Repeat("\uFFFD", 10) || !c.Truncated() {
		t.Fatalf("passed on %d bytes (%q...), truncated=%v", out.Len(), out.Bytes()[:min(out.Len(), 40)], c.Truncated())
	}
	select {
	case <-c.Flooded():
	default:
		t.Fatal("a flood of continuation bytes is not signalled")
	}
}

func TestOutputCapBrokenAndHeldSequences(t *testing.T) {
	for _, tc := range []struct {
		name   string
		writes []string
		flush  bool
		want   string
	}{
		{"split euro", []string{"\xE2\x82", "\xAC"}, false, "€"},
		{"split four bytes one at a time", []string{"\xF0", "\x9F", "\x98", "\x80", "!"}, false, "😀!"},
		// As encoding/json and Go's decoding do: one U+FFFD per byte.
		{"sequence broken by ASCII", []string{"\xE2\x82", "a"}, false, "\uFFFD\uFFFDa"},
		{"lone continuation", []string{"a\x80b"}, false, "a\uFFFDb"},
		{"overlong", []string{"\xC0\xAF"}, false, "\uFFFD\uFFFD"},
		{"surrogate", []string{"\xED\xA0\x80"}, false, "\uFFFD\uFFFD\uFFFD"},
		{"held until flush", []string{"ok\xF0\x9F"}, true, "ok\uFFFD\uFFFD"},
		{"held, not yet known", []string{"ok\xF0\x9F"}, false, "ok"},
		{"valid replacement character stays one", []string{"\xEF\xBF", "\xBD"}, false, "\uFFFD"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := NewOutputCap(100)
			var out bytes.Buffer
			w := c.Writer(&out)
			for _, s := range tc.writes {
				w.Write([]byte(s))
			}
			if tc.flush {
				w.Flush()
			}
			if out.String() != tc.want || c.Truncated() {
				t.Fatalf("got %q, want %q (truncated=%v)", out.String(), tc.want, c.Truncated())
			}
		})
	}
}

func TestOutputCapReadFromFlushesAtEOF(t *testing.T) {
	c := NewOutputCap(3)
	var out bytes.Buffer
	// io.Copy from a pipe is how runtimes drain a program's output: the end
	// of the pipe is the end of the stream, so its incomplete last sequence
	// is passed on too.
	drain := func(s string) {
		t.Helper()
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		go func() { w.Write([]byte(s)); w.Close() }()
		if _, err := io.Copy(c.Writer(&out), r); err != nil {
			t.Fatal(err)
		}
	}
	drain("a\xE2\x82")
	if out.String() != "a\uFFFD\uFFFD" || c.Truncated() {
		t.Fatalf("got %q truncated=%v", out.String(), c.Truncated())
	}
	drain("\xE2")
	if out.String() != "a\uFFFD\uFFFD" || !c.Truncated() {
		t.Fatalf("one byte over the cap at EOF: got %q truncated=%v", out.String(), c.Truncated())
	}
}

func TestOutputCapAtTheCapWithHeldBytes(t *testing.T) {
	c := NewOutputCap(2)
	var out bytes.Buffer
	w := c.Writer(&out)
	w.Write([]byte("ab\xE2"))
	if out.String() != "ab" || !c.Truncated() {
		t.Fatalf("bytes past a full cap must truncate at once: %q truncated=%v", out.String(), c.Truncated())
	}
}

func TestOutputCapRandomStreams(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	for i := 0; i < 2000; i++ {
		data := make([]byte, rng.IntN(600))
		for j := range data {
			switch rng.IntN(4) {
			case 0:
				data[j] = byte(rng.IntN(0x80))
			case 1:
				data[j] = 0x80 | byte(rng.IntN(0x40)) // continuation
			default:
				data[j] = byte(rng.IntN(256))
			}
		}
		checkOutputCap(t, data, uint16(rng.IntN(300)), rng.Uint64())
	}
}

// checkOutputCap feeds data through two writers of one cap (stdout and
// stderr), split at points chosen by seed, and checks what is passed on.
func checkOutputCap(t *testing.T, data []byte, limit uint16, seed uint64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 1))
	c := NewOutputCap(int(limit))
	var outs [2]bytes.Buffer
	var ins [2][]byte
	ws := [2]*CapWriter{c.Writer(&outs[0]), c.Writer(&outs[1])}
	for len(data) > 0 {
		n := 1 + rng.IntN(min(len(data), 9))
		k := rng.IntN(2)
		ws[k].Write(data[:n])
		ins[k] = append(ins[k], data[:n]...)
		data = data[n:]
	}
	ws[0].Flush()
	ws[1].Flush()
	chars := 0
	for k := range outs {
		got := outs[k].String()
		if !utf8.ValidString(got) {
			t.Fatalf("stream %d: invalid UTF-8 passed on: %q", k, got)
		}
		// What is passed on is a prefix of the input decoded as Go decodes
		// it, with every invalid byte as one U+FFFD.
		want := []rune(string(ins[k]))
		gotRunes := []rune(got)
		if len(gotRunes) > len(want) || string(want[:len(gotRunes)]) != got {
			t.Fatalf("stream %d: got %q, not a prefix of %q", k, got, string(want))
		}
		if !c.Truncated() && len(gotRunes) != len(want) {
			t.Fatalf("stream %d: lost characters without truncation: %q of %q", k, got, string(want))
		}
		chars += len(gotRunes)
		if len(got) > utf8.UTFMax*len(gotRunes) {
			t.Fatalf("stream %d: %d bytes for %d characters", k, len(got), len(gotRunes))
		}
	}
	if limit > 0 && chars > int(limit) {
		t.Fatalf("%d characters passed on, cap %d", chars, limit)
	}
	if limit > 0 && c.Truncated() && chars != int(limit) {
		t.Fatalf("truncated at %d characters, cap %d", chars, limit)
	}
}
