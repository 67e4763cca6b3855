package exercise

import (
	"strings"
	"testing"
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
