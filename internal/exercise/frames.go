package exercise

import (
	"bytes"
	"encoding/json"
	"io"
	"sync"
)

// frame is one line the harness writes after its mark.
type frame struct {
	Event   string      `json:"event"` // start, test, end, error
	Tests   []frameTest `json:"tests,omitempty"`
	Name    string      `json:"name,omitempty"`
	Suite   string      `json:"suite,omitempty"`
	Hidden  bool        `json:"hidden,omitempty"`
	Passed  bool        `json:"passed,omitempty"`
	Message string      `json:"message,omitempty"`
	TimeMS  float64     `json:"time_ms,omitempty"`
	// An expected-output case's run (see cases.py).
	Stdout   string `json:"stdout,omitempty"`
	Cut      bool   `json:"cut,omitempty"`
	ExitCode int    `json:"exit_code,omitempty"`
}

type frameTest struct {
	Name   string `json:"name"`
	Suite  string `json:"suite"`
	Hidden bool   `json:"hidden"`
}

// maxFrame bounds one verdict line; a longer one is not the harness's.
const maxFrame = 16 << 10

// frameFilter takes the program's stdout apart: lines that start with the
// mark (which holds the submission's nonce) are the harness's verdicts,
// everything else is the learner's output and passes on to out. The
// learner's code never learns the nonce, so it cannot write a verdict.
type frameFilter struct {
	nonce   string
	mark    []byte
	out     io.Writer
	onFrame func(frame)

	mu      sync.Mutex
	buf     []byte
	inFrame bool
	line    []byte
	skip    bool // the current frame grew too long: dropped
}

func newFrameFilter(nonce string, onFrame func(frame)) *frameFilter {
	return &frameFilter{nonce: nonce, mark: []byte("\x1eRBX-" + nonce + ":"), onFrame: onFrame}
}

func (f *frameFilter) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.buf = append(f.buf, p...)
	for len(f.buf) > 0 {
		if f.inFrame {
			i := bytes.IndexByte(f.buf, '\n')
			if i < 0 {
				f.addLine(f.buf)
				f.buf = f.buf[:0]
				break
			}
			f.addLine(f.buf[:i])
			if !f.skip {
				var fr frame
				if json.Unmarshal(f.line, &fr) == nil && f.onFrame != nil {
					f.onFrame(fr)
				}
			}
			f.inFrame, f.skip, f.line = false, false, f.line[:0]
			f.buf = f.buf[i+1:]
			continue
		}
		if j := bytes.Index(f.buf, f.mark); j >= 0 {
			f.pass(f.buf[:j])
			f.buf = f.buf[j+len(f.mark):]
			f.inFrame = true
			continue
		}
		keep := partialSuffix(f.buf, f.mark)
		f.pass(f.buf[:len(f.buf)-keep])
		f.buf = append(f.buf[:0], f.buf[len(f.buf)-keep:]...)
		break
	}
	return len(p), nil
}

func (f *frameFilter) addLine(b []byte) {
	if f.skip {
		return
	}
	if len(f.line)+len(b) > maxFrame {
		f.skip = true
		return
	}
	f.line = append(f.line, b...)
}

func (f *frameFilter) pass(b []byte) {
	if len(b) > 0 && f.out != nil {
		_, _ = f.out.Write(b)
	}
}

// Close passes on what is left (output that ended in a prefix of the mark).
func (f *frameFilter) Close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.inFrame {
		f.pass(f.buf)
	}
	f.buf = nil
}

// partialSuffix is the length of the longest suffix of b that is a proper
// prefix of mark: bytes that may start a mark completed by the next write.
func partialSuffix(b, mark []byte) int {
	n := min(len(b), len(mark)-1)
	for k := n; k > 0; k-- {
		if bytes.HasSuffix(b, mark[:k]) {
			return k
		}
	}
	return 0
}
