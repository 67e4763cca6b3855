package bwrap_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/runblock/runblock/internal/content"
	"github.com/runblock/runblock/internal/lang"
	"github.com/runblock/runblock/internal/sandbox"
	"github.com/runblock/runblock/internal/sandbox/bwrap"
)

// TestLanguageLessonsRun: every server block of the languages' lessons in
// content/ runs to success in the sandbox, and every built-in language
// has a lesson.
func TestLanguageLessonsRun(t *testing.T) {
	rt, err := bwrap.New(context.Background(), bwrap.Config{})
	if err != nil {
		t.Fatal(err)
	}
	set := lang.Builtins()
	files, _ := filepath.Glob("../../../content/*.md")
	taught := map[string]bool{}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		l, problems := content.ParseLesson(strings.TrimSuffix(filepath.Base(f), ".md"), f, src)
		if len(problems) > 0 {
			t.Fatalf("%s: %+v", f, problems)
		}
		for _, b := range l.Blocks {
			d, ok := set.Lookup(b.Language)
			if !ok || b.Environment != "server" {
				continue // python blocks may run in the browser; their tests are elsewhere
			}
			taught[d.Name] = true
			if d.Name == "python" {
				continue
			}
			t.Run(l.ID+"/"+b.ID, func(t *testing.T) {
				var out, errb bytes.Buffer
				res, err := rt.Run(context.Background(), sandbox.Request{Language: d.Language, Files: []sandbox.File{{Content: []byte(b.Code)}},
					Stdin: strings.NewReader(b.Stdin), Stdout: &out, Stderr: &errb})
				if err != nil || res.Status != sandbox.StatusSuccess || out.Len() == 0 {
					t.Fatalf("%v %+v\nstdout %s\nstderr %s", err, res, out.String(), errb.String())
				}
			})
		}
	}
	for _, n := range set.Names() {
		if n != "python" && !taught[n] {
			t.Errorf("no lesson in content/ has a server block in %s", n)
		}
	}
}
