package content

import (
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseLessonBlocks(t *testing.T) {
	src := strings.Join([]string{
		"---", // 1
		"title: \"Loops: a tour\" # shown in the index", // 2
		"description: 'Ada''s notes'",                   // 3
		"order: 2",                                      // 4
		"tags:",                                         // 5
		"  - python",                                    // 6
		"---",                                           // 7
		"# Heading is not the title here",               // 8
		"",                                              // 9
		"```python {runnable id=hello env=pyodide title=\"Hi there\" timeout=5}", // 10
		"print('hi')",                         // 11
		"```",                                 // 12
		"",                                    // 13
		"```python",                           // 14 not runnable
		"print('ignored')",                    // 15
		"```",                                 // 16
		"",                                    // 17
		"~~~c {runnable id=tilde env=server}", // 18
		"int main(void) { return 0; }",        // 19
		"~~~",                                 // 20
		"",                                    // 21
		"1. A step:",                          // 22
		"",                                    // 23
		"   ```Python {runnable id=in-list stdin=\"Ada\\n\"}", // 24
		"   name = input()",                 // 25
		"     print(name)",                  // 26
		"   ```",                            // 27
		"",                                  // 28
		"> ```js runnable id=quoted",        // 29
		"> console.log(1)",                  // 30
		"> ```",                             // 31
		"",                                  // 32
		"```python {runnable=false id=off}", // 33
		"x",                                 // 34
		"```",                               // 35
		"    ```python {runnable id=indented-code}", // 36 an indented code block, not a fence
		"",
	}, "\n")
	l, probs := ParseLesson("loops", "content/loops.md", []byte(src))
	if len(probs) != 0 {
		t.Fatalf("unexpected problems: %v", probs)
	}
	if l.Title != "Loops: a tour" || l.Description != "Ada's notes" || l.Order != 2 || !l.HasOrder {
		t.Errorf("front matter: title %q description %q order %d/%v", l.Title, l.Description, l.Order, l.HasOrder)
	}
	if !strings.HasPrefix(l.Markdown, "# Heading") {
		t.Errorf("Markdown should start after the front matter, got %q", l.Markdown[:20])
	}
	want := []Block{
		{ID: "hello", Language: "python", Environment: "pyodide", Title: "Hi there", Code: "print('hi')\n", Position: 0, Line: 10, Timeout: 5},
		{ID: "tilde", Language: "c", Environment: "server", Code: "int main(void) { return 0; }\n", Position: 1, Line: 18},
		{ID: "in-list", Language: "python", Environment: "auto", Code: "name = input()\n  print(name)\n", Position: 2, Line: 24, Stdin: "Ada\n"},
		{ID: "quoted", Language: "js", Environment: "auto", Code: "console.log(1)\n", Position: 3, Line: 29},
	}
	if !reflect.DeepEqual(l.Blocks, want) {
		t.Errorf("blocks:\n got  %+v\n want %+v", l.Blocks, want)
	}
}

func TestParseLessonTitle(t *testing.T) {
	tests := []struct{ src, want string }{
		{"---\ntitle: From front matter\n---\n# Heading\n", "From front matter"},
		{"Intro\n\n## Sub\n\n# The *real* `title`\n\n# Second\n", "The real title"},
		{"Setext title\n============\n", "Setext title"},
		{"no heading at all\n", "fallback-id"},
		{"---\ntitle:\n---\n", "fallback-id"},
	}
	for _, tt := range tests {
		l, _ := ParseLesson("fallback-id", "f.md", []byte(tt.src))
		if l.Title != tt.want {
			t.Errorf("title of %q = %q, want %q", tt.src, l.Title, tt.want)
		}
	}
}

func TestParseLessonProblems(t *testing.T) {
	src := strings.Join([]string{
		"---",                                 // 1
		"title: Broken",                       // 2
		"this line has no colon",              // 3
		"order: first",                        // 4
		"---",                                 // 5
		"```python {runnable}",                // 6 no id
		"```",                                 // 7
		"```python {runnable id=a}",           // 8
		"print(1)",                            // 9
		"```",                                 // 10
		"```python {runnable id=a}",           // 11 duplicate
		"print(2)",                            // 12
		"```",                                 // 13
		"```python {runnable id=b env=cloud}", // 14 unknown env
		"```",                                 // 15
		"```python {runnable id=c timeout=soon colour=red}", // 16 loads, two warnings
		"print(3)",                        // 17
		"```",                             // 18
		"```{runnable id=d}",              // 19 no language
		"```",                             // 20
		"```python {runnable id=\"e}",     // 21 unterminated
		"```",                             // 22
		"```python {runnable id=../x}",    // 23 bad id
		"```",                             // 24
		"```python {runnable=maybe id=f}", // 25
		"```",                             // 26
		"```weird {lang}",                 // 27 not runnable: silent
		"```",                             // 28
	}, "\n")
	l, probs := ParseLesson("broken", "lessons/broken.md", []byte(src))
	wantLines := []int{3, 4, 6, 11, 14, 16, 16, 19, 21, 23, 25}
	var gotLines []int
	for _, p := range probs {
		gotLines = append(gotLines, p.Line)
		if p.File != "lessons/broken.md" {
			t.Errorf("problem file = %q", p.File)
		}
	}
	if !reflect.DeepEqual(gotLines, wantLines) {
		t.Errorf("problem lines = %v, want %v\n%s", gotLines, wantLines, joinProblems(probs))
	}
	if l.Title != "Broken" {
		t.Errorf("title = %q: the good front matter keys should still apply", l.Title)
	}
	var ids []string
	for _, b := range l.Blocks {
		ids = append(ids, b.ID)
	}
	if !reflect.DeepEqual(ids, []string{"a", "c"}) {
		t.Errorf("loaded blocks %v, want [a c]", ids)
	}
	if l.Blocks[0].Code != "print(1)\n" || l.Blocks[1].Position != 1 || l.Blocks[1].Timeout != 0 {
		t.Errorf("kept the wrong duplicate or positions: %+v", l.Blocks)
	}
	if got := probs[3].String(); got != `lessons/broken.md:11: duplicate block id "a" (first used on line 8); block skipped` {
		t.Errorf("problem text = %q", got)
	}
}

func TestFrontMatterUnclosed(t *testing.T) {
	l, probs := ParseLesson("x", "x.md", []byte("---\ntitle: never closed\n\n```py {runnable id=a}\n```\n"))
	if len(probs) != 1 || probs[0].Line != 1 || !strings.Contains(probs[0].Message, "not closed") {
		t.Fatalf("problems = %v", probs)
	}
	if len(l.Blocks) != 1 || l.Blocks[0].Line != 4 {
		t.Errorf("blocks after unclosed front matter = %+v", l.Blocks)
	}
}

func joinProblems(ps []Problem) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString(p.String() + "\n")
	}
	return b.String()
}

func FuzzParseLesson(f *testing.F) {
	f.Add([]byte("---\ntitle: T\norder: 1\n---\n# H\n```python {runnable id=a}\nprint(1)\n```\n"))
	f.Add([]byte("- item\n\n  ~~~c {runnable id=b env=server stdin=\"x\\n\"}\n  int x;\n  ~~~\n> ```py runnable id=q\n> x\n"))
	f.Add([]byte("---\n"))
	f.Add([]byte("\uFEFF---\r\nk: 'v\r\n---\r\n```{runnable id=\"\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		l, probs := ParseLesson("fuzz", "fuzz.md", src)
		lines := strings.Count(string(src), "\n") + 1
		ids := map[string]bool{}
		for i, b := range l.Blocks {
			if b.Position != i {
				t.Fatalf("block %d has position %d", i, b.Position)
			}
			if b.Line < 1 || b.Line > lines {
				t.Fatalf("block line %d outside 1..%d", b.Line, lines)
			}
			if !validBlockID(b.ID) || ids[b.ID] {
				t.Fatalf("bad or duplicate block id %q", b.ID)
			}
			ids[b.ID] = true
			switch b.Environment {
			case EnvAuto, EnvPyodide, EnvServer:
			default:
				t.Fatalf("block env %q", b.Environment)
			}
		}
		for _, p := range probs {
			if p.Line < 0 || p.Line > lines {
				t.Fatalf("problem line %d outside 0..%d: %v", p.Line, lines, p)
			}
		}
		if l.Title == "" {
			t.Fatal("empty title")
		}
		if utf8.Valid(src) && !utf8.ValidString(l.Title) {
			t.Fatalf("title %q is not valid UTF-8", l.Title)
		}
	})
}
