package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/runblock/runblock/internal/content"
	"github.com/runblock/runblock/internal/store"
	"github.com/runblock/runblock/internal/store/sqlite"
)

type fixedLessons struct{ cat *content.Catalog }

func (f fixedLessons) Current() *content.Catalog { return f.cat }

const testLesson = `---
title: Testing
description: A lesson for tests.
---
# Testing

Some *prose* <script>alert(1)</script> and [a link](javascript:alert(1)).

` + "```python {runnable id=first title=\"First\" stdin=\"x\\n\" timeout=5}\nprint(input())\n```\n\n" +
	"```python\nnot runnable\n```\n\n" +
	"```c {runnable id=second env=server}\nint main(void) { return 0; }\n```\n"

// newContentServer serves the lessons in files from a SQLite store in
// which the anonymous user has run block "first" once, successfully.
func newContentServer(t *testing.T, files map[string]string) *Server {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cat, probs, err := content.Load(dir)
	if err != nil || len(probs) != 0 {
		t.Fatalf("load: %v %v", err, probs)
	}
	ctx := context.Background()
	st, err := sqlite.New(ctx, filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := &store.Execution{UserID: "anonymous", Language: "python", Environment: "server", Code: "x",
		ContentID: "track/testing", CodeBlockID: "first"}
	if err := st.CreateExecution(ctx, e); err != nil {
		t.Fatal(err)
	}
	e.Status = "success"
	if err := st.FinishExecution(ctx, e); err != nil {
		t.Fatal(err)
	}
	s := newTestServer(t)
	s.Content, s.Store = fixedLessons{cat}, st
	s.mux = http.NewServeMux()
	s.routes()
	return s
}

func TestLessonEndpoint(t *testing.T) {
	s := newContentServer(t, map[string]string{"track/testing.md": testLesson, "other.md": "# Other\n"})
	for _, tc := range []struct {
		name, method, path string
		status             int
		check              func(t *testing.T, body []byte)
	}{
		{
			name: "lesson with rendered prose and blocks", method: "GET", path: "/api/v1/code/content/track/testing",
			status: 200,
			check: func(t *testing.T, body []byte) {
				var got struct {
					ID, Title, Description, HTML string
					CodeBlocks                   []map[string]any `json:"code_blocks"`
				}
				if err := json.Unmarshal(body, &got); err != nil {
					t.Fatal(err)
				}
				if got.ID != "track/testing" || got.Title != "Testing" || got.Description != "A lesson for tests." {
					t.Errorf("header fields: %+v", got)
				}
				for _, want := range []string{
					"<em>prose</em>", `<div class="runblock-block" data-block-id="first"></div>`,
					`<pre><code class="language-python">not runnable`, `<div class="runblock-block" data-block-id="second"></div>`,
				} {
					if !strings.Contains(got.HTML, want) {
						t.Errorf("html lacks %q:\n%s", want, got.HTML)
					}
				}
				for _, bad := range []string{"<script", "javascript:", "print(input())"} {
					if strings.Contains(got.HTML, bad) {
						t.Errorf("html has %q:\n%s", bad, got.HTML)
					}
				}
				if strings.Index(got.HTML, `"first"`) > strings.Index(got.HTML, `"second"`) {
					t.Error("placeholders out of document order")
				}
				if len(got.CodeBlocks) != 2 {
					t.Fatalf("code_blocks: %v", got.CodeBlocks)
				}
				b := got.CodeBlocks[0]
				if b["id"] != "first" || b["language"] != "python" || b["environment"] != "auto" || b["title"] != "First" ||
					b["code"] != "print(input())\n" || b["position"] != 0.0 || b["stdin"] != "x\n" || b["timeout"] != 5.0 || b["line"] == nil {
					t.Errorf("block 0: %v", b)
				}
				if mine, _ := b["my_stats"].(map[string]any); mine["runs"] != 1.0 || mine["successes"] != 1.0 {
					t.Errorf("block 0 my_stats: %v", b["my_stats"])
				}
				if mine, _ := got.CodeBlocks[1]["my_stats"].(map[string]any); mine == nil || mine["runs"] != 0.0 {
					t.Errorf("block 1 my_stats: %v", got.CodeBlocks[1]["my_stats"])
				}
				if _, ok := b["aggregate"]; ok {
					t.Error("an anonymous learner got aggregates")
				}
			},
		},
		{
			name: "lesson without blocks", method: "GET", path: "/api/v1/code/content/other", status: 200,
			check: func(t *testing.T, body []byte) {
				if !strings.Contains(string(body), `"code_blocks":[]`) || !strings.Contains(string(body), `<h1 id=\"other\">Other</h1>`) {
					t.Errorf("body: %s", body)
				}
			},
		},
		{name: "unknown lesson", method: "GET", path: "/api/v1/code/content/nope", status: 404, check: errorCode("content_not_found")},
		{name: "climbing id", method: "GET", path: "/api/v1/code/content/track/..%2Fother", status: 404, check: errorCode("content_not_found")},
		{name: "file name is not an id", method: "GET", path: "/api/v1/code/content/other.md", status: 404, check: errorCode("content_not_found")},
		{name: "wrong method", method: "POST", path: "/api/v1/code/content/other", status: 405, check: errorCode("method_not_allowed")},
		{
			name: "the index still answers", method: "GET", path: "/api/v1/code/content", status: 200,
			check: func(t *testing.T, body []byte) {
				if !strings.Contains(string(body), `"id":"track/testing"`) {
					t.Errorf("body: %s", body)
				}
			},
		},
		{
			name: "code-blocks shares the block JSON", method: "GET", path: "/api/v1/code/code-blocks/track/testing", status: 200,
			check: func(t *testing.T, body []byte) {
				if !strings.Contains(string(body), `"my_stats":{"runs":1,"successes":1`) {
					t.Errorf("body: %s", body)
				}
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, nil))
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.status, rec.Body)
			}
			if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type %q", ct)
			}
			tc.check(t, rec.Body.Bytes())
		})
	}
}

func errorCode(code string) func(t *testing.T, body []byte) {
	return func(t *testing.T, body []byte) {
		var e errorBody
		if err := json.Unmarshal(body, &e); err != nil || e.Code != code || e.Error == "" {
			t.Errorf("error body %s, want code %s", body, code)
		}
	}
}
