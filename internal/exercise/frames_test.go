package exercise

import (
	"strings"
	"testing"

	"github.com/runblock/runblock/internal/content"
)

func TestFrameFilterSplitsAcrossWrites(t *testing.T) {
	var out strings.Builder
	var got []frame
	f := newFrameFilter("abc", func(fr frame) { got = append(got, fr) })
	f.out = &out
	stream := "hello\x1eRBX-abc:{\"event\":\"test\",\"name\":\"t1\",\"passed\":true}\nworld \x1eRBX-xyz:{\"event\":\"end\"}\n\x1eRBX-abc:{\"event\":\"end\"}\ntail\x1eRB"
	// Every split point, one byte at a time too: marks cut anywhere.
	for _, size := range []int{1, 2, 3, 7, len(stream)} {
		out.Reset()
		got = nil
		f.buf, f.line, f.inFrame = nil, nil, false
		for i := 0; i < len(stream); i += size {
			_, _ = f.Write([]byte(stream[i:min(i+size, len(stream))]))
		}
		f.Close()
		if want := "helloworld \x1eRBX-xyz:{\"event\":\"end\"}\ntail\x1eRB"; out.String() != want {
			t.Errorf("size %d: output %q, want %q", size, out.String(), want)
		}
		if len(got) != 2 || got[0].Name != "t1" || !got[0].Passed || got[1].Event != "end" {
			t.Errorf("size %d: frames %+v", size, got)
		}
	}
}

func TestFrameFilterDropsOversizedFrames(t *testing.T) {
	var got []frame
	f := newFrameFilter("n", func(fr frame) { got = append(got, fr) })
	_, _ = f.Write([]byte("\x1eRBX-n:{\"event\":\"test\",\"message\":\"" + strings.Repeat("x", maxFrame) + "\"}\n\x1eRBX-n:{\"event\":\"end\"}\n"))
	if len(got) != 1 || got[0].Event != "end" {
		t.Errorf("frames %+v, want only the end", got)
	}
}

// FuzzFrameFilter: whatever the program writes and however it is split,
// the filter never panics, and output holding no mark passes unchanged.
func FuzzFrameFilter(f *testing.F) {
	f.Add([]byte("hello\x1eRBX-n:{\"event\":\"end\"}\nbye"), 3)
	f.Add([]byte("\x1eRBX-\x1eRBX-n:\x1eRBX-n:{}\n"), 1)
	f.Fuzz(func(t *testing.T, data []byte, split int) {
		var out strings.Builder
		fl := newFrameFilter("n", func(frame) {})
		fl.out = &out
		if split <= 0 {
			split = 1
		}
		for i := 0; i < len(data); i += split {
			_, _ = fl.Write(data[i:min(i+split, len(data))])
		}
		fl.Close()
		if !strings.Contains(string(data), "\x1eRBX-n:") && out.String() != string(data) {
			t.Errorf("output %q, want %q unchanged", out.String(), data)
		}
	})
}

// FuzzParseTestsLesson: a lesson full of tests fences never panics, and a
// hidden fence's text never reaches the rendered HTML.
func FuzzParseTestsLesson(f *testing.F) {
	f.Add("python {runnable id=a}", "python {tests for=a hidden}", "assert a == 1")
	f.Add("c {runnable id=b}", "text {tests for=b stdin=\"x\" match=regex hidden}", "[")
	f.Fuzz(func(t *testing.T, blockInfo, testsInfo, body string) {
		if strings.ContainsAny(blockInfo+testsInfo, "\n`") || strings.Contains(body, "`") || strings.TrimSpace(body) == "" {
			return
		}
		src := "```" + blockInfo + "\nx = 1\n```\n\n```" + testsInfo + "\nSECRETXYZ " + body + "\n```\n"
		l, _ := content.ParseLesson("x", "x.md", []byte(src))
		html, err := content.RenderLesson(l)
		if err != nil {
			return
		}
		for _, b := range l.Blocks {
			for _, tt := range b.Tests {
				if tt.Hidden && strings.Contains(html, "SECRETXYZ") {
					t.Errorf("hidden tests rendered: %q", html)
				}
			}
		}
	})
}
