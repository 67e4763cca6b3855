// Package content loads lessons: Markdown files written by authors in a
// content directory, whose fenced code blocks marked {runnable ...} are the
// code learners run. Loading is forgiving: each mistake becomes a Problem
// with file and line, and everything else still loads, so one typo never
// takes the other lessons offline.
package content

import (
	"fmt"
	"strings"
	"time"
)

// Environments a block may ask for. "auto" lets the service choose (in the
// browser when it can, on the server otherwise).
const (
	EnvAuto    = "auto"
	EnvPyodide = "pyodide"
	EnvServer  = "server"
	// EnvWasm compiles C, C++ or Rust to WebAssembly and runs it in the
	// browser (or the server's wazero when the browser can't).
	EnvWasm = "wasm"
	// Container images (containers.environments): the seed's docker, and
	// ROS 2 lessons' ros2.
	EnvDocker = "docker"
	EnvROS2   = "ros2"
)

// Limits on what one lesson may contain.
const (
	MaxFileBytes = 1 << 20
	MaxIDBytes   = 200
)

// Lesson is one Markdown file.
type Lesson struct {
	ID          string
	Title       string
	Description string
	// Order comes from front matter; lessons without one sort after those
	// with one.
	Order    int
	HasOrder bool
	// Path is the file's path relative to the content directory, with '/'
	// separators.
	Path string
	// Markdown is the body after the front matter, for rendering.
	Markdown string
	Blocks   []Block
	ModTime  time.Time
}

// Block is one runnable code block.
type Block struct {
	ID          string
	Language    string
	Environment string
	Title       string
	Code        string
	// Position is the 0-based index among the lesson's loaded runnable blocks.
	Position int
	// Line is the 1-based line of the opening fence in the file.
	Line int
	// Timeout is in seconds; 0 means the service default.
	Timeout int
	Stdin   string
	// Tests make the block an exercise; hidden ones must never reach a
	// browser (see VisibleTests).
	Tests []Tests
}

// LessonSummary is what a lesson index shows.
type LessonSummary struct {
	ID          string
	Title       string
	Description string
	Blocks      int
}

// Problem is a mistake in the content, located for the author to fix.
type Problem struct {
	File    string
	Line    int
	Message string
}

func (p Problem) String() string {
	if p.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Message)
	}
	return fmt.Sprintf("%s: %s", p.File, p.Message)
}

func (p Problem) Error() string { return p.String() }

// ValidID reports whether id can name a lesson: '/'-separated segments of
// letters, digits, '-', '_' and '.', none empty or starting with '.', so an
// id can never climb out of the content directory or name a dotfile.
func ValidID(id string) bool {
	if id == "" || len(id) > MaxIDBytes {
		return false
	}
	for seg := range strings.SplitSeq(id, "/") {
		if seg == "" || seg[0] == '.' {
			return false
		}
		for i := 0; i < len(seg); i++ {
			if !isIDByte(seg[i]) {
				return false
			}
		}
	}
	return true
}

// validBlockID is ValidID for a single segment: block ids end up in URLs
// and in stored executions.
func validBlockID(id string) bool {
	return ValidID(id) && !strings.Contains(id, "/") && len(id) <= 64
}

func isIDByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '-' || c == '_' || c == '.'
}
