package wasm

import (
	"time"

	"github.com/runblock/runblock/internal/sandbox"
)

// DefaultCompileLimits fit clang and rustc (rustc peaks near 200 MB on a
// hello and writes its objects to /tmp), like the C compile step's.
var DefaultCompileLimits = sandbox.Limits{MemoryBytes: 768 << 20, CPUs: 1, WallTime: 30 * time.Second, TmpBytes: 128 << 20, FileBytes: MaxModuleBytes}
