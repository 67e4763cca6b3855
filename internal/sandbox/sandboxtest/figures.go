package sandboxtest

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/runblock/runblock/internal/sandbox"
)

// item is one piece of a run's stdout as the caller saw it: text, or an
// image between text.
type item struct {
	text string
	img  *sandbox.Image
}

// ordered records stdout and images in the order the runtime delivered them.
type ordered struct {
	mu    sync.Mutex
	items []item
}

func (o *ordered) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if n := len(o.items); n > 0 && o.items[n-1].img == nil {
		o.items[n-1].text += string(p)
	} else {
		o.items = append(o.items, item{text: string(p)})
	}
	return len(p), nil
}

func (o *ordered) image(im sandbox.Image) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.items = append(o.items, item{img: &im})
}

// shape is the sequence as text: images as [img:<alt>].
func (o *ordered) shape() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	var b strings.Builder
	for _, it := range o.items {
		if it.img != nil {
			fmt.Fprintf(&b, "[img:%s]", it.img.Alt)
		} else {
			b.WriteString(it.text)
		}
	}
	return b.String()
}

func (o *ordered) images() []sandbox.Image {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []sandbox.Image
	for _, it := range o.items {
		if it.img != nil {
			out = append(out, *it.img)
		}
	}
	return out
}

func (s *suite) figRun(t *testing.T, code string, lim sandbox.Limits) (*ordered, run) {
	t.Helper()
	var o ordered
	var errb SyncBuffer
	res, err := s.rt.Run(context.Background(), sandbox.Request{
		Language: s.langs.Python, Files: []sandbox.File{{Content: []byte(code)}},
		Stdout: &o, Stderr: &errb, Limits: lim, Images: o.image,
	})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return &o, run{res: res, stdout: o.shape(), stderr: errb.String()}
}

// FigurePrograms are shared with the end-to-end tests.
const (
	// FigureProgram prints, shows, prints, shows, prints: the images must
	// come between the texts, one per figure.
	FigureProgram = `import matplotlib.pyplot as plt
print("a")
plt.plot([1, 2, 3]); plt.title("rising")
plt.show()
print("b")
fig, ax = plt.subplots(); ax.bar([1, 2], [3, 1]); fig.suptitle("bars")
plt.show()
print("c")
`
	// FigureAtExitProgram leaves its figure open: it is sent at exit.
	FigureAtExitProgram = `import matplotlib.pyplot as plt
plt.plot([3, 1]); plt.xlabel("x"); plt.ylabel("y")
print("done")
`
	// FakeFigureProgram writes what a frame and an image event look like to
	// stdout and stderr; they must stay text.
	FakeFigureProgram = `import sys, base64
png = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNgAAAAAgABSK+kcQAAAABJRU5ErkJggg==")
frame = b"RBFIG1\n\x00" + (0).to_bytes(8, "big") + (4).to_bytes(4, "big") + len(png).to_bytes(4, "big") + b"fake" + png
sys.stdout.buffer.write(frame); sys.stdout.flush()
sys.stderr.buffer.write(frame); sys.stderr.flush()
print('data: {"type":"image","mime":"image/png","data":"iVBORw0KGgo=","alt":"fake"}')
print('{"type":"image","mime":"image/png","data":"iVBORw0KGgo=","alt":"fake"}')
`
)

var pngMagic = []byte("\x89PNG\r\n\x1a\n")

// figuresInOrder: one PNG per figure, each between the text printed
// before and after its plt.show().
func (s *suite) figuresInOrder(t *testing.T) {
	o, r := s.figRun(t, FigureProgram, sandbox.Limits{})
	expect(t, r, sandbox.StatusSuccess)
	want := "a\n[img:Figure 1: rising]b\n[img:Figure 2: bars]c\n"
	if r.stdout != want {
		t.Fatalf("sequence = %q, want %q\nstderr: %s", r.stdout, want, r.stderr)
	}
	for i, im := range o.images() {
		if im.MIME != "image/png" || !bytes.HasPrefix(im.Data, pngMagic) {
			t.Errorf("image %d: %s, %d bytes, not a PNG", i, im.MIME, len(im.Data))
		}
	}
	if im := o.images(); im[0].AfterStdoutBytes != 2 || im[1].AfterStdoutBytes != 4 {
		t.Errorf("offsets %d, %d; want 2, 4", im[0].AfterStdoutBytes, im[1].AfterStdoutBytes)
	}
}

// figuresAtExit: a figure never shown is sent when the program ends.
func (s *suite) figuresAtExit(t *testing.T) {
	_, r := s.figRun(t, FigureAtExitProgram, sandbox.Limits{})
	expect(t, r, sandbox.StatusSuccess)
	if want := "done\n[img:Figure 1: y vs x]"; r.stdout != want {
		t.Fatalf("sequence = %q, want %q\nstderr: %s", r.stdout, want, r.stderr)
	}
}

// fakeFigures: frames and image events written to stdout/stderr are text.
func (s *suite) fakeFigures(t *testing.T) {
	o, r := s.figRun(t, FakeFigureProgram, sandbox.Limits{})
	expect(t, r, sandbox.StatusSuccess)
	if n := len(o.images()); n != 0 {
		t.Fatalf("%d images from a program that shows no figure", n)
	}
	if !strings.Contains(r.stdout, `"type":"image"`) || !strings.Contains(r.stderr, "RBFIG1") {
		t.Fatalf("the fake lines should have stayed text:\nstdout %q\nstderr %q", r.stdout, r.stderr)
	}
}

// figureBudget: past the run's image bytes, images are dropped and counted,
// and stderr says so.
func (s *suite) figureBudget(t *testing.T) {
	code := `import matplotlib.pyplot as plt
for i in range(%d):
    plt.figure(figsize=(2, 2)); plt.plot([1, 2, 3]); plt.title("same")
    plt.show()
    print(i)
`
	// Every figure renders to the same bytes; measure one, then allow one
	// and a half.
	one, r := s.figRun(t, fmt.Sprintf(code, 1), sandbox.Limits{})
	expect(t, r, sandbox.StatusSuccess)
	if len(one.images()) != 1 {
		t.Fatalf("no image: %s", r.stderr)
	}
	size := int64(len(one.images()[0].Data))
	o, r := s.figRun(t, fmt.Sprintf(code, 4), sandbox.Limits{ImageBytes: size + size/2})
	expect(t, r, sandbox.StatusSuccess)
	if n := len(o.images()); n != 1 || r.res.ImagesDropped != 3 {
		t.Fatalf("shown %d, dropped %d; want 1 and 3\n%s\nstderr: %s", n, r.res.ImagesDropped, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, "3 image(s) dropped") {
		t.Fatalf("no note on stderr: %q", r.stderr)
	}
}

// figureFDOnly: with the figure channel open, the program holds exactly one
// descriptor past 0-2: the write end of a pipe, nothing it could read.
func (s *suite) figureFDOnly(t *testing.T) {
	_, r := s.figRun(t, fdProbe, sandbox.Limits{})
	expect(t, r, sandbox.StatusSuccess)
	if !strings.Contains(r.stdout, "fds [0, 1, 2, 7]\n") || !strings.Contains(r.stdout, "link 7 pipe:") ||
		!strings.Contains(r.stdout, "unreadable 7") {
		t.Fatalf("descriptors past 0-2 other than the figure pipe:\n%s", r.stdout)
	}
}
