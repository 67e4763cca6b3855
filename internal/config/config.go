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

	"github.com/runblock/runblock/internal/lang"
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
	MemoryMB    int64    `json:"memory_mb"`
	CPUs        float64  `json:"cpus"`
	Timeout     Duration `json:"timeout"`
	Pids        int      `json:"pids"`
	OutputChars int      `json:"output_chars"`
	TmpMB       int64    `json:"tmp_mb"`
	ImageBytes  int64    `json:"image_bytes"` // figures' PNG bytes per run; past it they are dropped with a note
	MaxTimeout  Duration `json:"max_timeout"` // the largest timeout a request may ask for (whole seconds)
	// OldMaxTimeoutSecs is max_timeout's old spelling, in seconds; Parse
	// moves it (with a deprecation note).
	OldMaxTimeoutSecs int `json:"max_timeout_seconds,omitempty"`
}

// Sandbox selects the runtime (the front door's backend) and configures it.
type Sandbox struct {
	Runtime string `json:"runtime"` // bwrap
	Bwrap   Bwrap  `json:"bwrap"`   // settings only the bwrap runtime reads
	// AllowWeak serves even when the host can't isolate fully. Never in production.
	AllowWeak bool `json:"allow_weak"`
	// ColdStarts turns the warm pool of run sandboxes off: every run then
	// starts its sandbox and interpreter from nothing.
	ColdStarts bool `json:"cold_starts"`

	// The bwrap settings' old place, still read (with a deprecation note;
	// see Notes) and moved into Bwrap by Parse.
	OldBwrapPath    string `json:"bwrap_path,omitempty"`
	OldWorkDir      string `json:"work_dir,omitempty"`
	OldUIDBase      int    `json:"uid_base,omitempty"`
	OldCgroupParent string `json:"cgroup_parent,omitempty"`
}

// Bwrap configures the bubblewrap runtime.
type Bwrap struct {
	Path         string `json:"path"`
	WorkDir      string `json:"work_dir"` // default /tmp/runblock-boxes
	UIDBase      int    `json:"uid_base"`
	CgroupParent string `json:"cgroup_parent"`
}

// Auth says how callers are identified (see internal/auth).
type Auth struct {
	HS256Secret    string   `json:"hs256_secret"` // or env RUNBLOCK_JWT_SECRET
	PublicKeyFile  string   `json:"public_key_file"`
	JWKSURL        string   `json:"jwks_url"`
	Issuer         string   `json:"issuer"`
	Audience       string   `json:"audience"`
	RoleClaim      string   `json:"role_claim"`
	AllowAnonymous bool     `json:"allow_anonymous"`
	TrustedProxies []string `json:"trusted_proxies"`
	// SessionKey signs anonymous browsers' session cookies (or env
	// RUNBLOCK_SESSION_KEY). Unset, a key is generated once and kept in
	// data_dir; replicas behind one balancer must share a configured key.
	SessionKey string `json:"session_key"`
}

// RateLimit configures per-user execution quotas.
type RateLimit struct {
	Backend  string         `json:"backend"`   // memory (one replica) or redis (shared); default: redis when redis_url is set
	FailOpen bool           `json:"fail_open"` // admit runs when Redis is down (default: refuse)
	Period   Duration       `json:"period"`
	PerRole  map[string]int `json:"per_role"` // runs per period by role; 0 = unlimited
	// CheckMultiplier sizes each caller's quota of checks (POST /validate
	// and policy-rejected runs) as a multiple of the run quota.
	CheckMultiplier int `json:"check_multiplier"`
}

// CORS lets the learning platform's own origins call the API from a browser.
type CORS struct {
	AllowedOrigins   []string `json:"allowed_origins"`
	AllowCredentials bool     `json:"allow_credentials"`
}

// Store keeps run history: SQLite in data_dir by default, Postgres when a
// DSN is given (replicas share it).
type Store struct {
	PostgresDSN string   `json:"postgres_dsn"`
	Retention   Duration `json:"retention"` // runs older than this are pruned; 0 keeps everything
}

// Validation applies a policy (see internal/validate) before every run.
type Validation struct {
	// ExecutePolicy is checked before runs: "teaching" (the default: the
	// computation and teaching library, files in /box and /tmp), "strict"
	// (the seed's lists), "sandbox-only" (syntax only: the sandbox is the
	// boundary) or "off".
	ExecutePolicy string `json:"execute_policy"`
	// DefaultPolicy answers POST /validate when the request names none.
	DefaultPolicy string `json:"default_policy"`
}

// Browser configures what the learner's page gets to run itself.
type Browser struct {
	// PyodideDir is a full Pyodide distribution (the release tarball
	// unpacked: runtime, pyodide-lock.json, wheels) served as /pyodide/
	// instead of the embedded npm runtime, which has no wheels. It must be
	// the same Pyodide version the page was built with.
	PyodideDir string `json:"pyodide_dir"`
}

// Wasm configures the wasm environment (C, C++ and Rust compiled to
// WebAssembly in the sandbox, run in the browser or in wazero).
type Wasm struct {
	Disabled bool  `json:"disabled"`
	CacheMB  int64 `json:"cache_mb"` // compiled modules kept in memory, least recently used out
}

// Config is everything `runblock serve` needs.
type Config struct {
	Addr            string   `json:"addr"`
	DataDir         string   `json:"data_dir"`
	LogLevel        string   `json:"log_level"`
	LogFormat       string   `json:"log_format"` // text or json
	Sandbox         Sandbox  `json:"sandbox"`
	Limits          Limits   `json:"limits"`
	MaxConcurrent   int      `json:"max_concurrent"` // runs executing at once; 0: sized from the machine (see Concurrency)
	MaxQueue        int      `json:"max_queue"`      // runs waiting for a slot; beyond → 503
	QueueWait       Duration `json:"queue_wait"`     // longest wait for a slot
	MaxCodeBytes    int      `json:"max_code_bytes"`
	MaxStdinBytes   int      `json:"max_stdin_bytes"`
	ShutdownTimeout Duration `json:"shutdown_timeout"`
	Languages       lang.Set `json:"languages"`
	// CompileCacheMB bounds the compile cache (compiled programs kept in
	// memory by compiler, flags and source); 0 turns it off.
	CompileCacheMB int       `json:"compile_cache_mb"`
	Auth           Auth      `json:"auth"`
	RateLimit      RateLimit `json:"rate_limit"`
	CORS           CORS      `json:"cors"`

	// Fairness in the queue, per user: runs holding a slot and runs
	// waiting; a new run past the waiting ones replaces the oldest waiting.
	MaxRunningPerUser int `json:"max_running_per_user"`
	MaxWaitingPerUser int `json:"max_waiting_per_user"`

	// RedisURL (redis://host:port/db) is shared by all replicas: rate limits
	// and the relay that routes input/cancel to the replica holding a run.
	RedisURL   string     `json:"redis_url"`
	ContentDir string     `json:"content_dir"`
	Store      Store      `json:"store"`
	Validation Validation `json:"validation"`
	Browser    Browser    `json:"browser"`
	Wasm       Wasm       `json:"wasm"`
	Containers Containers `json:"containers"`

	notes []string // deprecations met while parsing; see Notes
}

// Notes are deprecation messages for the operator (logged at start).
func (c *Config) Notes() []string { return c.notes }

// Default returns the seed's settings.
func Default() Config {
	return Config{
		Addr:      "127.0.0.1:8080",
		DataDir:   "data",
		LogLevel:  "info",
		LogFormat: "text",
		Sandbox: Sandbox{
			Runtime: "bwrap",
			Bwrap:   Bwrap{Path: "/usr/bin/bwrap", UIDBase: 61000, CgroupParent: "runblock"},
		},
		Limits: Limits{
			MemoryMB: 128, CPUs: 0.5, Timeout: Duration{30 * time.Second}, Pids: 64,
			OutputChars: 10000, TmpMB: 16, MaxTimeout: Duration{30 * time.Second}, ImageBytes: sandbox.DefaultImageBytes,
		},
		MaxConcurrent:   0, // sized from the machine
		MaxQueue:        256,
		QueueWait:       Duration{2 * time.Minute},
		MaxCodeBytes:    64 << 10,
		MaxStdinBytes:   64 << 10,
		ShutdownTimeout: Duration{10 * time.Second},
		Languages:       lang.Builtins(),
		CompileCacheMB:  128,
		ContentDir:      "content",
		Store:           Store{Retention: Duration{90 * 24 * time.Hour}},
		Validation:      Validation{ExecutePolicy: "teaching", DefaultPolicy: "teaching"},
		Wasm:            Wasm{CacheMB: 64},

		MaxRunningPerUser: 1,
		MaxWaitingPerUser: 1,

		RateLimit: RateLimit{
			Period: Duration{time.Minute},
			// The seed's 10 per minute per user; anonymous callers share an
			// IP, so they get less; trusted services (the platform's own
			// backend) are not limited.
			PerRole:         map[string]int{"anonymous": 5, "user": 10, "author": 10, "service": 0},
			CheckMultiplier: 6,
		},
	}
}

// DefaultLanguages are the built-in languages (internal/lang's
// builtin.json) as the runtime sees them, by canonical name.
func DefaultLanguages() map[string]sandbox.Language {
	m := map[string]sandbox.Language{}
	for name, d := range lang.Builtins() {
		m[name] = d.Language
	}
	return m
}

// Parse reads a JSON config file over c. Unknown fields are errors so that a
// typo doesn't silently leave a default in place.
func (c *Config) Parse(r io.Reader) error {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(c); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	c.moveDeprecated()
	return nil
}

// moveDeprecated takes settings from their old keys to their new ones.
func (c *Config) moveDeprecated() {
	sb := &c.Sandbox
	move := func(old, now string, set bool, apply func()) {
		if set {
			apply()
			c.notes = append(c.notes, fmt.Sprintf("config: %s is deprecated; use %s", old, now))
		}
	}
	move("sandbox.bwrap_path", "sandbox.bwrap.path", sb.OldBwrapPath != "", func() { sb.Bwrap.Path, sb.OldBwrapPath = sb.OldBwrapPath, "" })
	move("sandbox.work_dir", "sandbox.bwrap.work_dir", sb.OldWorkDir != "", func() { sb.Bwrap.WorkDir, sb.OldWorkDir = sb.OldWorkDir, "" })
	move("sandbox.uid_base", "sandbox.bwrap.uid_base", sb.OldUIDBase != 0, func() { sb.Bwrap.UIDBase, sb.OldUIDBase = sb.OldUIDBase, 0 })
	move("limits.max_timeout_seconds", "limits.max_timeout (a duration such as \"30s\")", c.Limits.OldMaxTimeoutSecs != 0, func() {
		c.Limits.MaxTimeout, c.Limits.OldMaxTimeoutSecs = Duration{time.Duration(c.Limits.OldMaxTimeoutSecs) * time.Second}, 0
	})
	move("sandbox.cgroup_parent", "sandbox.bwrap.cgroup_parent", sb.OldCgroupParent != "", func() { sb.Bwrap.CgroupParent, sb.OldCgroupParent = sb.OldCgroupParent, "" })
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
	if c.Wasm.CacheMB < 1 && !c.Wasm.Disabled {
		bad("wasm.cache_mb", "must be at least 1 (or set wasm.disabled)")
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
	if c.Sandbox.Runtime == "bwrap" && c.Sandbox.Bwrap.UIDBase < 1000 {
		bad("sandbox.bwrap.uid_base", "must be an unprivileged uid ≥ 1000, not %d", c.Sandbox.Bwrap.UIDBase)
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
	if l.MaxTimeout.Duration < time.Second || l.MaxTimeout.Duration%time.Second != 0 {
		bad("limits.max_timeout", "must be whole seconds, at least 1s, not %s", l.MaxTimeout.Duration)
	}
	if l.Timeout.Duration > l.MaxTimeout.Duration {
		bad("limits.timeout", "%s is more than limits.max_timeout %s: no run could use it", l.Timeout.Duration, l.MaxTimeout.Duration)
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
	if l.ImageBytes < 0 || l.ImageBytes > 64<<20 {
		bad("limits.image_bytes", "must be between 0 (the default, 4 MiB) and 64 MiB")
	}
	if c.MaxConcurrent < 0 {
		bad("max_concurrent", "must not be negative (0 sizes it from the machine)")
	}
	if c.MaxRunningPerUser < 1 {
		bad("max_running_per_user", "must be at least 1")
	}
	if c.MaxWaitingPerUser < 1 {
		bad("max_waiting_per_user", "must be at least 1")
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
	switch c.LimiterBackend() {
	case "memory":
	case "redis":
		if c.RedisURL == "" {
			bad("redis_url", "is required with rate_limit.backend redis")
		}
	default:
		bad("rate_limit.backend", "must be memory or redis, not %q", c.RateLimit.Backend)
	}
	if c.RateLimit.Period.Duration < time.Second {
		bad("rate_limit.period", "must be at least 1s")
	}
	if m := c.RateLimit.CheckMultiplier; m < 1 || m > 1000 {
		bad("rate_limit.check_multiplier", "must be from 1 to 1000, not %d", m)
	}
	for role, n := range c.RateLimit.PerRole {
		switch role {
		case "anonymous", "user", "author", "service":
		default:
			bad("rate_limit.per_role."+role, "unknown role (anonymous, user, author, service)")
		}
		if n < 0 || n > 1_000_000 {
			bad("rate_limit.per_role."+role, "must be from 0 (unlimited) to 1000000 runs per period")
		}
	}
	if c.Auth.HS256Secret == "" && c.Auth.PublicKeyFile == "" && c.Auth.JWKSURL == "" && !c.Auth.AllowAnonymous {
		bad("auth", "configure a token key (hs256_secret, public_key_file or jwks_url) or allow_anonymous")
	}
	if k := c.Auth.SessionKey; k != "" && len(k) < 32 {
		bad("auth.session_key", "must be at least 32 bytes, got %d", len(k))
	}
	for i, o := range c.CORS.AllowedOrigins {
		if o == "*" && c.CORS.AllowCredentials {
			bad(fmt.Sprintf("cors.allowed_origins[%d]", i), "\"*\" can't be combined with allow_credentials; list the origins")
		}
		if o != "*" && !strings.HasPrefix(o, "http://") && !strings.HasPrefix(o, "https://") {
			bad(fmt.Sprintf("cors.allowed_origins[%d]", i), "must be an origin like https://learn.example.com, not %q", o)
		}
	}
	for field, p := range map[string]string{"validation.execute_policy": c.Validation.ExecutePolicy, "validation.default_policy": c.Validation.DefaultPolicy} {
		switch p {
		case "teaching", "strict", "sandbox-only":
		case "off":
			if field == "validation.default_policy" {
				bad(field, "must be teaching, strict or sandbox-only")
			}
		default:
			bad(field, "must be teaching, strict, sandbox-only or off, not %q", p)
		}
	}
	if c.Store.Retention.Duration < 0 {
		bad("store.retention", "must not be negative")
	}
	c.validateContainers(bad)
	if c.CompileCacheMB < 0 || c.CompileCacheMB > 64<<10 {
		bad("compile_cache_mb", "must be from 0 (off) to 65536")
	}
	if err := c.Languages.Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// LimiterBackend resolves the default: redis when a Redis URL is set.
func (c *Config) LimiterBackend() string {
	if c.RateLimit.Backend == "" {
		if c.RedisURL != "" {
			return "redis"
		}
		return "memory"
	}
	return c.RateLimit.Backend
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
		ImageBytes:  c.Limits.ImageBytes,
	}
}
