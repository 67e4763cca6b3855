package execute

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/runblock/runblock/internal/auth"
	"github.com/runblock/runblock/internal/sandbox"
	"github.com/runblock/runblock/internal/store"
)

var fakePNG = []byte("\x89PNG\r\n\x1a\nfake")

// figureRuntime writes text and images in order, as the bwrap runtime's
// figure channel does, and records whether the request asked for images.
type figureRuntime struct {
	images int
	asked  bool
}

func (f *figureRuntime) Run(ctx context.Context, req sandbox.Request) (sandbox.Result, error) {
	f.asked = req.Images != nil
	_, _ = req.Stdout.Write([]byte("é\n"))
	for i := range f.images {
		if req.Images != nil {
			req.Images(sandbox.Image{MIME: "image/png", Data: fakePNG, Alt: fmt.Sprintf("Figure %d", i+1)})
		}
		_, _ = req.Stdout.Write([]byte("ab"))
	}
	return sandbox.Result{Status: sandbox.StatusSuccess, Stage: sandbox.StageRun, WallTime: time.Millisecond}, nil
}

func newFigureService(t *testing.T, rt *figureRuntime) (*Service, *fakeRecorder) {
	t.Helper()
	rec := &fakeRecorder{}
	s, err := New(rt, map[string]sandbox.Language{
		"python": {Name: "python", FileName: "main.py", Run: []string{"python3"}},
		"c":      {Name: "c", FileName: "main.c", Run: []string{"./main"}},
	}, Config{MaxTimeout: 30 * time.Second, MaxCodeBytes: 1 << 10, MaxStdinBytes: 1 << 10, MaxConcurrent: 1, QueueWait: time.Second}, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.WithRecorder(rec)
	return s, rec
}

// Images reach the caller placed by characters of stdout (not bytes), and
// history keeps the first store.MaxImages of them.
func TestImagesPlacedByCharactersAndKeptBounded(t *testing.T) {
	rt := &figureRuntime{images: store.MaxImages + 2}
	s, rec := newFigureService(t, rt)
	var got []Image
	var out strings.Builder
	_, err := s.Run(context.Background(), Caller{UserID: "u", Role: auth.RoleService}, Request{Code: "plot()"},
		IO{Stdout: &out, Images: func(im Image) { got = append(got, im) }})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != store.MaxImages+2 {
		t.Fatalf("caller got %d images, want %d", len(got), store.MaxImages+2)
	}
	for i, im := range got {
		// "é\n" is 2 characters (3 bytes); each image follows i × "ab".
		if want := 2 + 2*i; im.AfterOutputChars != want || im.Alt != fmt.Sprintf("Figure %d", i+1) {
			t.Errorf("image %d: after %d (want %d), alt %q", i, im.AfterOutputChars, want, im.Alt)
		}
	}
	if len(rec.done) != 1 || len(rec.done[0].Images) != store.MaxImages || rec.done[0].Images[0].AfterOutputChars != 2 {
		t.Fatalf("history kept %+v", rec.done)
	}
}

// Only Python runs open the figure channel.
func TestOnlyPythonAsksForImages(t *testing.T) {
	rt := &figureRuntime{}
	s, _ := newFigureService(t, rt)
	who := Caller{UserID: "u", Role: auth.RoleService}
	if _, err := s.Run(context.Background(), who, Request{Code: "int main(){}", Language: "c"}, IO{}); err != nil || rt.asked {
		t.Fatalf("c: err %v, asked for images %v", err, rt.asked)
	}
	if _, err := s.Run(context.Background(), who, Request{Code: "print(1)"}, IO{}); err != nil || !rt.asked {
		t.Fatalf("python: err %v, asked for images %v", err, rt.asked)
	}
}
