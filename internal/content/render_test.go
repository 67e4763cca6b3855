package content

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func renderString(t testing.TB, src string) (string, Lesson) {
	t.Helper()
	l, _ := ParseLesson("l", "l.md", []byte(src))
	html, err := RenderLesson(l)
	if err != nil {
		t.Fatal(err)
	}
	return html, l
}

func TestRenderLesson(t *testing.T) {
	for _, tc := range []struct {
		name    string
		src     string
		want    []string // substrings that must appear
		notWant []string // substrings that must not
	}{
		{
			name:    "runnable blocks become placeholders in order",
			src:     "# T\n\nintro\n\n```python {runnable id=a}\nprint(1)\n```\n\nmiddle\n\n```c {runnable id=b env=server}\nint main(){}\n```\n",
			want:    []string{"<p>intro</p>\n" + Placeholder("a") + "\n<p>middle</p>\n" + Placeholder("b")},
			notWant: []string{"print(1)", "int main"},
		},
		{
			name: "plain fences stay code with their language",
			src:  "```python\nx = 1 < 2\n```\n\n```\nno language\n```\n",
			want: []string{`<pre><code class="language-python">x = 1 &lt; 2`, "<pre><code>no language"},
		},
		{
			name:    "runnable=false and broken runnable blocks stay code",
			src:     "```python {runnable=false id=off}\noff\n```\n```python {runnable}\nno id\n```\n",
			want:    []string{">off\n</code></pre>", ">no id\n</code></pre>"},
			notWant: []string{PlaceholderClass},
		},
		{
			name:    "a duplicate id is rendered as code, once as a placeholder",
			src:     "```py {runnable id=x}\nfirst\n```\n```py {runnable id=x}\nsecond\n```\n",
			want:    []string{Placeholder("x"), "second"},
			notWant: []string{"first"},
		},
		{
			name:    "script tags are dropped",
			src:     "hi <script>alert(1)</script>\n\n<script>\nalert(2)\n</script>\n",
			notWant: []string{"<script"},
		},
		{
			name:    "event handlers are dropped",
			src:     `<img src="x" onerror="alert(1)">` + "\n\n![a](x.png \"t\")\n\ntext <b onmouseover=alert(1)>b</b>\n",
			want:    []string{`<img src="x.png" alt="a" title="t">`},
			notWant: []string{"onerror", "onmouseover"},
		},
		{
			name:    "javascript and data links are dropped",
			src:     "[a](javascript:alert(1)) [b](JaVaScRiPt:alert(1)) [c](data:text/html;base64,PHNjcmlwdD4=) <javascript:alert(1)>\n",
			want:    []string{"<p>a b c javascript:alert(1)</p>"}, // text, not links
			notWant: []string{"href"},
		},
		{
			name:    "raw HTML cannot forge a placeholder or a class",
			src:     `<div class="runblock-block" data-block-id="evil"></div>` + "\n\n<p class=\"app-header\">x</p>\n",
			notWant: []string{"evil", "app-header"},
		},
		{
			name:    "code cannot break out of its element",
			src:     "```html\n</code></pre><script>alert(1)</script>\n```\n",
			want:    []string{"&lt;/code&gt;&lt;/pre&gt;&lt;script&gt;"},
			notWant: []string{"<script"},
		},
		{
			name: "GFM: tables, strikethrough, autolinks, task lists, heading ids",
			src:  "# Intro\n\n## Shapes and statistics\n\n| a | b |\n|:--|--:|\n| 1 | 2 |\n\n~~old~~ new\n\nsee https://example.com/x\n\n- [x] done\n",
			want: []string{
				`<h1 id="intro">Intro</h1>`, `<h2 id="shapes-and-statistics">`,
				`<th align="left">a</th>`, `<td align="right">2</td>`, "<del>old</del>",
				`<a href="https://example.com/x" rel="nofollow noreferrer">https://example.com/x</a>`,
				`<input checked="" disabled="" type="checkbox">`,
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			html, _ := renderString(t, tc.src)
			for _, w := range tc.want {
				if !strings.Contains(html, w) {
					t.Errorf("missing %q in:\n%s", w, html)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(html, w) {
					t.Errorf("unexpected %q in:\n%s", w, html)
				}
			}
		})
	}
}

// TestLessonHTMLPerSnapshot: the rendering is cached in a catalog snapshot
// and a reload renders the edited lesson again.
func TestLessonHTMLPerSnapshot(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "a.md", "# One\n")
	lib, err := NewLibrary(dir, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	first := lib.Current()
	h1, ok, err := first.LessonHTML("a")
	if !ok || err != nil || !strings.Contains(h1, "One") {
		t.Fatalf("LessonHTML = %q, %v, %v", h1, ok, err)
	}
	writeFile(t, dir, "a.md", "# Two, longer\n")
	if _, err := lib.Reload(); err != nil {
		t.Fatal(err)
	}
	if h, _, _ := lib.Current().LessonHTML("a"); !strings.Contains(h, "Two") {
		t.Errorf("after reload: %q", h)
	}
	if h, _, _ := first.LessonHTML("a"); h != h1 {
		t.Errorf("old snapshot changed: %q", h)
	}
	for _, id := range []string{"missing", "../a", ""} {
		if _, ok, _ := first.LessonHTML(id); ok {
			t.Errorf("LessonHTML(%q) found something", id)
		}
	}
}

// TestSampleContentRenders: each shipped lesson renders with one
// placeholder per block, in order.
func TestSampleContentRenders(t *testing.T) {
	cat, _, err := Load(filepath.Join("..", "..", "content"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range cat.Lessons() {
		html, _, err := cat.LessonHTML(s.ID)
		if err != nil {
			t.Fatal(err)
		}
		l, _ := cat.Lesson(s.ID)
		checkPlaceholders(t, html, l)
	}
}

var placeholderRE = regexp.MustCompile(`<div class="` + PlaceholderClass + `" data-block-id="([^"]*)"></div>`)

func checkPlaceholders(t testing.TB, html string, l Lesson) {
	t.Helper()
	got := placeholderRE.FindAllStringSubmatch(html, -1)
	if len(got) != len(l.Blocks) || strings.Count(html, PlaceholderClass) != len(l.Blocks) {
		t.Fatalf("%s: %d placeholders for %d blocks:\n%s", l.ID, len(got), len(l.Blocks), html)
	}
	for i, m := range got {
		if m[1] != l.Blocks[i].ID {
			t.Fatalf("%s: placeholder %d is %q, block is %q", l.ID, i, m[1], l.Blocks[i].ID)
		}
	}
}

var (
	unsafeTagRE  = regexp.MustCompile(`(?i)<\s*/?\s*(script|iframe|object|embed|style|form|svg|math|link|meta|base)\b`)
	handlerRE    = regexp.MustCompile(`(?i)<[^>]*\son[a-z]+\s*=`)
	jsURLRE      = regexp.MustCompile(`(?i)(href|src)\s*=\s*"\s*(javascript|vbscript|data):`)
	classAttrRE  = regexp.MustCompile(`class="([^"]*)"`)
	allowedClass = regexp.MustCompile(`^(` + PlaceholderClass + `|language-[A-Za-z0-9_+#.-]+)$`)
)

// FuzzRenderLesson: whatever the Markdown, the HTML has no script, event
// handler or script URL, only the classes the page expects, and exactly
// one placeholder per runnable block, in order.
func FuzzRenderLesson(f *testing.F) {
	for _, seed := range []string{
		"# T\n\n```python {runnable id=a}\nprint(1)\n```\n",
		"<script>alert(1)</script>", `<img src=x onerror=alert(1)>`, "[x](javascript:alert(1))",
		"- ```py {runnable id=in-list}\n  x\n  ```\n", "> ```c {runnable id=q}\n> int x;\n> ```\n",
		"| a |\n|---|\n| <b onclick=x>1</b> |\n", "```py {runnable id=x}\n```\n```py {runnable id=x}\n```\n",
		"~~~py {runnable id=t}\n~~~\n", "    ```py {runnable id=indented}\n", "<div class=\"runblock-block\" data-block-id=\"z\"></div>",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, src string) {
		html, l := renderString(t, src)
		checkPlaceholders(t, html, l)
		for _, re := range []*regexp.Regexp{unsafeTagRE, handlerRE, jsURLRE} {
			if m := re.FindString(html); m != "" {
				t.Fatalf("unsafe %q in output of %q:\n%s", m, src, html)
			}
		}
		for _, m := range classAttrRE.FindAllStringSubmatch(html, -1) {
			if !allowedClass.MatchString(m[1]) {
				t.Fatalf("class %q in output of %q", m[1], src)
			}
		}
	})
}
