package container

import (
	"bytes"
	"strings"
	"testing"

	"github.com/runblock/runblock/internal/sandbox"
)

func TestTrailerWriterSplitsReport(t *testing.T) {
	const nonce = "rbendabc"
	stderr := "oops\n" + "\n" + nonce + " 3 1048576 2000000 1\n"
	// Every split point: the marker may arrive in pieces.
	for i := 0; i <= len(stderr); i++ {
		var out bytes.Buffer
		w := newTrailerWriter(&out, nonce)
		w.Write([]byte(stderr[:i]))
		w.Write([]byte(stderr[i:]))
		rep := w.finish()
		if out.String() != "oops\n" || !rep.ok || rep.exitCode != 3 || rep.memPeak != 1<<20 || rep.cpuNanos != 2000000 || rep.oomKills != 1 {
			t.Fatalf("split %d: out %q report %+v", i, out.String(), rep)
		}
	}
}

func TestTrailerWriterPassesLookalikes(t *testing.T) {
	var out bytes.Buffer
	w := newTrailerWriter(&out, "rbendabc")
	w.Write([]byte("x\nrbend"))
	w.Write([]byte("xyz\nrbenda"))
	if rep := w.finish(); rep.ok {
		t.Fatalf("report from a lookalike: %+v", rep)
	}
	if out.String() != "x\nrbendxyz\nrbenda" {
		t.Fatalf("out %q", out.String())
	}
}

func TestEncodeFilesRejectsPaths(t *testing.T) {
	lang := sandbox.Language{FileName: "main.py"}
	for _, name := range []string{"../x", "a/b", ".hidden", "a b", "x\nrun", ""} {
		if _, err := encodeFiles(lang, []sandbox.File{{Content: []byte("1")}, {Name: name}}, "n"); err == nil {
			t.Errorf("name %q accepted", name)
		}
	}
	b, err := encodeFiles(lang, []sandbox.File{{Content: []byte("print(1)\n")}, {Name: "data.txt", Content: []byte("x")}}, "rbendn")
	if err != nil || string(b) != "9 main.py\nprint(1)\n1 data.txt\nxgo rbendn\n" {
		t.Fatalf("%q %v", b, err)
	}
}

// FuzzTrailerWriter: whatever a program writes to stderr, the writer passes
// on exactly the bytes before the marker and never panics.
func FuzzTrailerWriter(f *testing.F) {
	f.Add("hello\n", 3)
	f.Add("\nrbendN 1 2 3 4\n", 1)
	f.Add("\nrbendN x y", 7)
	f.Fuzz(func(t *testing.T, s string, cut int) {
		var out bytes.Buffer
		w := newTrailerWriter(&out, "rbendN")
		if cut < 0 || cut > len(s) {
			cut = len(s) / 2
		}
		w.Write([]byte(s[:cut]))
		w.Write([]byte(s[cut:]))
		w.finish()
		want := s
		if i := strings.Index(s, "\nrbendN "); i >= 0 {
			want = s[:i]
		}
		if out.String() != want {
			t.Fatalf("out %q want %q", out.String(), want)
		}
	})
}
