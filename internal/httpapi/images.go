package httpapi

import (
	"encoding/base64"
	"sync"

	"github.com/runblock/runblock/internal/execute"
	"github.com/runblock/runblock/internal/store"
)

// imageJSON is a figure in POST /execute's answer and in history: the PNG
// in base64 (encoding/json's []byte), placed after_output_chars into output.
type imageJSON struct {
	MIME             string `json:"mime"`
	Data             []byte `json:"data"`
	Alt              string `json:"alt"`
	AfterOutputChars int    `json:"after_output_chars"`
}

// imageEvent is the SSE event for one figure; its place in the stream is
// its place in the output.
func imageEvent(im execute.Image) event {
	return event{Type: "image", MIME: im.MIME, Data: base64.StdEncoding.EncodeToString(im.Data), Alt: im.Alt}
}

// imageList collects a run's images for one JSON answer. The runtime keeps
// them within the run's image budget, so the list needs no bound of its own.
type imageList struct {
	mu   sync.Mutex
	list []imageJSON
}

func (l *imageList) add(im execute.Image) {
	l.mu.Lock()
	l.list = append(l.list, imageJSON{MIME: im.MIME, Data: im.Data, Alt: im.Alt, AfterOutputChars: im.AfterOutputChars})
	l.mu.Unlock()
}

func (l *imageList) get() []imageJSON {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.list
}

func storedImages(imgs []store.Image) []imageJSON {
	var out []imageJSON
	for _, im := range imgs {
		out = append(out, imageJSON(im))
	}
	return out
}
