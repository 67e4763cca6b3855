package execute

import (
	"io"
	"sync"
	"unicode/utf8"

	"github.com/runblock/runblock/internal/sandbox"
	"github.com/runblock/runblock/internal/store"
)

// Image is a figure as callers see it: placed in stdout by characters, the
// unit clients count output in.
type Image struct {
	MIME             string
	Data             []byte
	Alt              string
	AfterOutputChars int
}

// figures connects a run's images to its caller and its history. Only
// Python runs get a figure channel: matplotlib is what draws them.
type figures struct {
	mu    sync.Mutex
	chars int // stdout characters passed to the caller so far
	out   func(Image)
	rec   *recording
	kept  int // image bytes kept in history
}

func (s *Service) figures(p Prepared, rio IO, rec *recording) *figures {
	if p.Language != "python" {
		return nil
	}
	return &figures{out: rio.Images, rec: rec}
}

// stdout counts the characters that reach the caller. The runtime passes on
// whole characters (sandbox.OutputCap), so counting each write is exact.
func (f *figures) stdout(w io.Writer) io.Writer {
	if f == nil {
		return w
	}
	return &charCounter{f: f, w: w}
}

func (f *figures) sink() sandbox.ImageSink {
	if f == nil {
		return nil
	}
	return f.image
}

// image is called by the runtime in order with stdout; see sandbox.ImageSink.
func (f *figures) image(im sandbox.Image) {
	f.mu.Lock()
	out := Image{MIME: im.MIME, Data: im.Data, Alt: im.Alt, AfterOutputChars: f.chars}
	if r := f.rec; r != nil && len(r.images) < store.MaxImages && f.kept+len(im.Data) <= store.MaxImageBytes {
		f.kept += len(im.Data)
		r.images = append(r.images, store.Image(out))
	}
	f.mu.Unlock()
	if f.out != nil {
		f.out(out)
	}
}

type charCounter struct {
	f *figures
	w io.Writer
}

func (c *charCounter) Write(p []byte) (int, error) {
	c.f.mu.Lock()
	c.f.chars += utf8.RuneCount(p)
	c.f.mu.Unlock()
	if c.w == nil {
		return len(p), nil
	}
	return c.w.Write(p)
}
