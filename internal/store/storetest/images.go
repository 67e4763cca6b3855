package storetest

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/runblock/runblock/internal/store"
)

// tinyPNG is a 1×1 grey PNG.
var tinyPNG = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x00\x00\x00\x00:~\x9bU\x00\x00\x00\nIDATx\x9cc`\x00\x00\x00\x02\x00\x01H\xaf\xa4q\x00\x00\x00\x00IEND\xaeB`\x82")

// testImages: a finished run keeps its figures, in order, with alt text and
// position; pages of the list leave them out; more than the caps is refused.
func testImages(t *testing.T, s store.Store) {
	ctx := context.Background()
	e := store.Execution{ID: "img-1", UserID: "user-a", Language: "python", Code: "plot()", CreatedAt: base}
	mustCreate(t, s, &e)
	fin := e
	fin.Status = store.StatusSuccess
	fin.Output = "a\nb\n"
	second := append(bytes.Clone(tinyPNG), 0) // distinct bytes, still a PNG prefix
	fin.Images = []store.Image{
		{MIME: "image/png", Data: tinyPNG, Alt: "Figure 1: rising", AfterOutputChars: 2},
		{MIME: "image/png", Data: second, Alt: "Figure 2: «bars»", AfterOutputChars: 4},
	}
	if err := s.FinishExecution(ctx, &fin); err != nil {
		t.Fatalf("FinishExecution: %v", err)
	}
	got := mustGet(t, s, "user-a", "img-1")
	if len(got.Images) != 2 {
		t.Fatalf("images = %d, want 2", len(got.Images))
	}
	for i, im := range got.Images {
		w := fin.Images[i]
		if im.MIME != w.MIME || !bytes.Equal(im.Data, w.Data) || im.Alt != w.Alt || im.AfterOutputChars != w.AfterOutputChars {
			t.Errorf("image %d = %+v, want %+v", i, im, w)
		}
	}
	items, _, err := s.ListExecutions(ctx, "user-a", store.Page{})
	if err != nil || len(items) != 1 || items[0].Images != nil {
		t.Fatalf("list: %v, %d items, images %v; want one item without images", err, len(items), items)
	}

	tooMany := fin
	tooMany.Images = make([]store.Image, store.MaxImages+1)
	for i := range tooMany.Images {
		tooMany.Images[i] = store.Image{MIME: "image/png", Data: tinyPNG}
	}
	if err := s.FinishExecution(ctx, &tooMany); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("%d images: err = %v, want ErrInvalid", len(tooMany.Images), err)
	}
	notPNG := fin
	notPNG.Images = []store.Image{{MIME: "image/png", Data: []byte("<svg/>")}}
	if err := s.FinishExecution(ctx, &notPNG); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("not a PNG: err = %v, want ErrInvalid", err)
	}
	if got := mustGet(t, s, "user-a", "img-1"); len(got.Images) != 2 {
		t.Errorf("a refused finish changed the images: %d", len(got.Images))
	}

	// Retention: pruning the run drops its images with it.
	if _, err := s.Prune(ctx, base.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetExecution(ctx, "user-a", "img-1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("after prune: %v, want ErrNotFound", err)
	}
}
