package httpapi

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/runblock/runblock/internal/execute"
	"github.com/runblock/runblock/internal/store"
)

// The wire shapes the page and embed.js read: an SSE image event carries
// exactly type, mime, data (base64) and alt; /execute and history list
// images with their place in the output.
func TestImageWireFormat(t *testing.T) {
	im := execute.Image{MIME: "image/png", Data: []byte("\x89PNG\r\n\x1a\n"), Alt: "Figure 1: <b>", AfterOutputChars: 7}
	var buf bytes.Buffer
	if err := writeEvent(&buf, imageEvent(im)); err != nil {
		t.Fatal(err)
	}
	want := `data: {"type":"image","mime":"image/png","data":"iVBORw0KGgo=","alt":"Figure 1: \u003cb\u003e"}` + "\n\n"
	if buf.String() != want {
		t.Fatalf("event = %q\nwant    %q", buf.String(), want)
	}

	var l imageList
	l.add(im)
	for name, v := range map[string]any{"execute": l.get(), "history": storedImages([]store.Image{store.Image(im)})} {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if want := `[{"mime":"image/png","data":"iVBORw0KGgo=","alt":"Figure 1: \u003cb\u003e","after_output_chars":7}]`; string(b) != want {
			t.Errorf("%s images = %s\nwant %s", name, b, want)
		}
	}
}
