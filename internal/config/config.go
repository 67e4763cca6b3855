// Package config holds runblock's settings: defaults first, then an optional
// JSON file, then environment variables, then flags; Validate last.
package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/runblock/runblock/internal/sandbox"
)

// Duration marshals as a Go duration string ("30s") in config files.
type Duration struct{ time.Duration }

func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return errors.New("want a duration string such as \"30s\"")
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	d.Duration = v
	return nil
}

// Limits are the per-run limits in operator units.
type Limits struct {
	MemoryMB       int64    `json:"memory_mb"`
	CPUs           float64  `json:"cpus"`
	Timeout        Duration `json:"timeout"`
	Pids           int      `json:"pids"`
	OutputChars    int      `json:"output_chars"`
	TmpMB          int64    `json:"tmp_mb"`
	MaxTimeoutSecs int      `json:"max_timeout_seconds"` // the largest timeout a request may ask for
}

// Sandbox selects and configures the runtime.
type Sandbox struct {
	Runtime      string `json:"runtime"` // bwrap
	BwrapPath    string `json:"bwrap_path"`
	WorkDir      string `json:"work_dir"`
	UIDBase      int    `json:"uid_base"`
	CgroupParent string `json:"cgroup_parent"`
	// AllowWeak serves even when the host can't isolate fully. Never in production.
	AllowWeak bool `json:"allow_weak"`
}

// Config is everything `runblock serve` needs.
type Config struct {
	Addr            string                      `json:"addr"`
	DataDir         string                      `json:"data_dir"`
	LogLevel        string                      `json:"log_level"`
	LogFormat       string                      `json:"log_format"` // text or json
	Sandbox         Sandbox                     `json:"sandbox"`
	Limits          Limits                      `json:"limits"`
	MaxConcurrent   int                         `json:"max_concurrent"` // runs executing at once
	MaxQueue        int                         `json:"max_queue"`      // runs waiting for a slot; beyond → 503
	QueueWait       Duration                    `json:"queue_wait"`     // longest wait for a slot
	MaxCodeBytes    int                         `json:"max_code_bytes"`
	MaxStdinBytes   int                         `json:"max_stdin_bytes"`
	ShutdownTimeout Duration                    `json:"shutdown_timeout"`
	Languages       map[string]sandbox.Language `json:"languages"`
}

// Default returns the seed's settings.
func Default() Config {
	return Config{
		Addr:      "127.0.0.1:8080",
		DataDir:   "data",
		LogLevel:  "info",
		LogFormat: "text",
		Sandbox: Sandbox{
			Runtime:      "bwrap",
			BwrapPath:    "/usr/bin/bwrap",
			UIDBase:      61000,
			CgroupParent: "runblock",
		},
		Limits: Limits{
			MemoryMB: 128, CPUs: 0.5, Timeout: Duration{30 * time.Second}, Pids: 64,
			OutputChars: 10000, TmpMB: 16, MaxTimeoutSecs: 30,
		},
		MaxConcurrent:   4,
		MaxQueue:        32,
		QueueWait:       Duration{10 * time.Second},
		MaxCodeBytes:    64 << 10,
		MaxStdinBytes:   64 << 10,
		ShutdownTimeout: Duration{10 * time.Second},
		Languages:       DefaultLanguages(),
	}
}

// DefaultLanguages are Debian's Python 3 and C (gcc). Adding a language is a
// config entry: file name, optional compile argv, run argv, limit overrides.
func DefaultLanguages() map[string]sandbox.Language {
	return map[string]sandbox.Language{
		"python": {
			Name: "python", FileName: "main.py",
			Run: []string{"/usr/bin/python3", "-u", "main.py"},
		},
		"c": {
			Name: "c", FileName: "main.c",
			Compile: []string{"/usr/bin/gcc", "-std=c17", "-O1", "-Wall", "-o", "main", "main.c", "-lm"},
			Run:     []string{"./main"},
			// cc1 needs more than a program: a larger memory budget and a
			// full CPU, and its own (shorter) timeout.
			CompileLimits: sandbox.Limits{MemoryBytes: 512 << 20, CPUs: 1, WallTime: 20 * time.Second, FileBytes: 64 << 20},
		},
	}
}

// Parse reads a JSON config file over c. Unknown fields are errors so that a
// typo doesn't silently leave a default in place.
func (c *Config) Parse(r io.Reader) error {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(c); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	return nil
}

// FieldError names the setting that is wrong.
type FieldError struct{ Field, Problem string }

func (e FieldError) Error() string { return e.Field + ": " + e.Problem }

// Validate checks every field and reports all problems at once.
func (c *Config) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, FieldError{field, fmt.Sprintf(format, args...)})
	}
	if c.Addr == "" {
		bad("addr", "must not be empty")
	}
	if c.DataDir == "" {
		bad("data_dir", "must not be empty")
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		bad("log_format", "must be text or json, not %q", c.LogFormat)
	}
	switch strings.ToLower(c.LogLevel) {
	case "debug", "info", "warn", "error":
	default:
		bad("log_level", "must be debug, info, warn or error, not %q", c.LogLevel)
	}
	if c.Sandbox.Runtime != "bwrap" {
		bad("sandbox.runtime", "unknown runtime %q (available: bwrap)", c.Sandbox.Runtime)
	}
	if c.Sandbox.UIDBase < 1000 {
		bad("sandbox.uid_base", "must be an unprivileged uid ≥ 1000, not %d", c.Sandbox.UIDBase)
	}
	l := c.Limits
	if l.MemoryMB < 16 {
		bad("limits.memory_mb", "must be at least 16")
	}
	if l.CPUs <= 0 || l.CPUs > 64 {
		bad("limits.cpus", "must be in (0, 64]")
	}
	if l.Timeout.Duration < time.Second {
		bad("limits.timeout", "must be at least 1s")
	}
	if l.MaxTimeoutSecs < 1 {
		bad("limits.max_timeout_seconds", "must be at least 1")
	}
	if l.Pids < 4 {
		bad("limits.pids", "must be at least 4")
	}
	if l.OutputChars < 1 {
		bad("limits.output_chars", "must be positive")
	}
	if l.TmpMB < 1 {
		bad("limits.tmp_mb", "must be at least 1")
	}
	if c.MaxConcurrent < 1 {
		bad("max_concurrent", "must be at least 1")
	}
	if c.MaxQueue < 0 {
		bad("max_queue", "must not be negative")
	}
	if c.MaxCodeBytes < 1 {
		bad("max_code_bytes", "must be positive")
	}
	if c.MaxStdinBytes < 0 {
		bad("max_stdin_bytes", "must not be negative")
	}
	if len(c.Languages) == 0 {
		bad("languages", "at least one language is needed")
	}
	for name, lang := range c.Languages {
		if lang.FileName == "" {
			bad("languages."+name+".file_name", "must not be empty")
		}
		if len(lang.Run) == 0 {
			bad("languages."+name+".run", "must not be empty")
		}
	}
	return errors.Join(errs...)
}

// SandboxLimits converts the operator's limits for the runtime.
func (c *Config) SandboxLimits() sandbox.Limits {
	return sandbox.Limits{
		MemoryBytes: c.Limits.MemoryMB << 20,
		CPUs:        c.Limits.CPUs,
		WallTime:    c.Limits.Timeout.Duration,
		Pids:        c.Limits.Pids,
		OutputChars: c.Limits.OutputChars,
		TmpBytes:    c.Limits.TmpMB << 20,
		FileBytes:   c.Limits.TmpMB << 20,
	}
}
