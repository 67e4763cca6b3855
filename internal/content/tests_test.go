package content

import (
	"strings"
	"testing"
)

const exerciseLesson = "# FizzBuzz\n" + // 1
	"\n" + // 2
	"```python {runnable id=fizzbuzz}\n" + // 3
	"def fizzbuzz(n):\n" + // 4
	"    return str(n)\n" + // 5
	"```\n" + // 6
	"\n" + // 7
	"```python {tests for=fizzbuzz}\n" + // 8
	"def test_three():\n" + // 9
	"    assert fizzbuzz(3) == 'Fizz'\n" + // 10
	"```\n" + // 11
	"\n" + // 12
	"```python {tests for=fizzbuzz hidden}\n" + // 13
	"class Secret(unittest.TestCase):\n" + // 14
	"    def test_fifteen(self):\n" + // 15
	"        self.assertEqual(fizzbuzz(15), 'FizzBuzz')  # SECRET-MARKER\n" + // 16
	"```\n" + // 17
	"\n" + // 18
	"```c {runnable id=greet}\n" + // 19
	"int main(void) { return 0; }\n" + // 20
	"```\n" + // 21
	"\n" + // 22
	"```text {tests for=greet stdin=\"Ada\\n\" match=exact name=\"greets Ada\"}\n" + // 23
	"Hello, Ada!\n" + // 24
	"```\n" + // 25
	"\n" + // 26
	"```text {tests for=greet hidden stdin=\"Bob\"}\n" + // 27
	"Hello, Bob!\n" + // 28
	"```\n" // 29

func TestParseTestsTiedToBlocks(t *testing.T) {
	l, probs := ParseLesson("fizz", "content/fizz.md", []byte(exerciseLesson))
	if len(probs) != 0 {
		t.Fatalf("problems: %v", probs)
	}
	if len(l.Blocks) != 2 {
		t.Fatalf("blocks = %d, want 2 (tests fences are not runnable blocks)", len(l.Blocks))
	}
	fb, greet := l.Blocks[0], l.Blocks[1]
	if len(fb.Tests) != 2 || !fb.HasTests() {
		t.Fatalf("fizzbuzz tests = %+v", fb.Tests)
	}
	vis, hid := fb.Tests[0], fb.Tests[1]
	if vis.Hidden || vis.Kind != TestsPython || vis.Name != "tests" || vis.Line != 8 || !strings.Contains(vis.Code, "def test_three") {
		t.Errorf("visible tests = %+v", vis)
	}
	if !hid.Hidden || hid.Name != "hidden tests" || hid.Line != 13 || !strings.Contains(hid.Code, "SECRET-MARKER") {
		t.Errorf("hidden tests = %+v", hid)
	}
	if got := fb.VisibleTests(); len(got) != 1 || got[0].Name != "tests" {
		t.Errorf("VisibleTests = %+v", got)
	}
	if len(greet.Tests) != 2 {
		t.Fatalf("greet tests = %+v", greet.Tests)
	}
	c1, c2 := greet.Tests[0], greet.Tests[1]
	if c1.Kind != TestsOutput || c1.Name != "greets Ada" || c1.Stdin != "Ada\n" || c1.Match != MatchExact || c1.Code != "Hello, Ada!\n" || c1.Hidden {
		t.Errorf("case 1 = %+v", c1)
	}
	if c2.Name != "case 2" || c2.Match != MatchTrimmed || !c2.Hidden || c2.Stdin != "Bob" {
		t.Errorf("case 2 = %+v", c2)
	}
}

func TestParseTestsProblems(t *testing.T) {
	cases := []struct {
		name, src string
		line      int
		want      string
	}{
		{"unknown block", "```python {runnable id=a}\nx=1\n```\n\n```python {tests for=b}\nassert 1\n```\n", 5, `no runnable block`},
		{"duplicate", "```python {runnable id=a}\nx=1\n```\n```python {tests for=a}\nassert 1\n```\n```python {tests for=a}\nassert 2\n```\n", 7, `duplicate tests "tests"`},
		{"no for", "```python {tests}\nassert 1\n```\n", 1, "no for="},
		{"python tests for c", "```c {runnable id=a}\nint main(){}\n```\n```python {tests for=a}\nassert 1\n```\n", 4, "need a python block"},
		{"bad match", "```c {runnable id=a}\nint main(){}\n```\n```text {tests for=a match=fuzzy}\nx\n```\n", 4, "match="},
		{"bad regex", "```c {runnable id=a}\nint main(){}\n```\n```text {tests for=a match=regex}\n(\n```\n", 4, "match=regex"},
		{"stdin on python", "```python {runnable id=a}\nx=1\n```\n```python {tests for=a stdin=x}\nassert 1\n```\n", 4, "stdin="},
		{"other language", "```python {runnable id=a}\nx=1\n```\n```js {tests for=a}\nassert 1\n```\n", 4, "text fence"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l, probs := ParseLesson("x", "content/x.md", []byte(tc.src))
			if len(probs) != 1 {
				t.Fatalf("problems = %v, want exactly one", probs)
			}
			p := probs[0]
			if p.File != "content/x.md" || p.Line != tc.line || !strings.Contains(p.Message, tc.want) {
				t.Errorf("problem = %s, want line %d containing %q", p, tc.line, tc.want)
			}
			for _, b := range l.Blocks {
				if tc.name != "duplicate" && len(b.Tests) != 0 {
					t.Errorf("block %s kept tests %+v", b.ID, b.Tests)
				}
			}
		})
	}
}

func TestRenderDropsHiddenTests(t *testing.T) {
	l, _ := ParseLesson("fizz", "fizz.md", []byte(exerciseLesson+"```python {tests hidden for=fizzbuzz name=\"x\" bad=\"unclosed}\nBROKEN-HIDDEN\n```\n"))
	html, err := RenderLesson(l)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"SECRET-MARKER", "Hello, Bob!", "BROKEN-HIDDEN", "test_fifteen"} {
		if strings.Contains(html, secret) {
			t.Errorf("rendered HTML contains hidden %q:\n%s", secret, html)
		}
	}
	for _, shown := range []string{"test_three", "Hello, Ada!"} {
		if !strings.Contains(html, shown) {
			t.Errorf("rendered HTML lacks visible example %q", shown)
		}
	}
}
