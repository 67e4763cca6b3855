package content

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func writeFile(t *testing.T, dir, rel, body string) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLoadCatalog(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "zeta.md", "# Zeta\n")
	writeFile(t, dir, "alpha.md", "# Alpha\n\n```py {runnable id=a}\nprint(1)\n```\n")
	writeFile(t, dir, "second.md", "---\norder: 2\ndescription: two\n---\n# Second\n")
	writeFile(t, dir, "first.md", "---\norder: 1\n---\n# First\n")
	writeFile(t, dir, "track/nested.md", "# Nested\n")
	writeFile(t, dir, ".hidden.md", "# Hidden\n")
	writeFile(t, dir, ".git/HEAD.md", "# Git\n")
	writeFile(t, dir, ".drafts/secret.md", "# Draft\n")
	writeFile(t, dir, "notes.txt", "not a lesson")
	writeFile(t, dir, "README", "not a lesson")

	cat, probs, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(probs) != 0 {
		t.Fatalf("problems: %v", probs)
	}
	want := []LessonSummary{
		{ID: "first", Title: "First"},
		{ID: "second", Title: "Second", Description: "two"},
		{ID: "alpha", Title: "Alpha", Blocks: 1},
		{ID: "track/nested", Title: "Nested"},
		{ID: "zeta", Title: "Zeta"},
	}
	if got := cat.Lessons(); !reflect.DeepEqual(got, want) {
		t.Errorf("Lessons() =\n %+v\nwant\n %+v", got, want)
	}
	l, ok := cat.Lesson("alpha")
	if !ok || l.Path != "alpha.md" || l.ModTime.IsZero() || len(l.Blocks) != 1 {
		t.Fatalf("Lesson(alpha) = %+v, %v", l, ok)
	}
	l.Blocks[0].Code = "mutated"
	if b, ok := cat.Block("alpha", "a"); !ok || b.Code != "print(1)\n" {
		t.Errorf("catalog changed through a returned lesson: %+v", b)
	}
	if _, ok := cat.Block("alpha", "missing"); ok {
		t.Error("Block found a missing block id")
	}
	for _, id := range []string{"../alpha", "track/../alpha", "/alpha", ".hidden", "alpha.md", "", "track//nested"} {
		if _, ok := cat.Lesson(id); ok {
			t.Errorf("Lesson(%q) found something", id)
		}
	}
}

func TestLoadReportsProblemsAndLoadsTheRest(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "good.md", "# Good\n\n```py {runnable id=ok}\nprint(1)\n```\n")
	writeFile(t, dir, "bad.md", "---\ntitle: Bad\nnonsense\n---\n```py {runnable id=x}\n```\n```py {runnable id=x}\n```\n")
	writeFile(t, dir, "huge.md", strings.Repeat("x", MaxFileBytes+1))
	writeFile(t, dir, "bad name.md", "# Spaces\n")
	outside := filepath.Join(t.TempDir(), "outside.md")
	if err := os.WriteFile(outside, []byte("# Outside\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "escape.md")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("missing-target", filepath.Join(dir, "dangling.md")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("good.md", filepath.Join(dir, "alias.md")); err != nil {
		t.Fatal(err)
	}

	cat, probs, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, p := range probs {
		got[strings.TrimPrefix(p.String(), dir+"/")] = true
	}
	for _, want := range []string{
		"bad.md:3: front matter: expected `key: value`, got \"nonsense\"",
		"bad.md:7: duplicate block id \"x\" (first used on line 5); block skipped",
		"huge.md: larger than 1048576 bytes; skipped",
		"bad name.md: file name does not make a valid lesson id \"bad name\" (use letters, digits, '-', '_', '.'); skipped",
	} {
		if !got[want] {
			t.Errorf("missing problem %q in:\n%s", want, joinProblems(probs))
		}
	}
	for _, name := range []string{"escape.md", "dangling.md"} {
		found := false
		for _, p := range probs {
			found = found || (p.File == filepath.Join(dir, name) && strings.HasPrefix(p.Message, "unreadable"))
		}
		if !found {
			t.Errorf("no 'unreadable' problem for %s in:\n%s", name, joinProblems(probs))
		}
	}
	if len(probs) != 6 {
		t.Errorf("%d problems, want 6:\n%s", len(probs), joinProblems(probs))
	}
	var ids []string
	for _, s := range cat.Lessons() {
		ids = append(ids, s.ID)
	}
	if !reflect.DeepEqual(ids, []string{"alias", "bad", "good"}) {
		t.Errorf("loaded %v, want [alias bad good]", ids)
	}
	if l, _ := cat.Lesson("bad"); l.Title != "Bad" || len(l.Blocks) != 1 {
		t.Errorf("bad.md should still load its first block and title: %+v", l)
	}
	if !reflect.DeepEqual(cat.Problems(), probs) {
		t.Error("Catalog.Problems differs from Load's problems")
	}
}

func TestLoadMissingDirectory(t *testing.T) {
	if _, _, err := Load(filepath.Join(t.TempDir(), "nope")); err == nil {
		t.Fatal("Load of a missing directory succeeded")
	}
}

// TestSampleContent keeps the lessons shipped in content/ free of problems.
func TestSampleContent(t *testing.T) {
	cat, probs, err := Load(filepath.Join("..", "..", "content"))
	if err != nil {
		t.Fatal(err)
	}
	if len(probs) != 0 {
		t.Fatalf("sample content has problems:\n%s", joinProblems(probs))
	}
	want := map[string][]string{
		"python-basics": {"hello:python:auto", "loops:python:auto", "functions:python:auto", "input:python:auto", "ask:python:auto", "countdown:python:auto"},
		"numpy-intro":   {"arrays:python:server", "stats:python:server"},
		"c-basics":      {"hello-c:c:server"},
		"plotting":      {"line:python:server", "bars:python:server", "numpy-plot:python:server"},
	}
	for id, blocks := range want {
		l, ok := cat.Lesson(id)
		if !ok {
			t.Errorf("lesson %s missing", id)
			continue
		}
		var got []string
		for _, b := range l.Blocks {
			got = append(got, b.ID+":"+b.Language+":"+b.Environment)
			if strings.TrimSpace(b.Code) == "" || b.Title == "" {
				t.Errorf("%s/%s: empty code or title", id, b.ID)
			}
		}
		if !reflect.DeepEqual(got, blocks) {
			t.Errorf("%s blocks = %v, want %v", id, got, blocks)
		}
	}
	if b, _ := cat.Block("python-basics", "input"); b.Stdin == "" || !strings.Contains(b.Code, "input(") {
		t.Errorf("python-basics/input should read stdin: %+v", b)
	}
	// The page's interactive input path: input() with nothing typed ahead.
	if b, _ := cat.Block("python-basics", "ask"); b.Stdin != "" || !strings.Contains(b.Code, "input(") {
		t.Errorf("python-basics/ask should wait for the learner: %+v", b)
	}
	// Streaming: output spread over time.
	if b, _ := cat.Block("python-basics", "countdown"); !strings.Contains(b.Code, "time.sleep(") {
		t.Errorf("python-basics/countdown should print with pauses: %+v", b)
	}
}

// A block asking for more time than the server allows would be refused on
// every run: it is skipped at load, with its file and line.
func TestBlockTimeoutOverTheServerMaxIsRejected(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "slow.md", "# Slow\n\n```py {runnable id=ok timeout=30}\nprint(1)\n```\n\n```py {runnable id=long timeout=60}\nprint(2)\n```\n")
	cat, probs, err := LoadWith(dir, Options{MaxTimeout: 30})
	if err != nil {
		t.Fatal(err)
	}
	if len(probs) != 1 || probs[0].File != filepath.Join(dir, "slow.md") || probs[0].Line != 7 || !strings.Contains(probs[0].Message, "timeout=60") {
		t.Fatalf("problems: %v", probs)
	}
	if _, ok := cat.Block("slow", "long"); ok {
		t.Fatal("the block over the limit was kept")
	}
	if b, ok := cat.Block("slow", "ok"); !ok || b.Timeout != 30 {
		t.Fatalf("the block within the limit: %+v %v", b, ok)
	}
}
