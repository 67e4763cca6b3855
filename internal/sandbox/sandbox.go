// Package sandbox defines how runblock runs untrusted code: a Runtime takes a
// Request (language, files, stdin, limits) and streams the program's output to
// writers as it is produced. Implementations live in sub-packages (bwrap/);
// sandboxtest/ holds the conformance suite every implementation must pass.
package sandbox

import (
	"context"
	"errors"
	"io"
	"time"
)

// Status is the outcome of a run as the API reports it.
type Status string

const (
	StatusSuccess     Status = "success"
	StatusError       Status = "error"
	StatusTimeout     Status = "timeout"
	StatusMemoryLimit Status = "memory_limit"
	StatusCancelled   Status = "cancelled"
)

// Limits bound one run. Zero values mean "use the runtime's default".
type Limits struct {
	MemoryBytes int64         `json:"memory_bytes"`
	CPUs        float64       `json:"cpus"`
	WallTime    time.Duration `json:"wall_time"`
	Pids        int           `json:"pids"`
	OutputChars int           `json:"output_chars"` // stdout+stderr, in characters (runes)
	TmpBytes    int64         `json:"tmp_bytes"`    // size of the writable /tmp
	FileBytes   int64         `json:"file_bytes"`   // largest file the program may write
	ImageBytes  int64         `json:"image_bytes"`  // PNG bytes of figures shown per run
}

// Merge returns l with every zero field taken from def.
func (l Limits) Merge(def Limits) Limits {
	if l.MemoryBytes == 0 {
		l.MemoryBytes = def.MemoryBytes
	}
	if l.CPUs == 0 {
		l.CPUs = def.CPUs
	}
	if l.WallTime == 0 {
		l.WallTime = def.WallTime
	}
	if l.Pids == 0 {
		l.Pids = def.Pids
	}
	if l.OutputChars == 0 {
		l.OutputChars = def.OutputChars
	}
	if l.TmpBytes == 0 {
		l.TmpBytes = def.TmpBytes
	}
	if l.FileBytes == 0 {
		l.FileBytes = def.FileBytes
	}
	if l.ImageBytes == 0 {
		l.ImageBytes = def.ImageBytes
	}
	return l
}

// Language says how to build and start a program. It is data: adding a
// language is a configuration change. Argv entries are run inside the sandbox
// with the working directory /box, where the request's files are placed.
type Language struct {
	Name     string   `json:"name"`
	Version  string   `json:"version,omitempty"`
	FileName string   `json:"file_name"`         // the file the code is written to, e.g. main.py
	Compile  []string `json:"compile,omitempty"` // optional build step; its output goes to /box
	Run      []string `json:"run"`
	// CompileLimits override Limits for the compile step (compilers need more
	// memory and time than the programs they build).
	CompileLimits Limits `json:"compile_limits,omitempty"`
	// Env is set for both steps, after (and so over) the runtime's own
	// PATH, HOME, TMPDIR and LANG.
	Env map[string]string `json:"env,omitempty"`
	// ReadOnlyPaths are host paths under /etc the toolchain reads (the
	// JVM's configuration, Python's site files); /usr is always there.
	ReadOnlyPaths []string `json:"read_only_paths,omitempty"`
}

// File is one file placed in /box before the program starts.
type File struct {
	Name    string
	Content []byte
	// Executable files are placed with the execute bit (a compiled program
	// taken from a compile cache).
	Executable bool
}

// Request is one run. Stdout and Stderr receive output as the program writes
// it; they must not block for long (the runtime keeps draining the program's
// pipes regardless). Stdin may be nil (the program sees EOF at once).
type Request struct {
	Language Language
	Files    []File // Files[0] is the main file when its Name is empty (Language.FileName is used)
	Stdin    io.Reader
	Stdout   io.Writer
	Stderr   io.Writer
	Limits   Limits
	// Images, when set, opens the figure channel for the program (Python's
	// matplotlib backend, see sandbox/figure): its figures arrive here.
	Images ImageSink
	// Compiled, when set, receives the files a successful compile step
	// added to the run's directory (up to MaxArtifactBytes in all; none
	// when there are more), before the program runs: a compile cache keeps
	// them (see sandbox/compilecache).
	Compiled func(artifacts []File)
}

// MaxArtifactBytes bounds what a compile step's artifacts may total to be
// handed to Request.Compiled.
const MaxArtifactBytes = 64 << 20

// Stage names the step a result belongs to.
type Stage string

const (
	StageCompile Stage = "compile"
	StageRun     Stage = "run"
)

// Result describes how a run ended. A program that fails (non-zero exit,
// timeout, OOM) is a Result with that status, not an error: errors are for
// the system failing to run it at all.
type Result struct {
	Status     Status
	Stage      Stage // which step ended the run (compile failures end at StageCompile)
	ExitCode   int   // -1 when killed by a signal
	Signal     string
	WallTime   time.Duration
	CPUTime    time.Duration
	MemoryPeak int64 // bytes, 0 when the runtime can't tell
	Truncated  bool  // output exceeded Limits.OutputChars
	OOMKilled  bool
	// ImagesDropped counts figures past the run's image caps.
	ImagesDropped int
	// Limits are those of the step that ended the run: a compile step has
	// its own (Language.CompileLimits), and a failure names those.
	Limits Limits
}

// Runtime runs untrusted code in isolation.
type Runtime interface {
	Run(ctx context.Context, req Request) (Result, error)
}

// Checker is implemented by runtimes that can report what isolation the host
// gives them. Strong is false when any required protection is missing.
type Checker interface {
	Check(ctx context.Context) Report
}

// Report is what `runblock check` prints and /readyz consults.
type Report struct {
	Runtime string        `json:"runtime"`
	Strong  bool          `json:"strong"`
	Items   []CheckResult `json:"items"`
}

// CheckResult is one probed capability.
type CheckResult struct {
	Name     string `json:"name"`
	OK       bool   `json:"ok"`
	Required bool   `json:"required"`
	Detail   string `json:"detail"`
}

// ErrBusy is returned when a runtime has no free slot and must not queue.
var ErrBusy = errors.New("sandbox: no free slot")

// ErrUnavailable wraps failures to reach what a runtime depends on (a
// container engine that is down): the caller answers 503, not 500.
var ErrUnavailable = errors.New("sandbox: runtime unavailable")
