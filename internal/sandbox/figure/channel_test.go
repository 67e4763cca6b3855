package figure

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/runblock/runblock/internal/sandbox"
)

// png1x1 is a valid 1×1 PNG; pngOf returns a PNG header of any size.
var png1x1 = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x00\x00\x00\x00:~\x9bU\x00\x00\x00\nIDATx\x9cc`\x00\x00\x00\x02\x00\x01H\xaf\xa4q\x00\x00\x00\x00IEND\xaeB`\x82")

func pngOf(w, h uint32) []byte {
	b := bytes.Clone(png1x1)
	binary.BigEndian.PutUint32(b[16:], w)
	binary.BigEndian.PutUint32(b[20:], h)
	return b
}

func frameOf(after uint64, alt string, png []byte) []byte {
	b := bytes.Clone(magic)
	b = binary.BigEndian.AppendUint64(b, after)
	b = binary.BigEndian.AppendUint32(b, uint32(len(alt)))
	b = binary.BigEndian.AppendUint32(b, uint32(len(png)))
	return append(append(b, alt...), png...)
}

type recorder struct {
	mu sync.Mutex
	b  strings.Builder
}

func (r *recorder) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.b.Write(p)
	return len(p), nil
}

func (r *recorder) image(im sandbox.Image) {
	r.mu.Lock()
	defer r.mu.Unlock()
	fmt.Fprintf(&r.b, "[%s@%d]", im.Alt, im.AfterStdoutBytes)
}

func (r *recorder) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.b.String()
}

// open returns a started channel and a write end standing in for the program's.
func open(t *testing.T, rec *recorder, budget int64) (*Channel, *os.File) {
	t.Helper()
	c, err := Open(rec.image, budget)
	if err != nil {
		t.Fatal(err)
	}
	fd, err := syscall.Dup(int(c.ChildEnd().Fd()))
	if err != nil {
		t.Fatal(err)
	}
	c.Start()
	return c, os.NewFile(uintptr(fd), "program")
}

// A frame written before stdout that follows it is placed at its offset,
// even when the stdout chunk holding both sides arrives in one read.
func TestChannelSplitsStdoutAtTheFigure(t *testing.T) {
	var rec recorder
	c, w := open(t, &rec, 0)
	out := c.Stdout(&rec)
	if _, err := w.Write(frameOf(2, "one", png1x1)); err != nil {
		t.Fatal(err)
	}
	_, _ = out.Write([]byte("a\nb\n"))
	if _, err := w.Write(frameOf(6, "two", png1x1)); err != nil {
		t.Fatal(err)
	}
	_, _ = out.Write([]byte("c\n"))
	if _, err := w.Write(frameOf(6, "at exit", png1x1)); err != nil {
		t.Fatal(err)
	}
	w.Close()
	if n := c.Finish(&rec, time.Second); n != 0 {
		t.Fatalf("dropped %d", n)
	}
	if got, want := rec.String(), "a\n[one@2]b\nc\n[two@6][at exit@6]"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

// Past the count or the byte budget, images are dropped, counted and noted.
func TestChannelBudget(t *testing.T) {
	var rec recorder
	c, w := open(t, &rec, int64(2*len(png1x1)))
	for i := range 4 {
		if _, err := w.Write(frameOf(0, fmt.Sprint(i), png1x1)); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()
	var note strings.Builder
	if n := c.Finish(&note, time.Second); n != 2 {
		t.Fatalf("dropped %d, want 2", n)
	}
	if rec.String() != "[0@0][1@0]" || !strings.Contains(note.String(), "2 image(s) dropped") {
		t.Fatalf("shown %q, note %q", rec.String(), note.String())
	}
}

// Anything that is not a well-formed frame of a PNG within the caps shows
// nothing from that point on, and says so.
func TestChannelRefusesMalformed(t *testing.T) {
	for name, data := range map[string][]byte{
		"garbage":    []byte(`{"type":"image","data":"iVBORw0KGgo="}` + "\n"),
		"not a png":  frameOf(0, "x", []byte("GIF89a............................")),
		"too wide":   frameOf(0, "x", pngOf(MaxWidth+1, 10)),
		"too tall":   frameOf(0, "x", pngOf(10, MaxHeight+1)),
		"huge claim": frameOf(0, "x", nil)[:headerLen-4],
	} {
		t.Run(name, func(t *testing.T) {
			var rec recorder
			c, w := open(t, &rec, 0)
			if name == "huge claim" {
				data = binary.BigEndian.AppendUint32(data, MaxPNGBytes+1)
			}
			_, _ = w.Write(data)
			_, _ = w.Write(frameOf(0, "after", png1x1))
			w.Close()
			var note strings.Builder
			c.Finish(&note, time.Second)
			if rec.String() != "" || !strings.Contains(note.String(), "not a figure") {
				t.Fatalf("shown %q, note %q", rec.String(), note.String())
			}
		})
	}
}

// Alt text reaches the page as one line of valid UTF-8.
func TestAltCleaned(t *testing.T) {
	f, n, err := parseFrame(frameOf(0, "a\nb\x00\xff", png1x1))
	if err != nil || n == 0 || f.alt != "a b \uFFFD" {
		t.Fatalf("%q %d %v", f.alt, n, err)
	}
}

func FuzzParseFrame(f *testing.F) {
	f.Add(frameOf(3, "Figure 1: x", png1x1))
	f.Add(magic[:5])
	f.Add([]byte("not a frame"))
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, n, err := parseFrame(b)
		if n < 0 || n > len(b) || (err != nil && n != 0) {
			t.Fatalf("n=%d len=%d err=%v", n, len(b), err)
		}
		if n > 0 && (len(fr.png) > MaxPNGBytes || len(fr.alt) > 3*MaxAltBytes || fr.after < 0) {
			t.Fatalf("frame out of bounds: %d %d %d", len(fr.png), len(fr.alt), fr.after)
		}
	})
}
