package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/runblock/runblock/internal/content"
	"github.com/runblock/runblock/internal/sandbox/sandboxtest"
)

var pngSig = []byte("\x89PNG\r\n\x1a\n")

// streamShape is a run's stdout and images as one string, images as
// [img:<alt>], and the image events themselves.
func streamShape(t *testing.T, evs []sseEvent) (string, []map[string]any, map[string]any) {
	t.Helper()
	var b strings.Builder
	var imgs []map[string]any
	var complete map[string]any
	for _, ev := range evs {
		switch ev.data["type"] {
		case "output":
			b.WriteString(ev.data["content"].(string))
		case "image":
			fmt.Fprintf(&b, "[img:%s]", ev.data["alt"])
			imgs = append(imgs, ev.data)
		case "complete":
			complete = ev.data
		}
	}
	return b.String(), imgs, complete
}

func decodePNG(t *testing.T, v any) []byte {
	t.Helper()
	s, _ := v.(string)
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || !bytes.HasPrefix(b, pngSig) {
		t.Fatalf("image data is not a base64 PNG (%v): %.40q", err, s)
	}
	return b
}

// A plot program under the default (strict) policy streams one PNG per
// figure, each between the text printed before and after its plt.show().
func TestFiguresStreamInOrder(t *testing.T) {
	ts := startServer(t, nil)
	_, ch := openStream(t, context.Background(), ts.URL, mustJSON(map[string]any{"code": sandboxtest.FigureProgram}))
	evs := collect(ch)
	shape, imgs, complete := streamShape(t, evs)
	if want := "a\n[img:Figure 1: rising]b\n[img:Figure 2: bars]c\n"; shape != want {
		t.Fatalf("stream = %q, want %q\nevents: %v", shape, want, evs)
	}
	for _, im := range imgs {
		if im["mime"] != "image/png" {
			t.Errorf("mime %v", im["mime"])
		}
		decodePNG(t, im["data"])
	}
	if complete == nil || complete["status"] != "success" || complete["images_dropped"] != nil {
		t.Fatalf("complete = %v", complete)
	}
}

// Lines that look like image events, printed by the program, stay output.
func TestFakeImageLinesStayText(t *testing.T) {
	ts := startServer(t, nil)
	code := `print('{"type":"image","mime":"image/png","data":"iVBORw0KGgo=","alt":"fake"}')
print('data: {"type":"image","mime":"image/png","data":"iVBORw0KGgo=","alt":"fake"}\n')
print("RBFIG1\n\x00" + "\x00" * 16 + "\x89PNG\r\n\x1a\n")
`
	_, ch := openStream(t, context.Background(), ts.URL, mustJSON(map[string]any{"code": code}))
	shape, imgs, complete := streamShape(t, collect(ch))
	if len(imgs) != 0 || !strings.Contains(shape, `"type":"image"`) || complete["status"] != "success" {
		t.Fatalf("images %d, output %q, complete %v", len(imgs), shape, complete)
	}
}

// Past limits.image_bytes images are dropped: the stream ends with the
// count and a note on stderr, and never carries more than the budget.
func TestFigureBudgetThroughAPI(t *testing.T) {
	ts := startServer(t, nil, "--config", writeConfig(t, `{"limits": {"image_bytes": 1}}`))
	_, ch := openStream(t, context.Background(), ts.URL, mustJSON(map[string]any{"code": sandboxtest.FigureProgram}))
	evs := collect(ch)
	shape, imgs, complete := streamShape(t, evs)
	var stderr strings.Builder
	for _, ev := range evs {
		if ev.data["type"] == "error" {
			stderr.WriteString(ev.data["content"].(string))
		}
	}
	if len(imgs) != 0 || shape != "a\nb\nc\n" || complete["images_dropped"] != 2.0 ||
		!strings.Contains(stderr.String(), "2 image(s) dropped") {
		t.Fatalf("images %d, output %q, stderr %q, complete %v", len(imgs), shape, stderr.String(), complete)
	}
}

func TestFiguresExecuteAndHistorySQLite(t *testing.T) {
	checkFiguresExecuteAndHistory(t, startServer(t, nil).URL)
}

func TestFiguresExecuteAndHistoryPostgres(t *testing.T) {
	checkFiguresExecuteAndHistory(t, startServer(t, nil, "--postgres-dsn", histNewPostgres(t)).URL)
}

// POST /execute lists the images with their place in the output, and the
// run's history entry shows them again.
func checkFiguresExecuteAndHistory(t *testing.T, base string) {
	m := histRun(t, base, "", map[string]any{"code": sandboxtest.FigureProgram})
	imgs, _ := m["images"].([]any)
	if m["output"] != "a\nb\nc\n" || len(imgs) != 2 {
		t.Fatalf("execute: output %q, images %v", m["output"], len(imgs))
	}
	var want [][]byte
	for i, v := range imgs {
		im := v.(map[string]any)
		want = append(want, decodePNG(t, im["data"]))
		if at := []float64{2, 4}[i]; im["after_output_chars"] != at || !strings.HasPrefix(im["alt"].(string), fmt.Sprintf("Figure %d: ", i+1)) {
			t.Errorf("image %d: after %v (want %v), alt %v", i, im["after_output_chars"], at, im["alt"])
		}
	}
	r, h := histDo(t, "GET", base+"/api/v1/code/executions/"+m["id"].(string), "", "")
	himgs, _ := h["images"].([]any)
	if r.StatusCode != 200 || len(himgs) != 2 {
		t.Fatalf("history: %d, %d images", r.StatusCode, len(himgs))
	}
	for i, v := range himgs {
		im := v.(map[string]any)
		if !bytes.Equal(decodePNG(t, im["data"]), want[i]) || im["alt"] != imgs[i].(map[string]any)["alt"] || im["after_output_chars"] != imgs[i].(map[string]any)["after_output_chars"] {
			t.Errorf("history image %d differs from the run's", i)
		}
	}
}

// The plotting lesson's blocks run under the default policy and show the
// figures the lesson says they do.
func TestPlottingLessonShowsItsFigures(t *testing.T) {
	cat, probs, err := content.Load(filepath.Join("..", "..", "content"))
	if err != nil || len(probs) != 0 {
		t.Fatalf("content: %v %v", err, probs)
	}
	ts := startServer(t, nil)
	for block, want := range map[string]int{"line": 1, "bars": 2, "numpy-plot": 1} {
		b, ok := cat.Block("plotting", block)
		if !ok {
			t.Fatalf("plotting/%s missing", block)
		}
		m := histRun(t, ts.URL, "", map[string]any{"code": b.Code})
		if imgs, _ := m["images"].([]any); m["status"] != "success" || len(imgs) != want {
			t.Errorf("plotting/%s: status %v, %d images, want %d; error %v", block, m["status"], len(imgs), want, m["error"])
		}
	}
}

// preloadedLine makes a program say whether pyplot was imported before its
// first line: only a warm sandbox of the matplotlib flavour has it.
const preloadedLine = "import sys\nprint(\"preloaded\", \"matplotlib.pyplot\" in sys.modules)\n"

// The figure stream through the server on a warm (pooled) sandbox and on a
// cold one: the figure channel is in place when a warm interpreter starts.
func TestFiguresStreamInOrderWarmAndCold(t *testing.T) {
	const shown = "a\n[img:Figure 1: rising]b\n[img:Figure 2: bars]c\n"
	body := mustJSON(map[string]any{"code": preloadedLine + sandboxtest.FigureProgram})
	run := func(url string) string {
		resp, ch := openStream(t, context.Background(), url, body)
		evs := collect(ch)
		shape, _, complete := streamShape(t, evs)
		if complete == nil || complete["status"] != "success" {
			t.Fatalf("%d: complete = %v (events %v)", resp.StatusCode, complete, evs)
		}
		return shape
	}

	// sandbox-only: the strict policy would refuse the probe's import of sys.
	const conf = `{"validation": {"execute_policy": "sandbox-only"}, "rate_limit": {"per_role": {"anonymous": 100000}}%s}`
	cold := startServer(t, nil, "--config", writeConfig(t, fmt.Sprintf(conf, `, "sandbox": {"cold_starts": true}`)))
	if got, want := run(cold.URL), "preloaded False\n"+shown; got != want {
		t.Errorf("cold: %q, want %q", got, want)
	}

	// The first run of a kind starts its pool (and runs cold); a later one
	// takes the pooled sandbox once it is ready.
	warm := startServer(t, nil, "--config", writeConfig(t, fmt.Sprintf(conf, "")))
	for i := 0; ; i++ {
		got := run(warm.URL)
		if strings.HasPrefix(got, "preloaded True\n") {
			if want := "preloaded True\n" + shown; got != want {
				t.Fatalf("warm: %q, want %q", got, want)
			}
			return
		}
		if got != "preloaded False\n"+shown {
			t.Fatalf("cold start on the warm server: %q", got)
		}
		if i == 200 {
			t.Fatal("no run found a warm sandbox")
		}
		time.Sleep(100 * time.Millisecond)
	}
}
