package main

import (
	"context"
	"log/slog"
	"path/filepath"

	"github.com/runblock/runblock/internal/auth"
	"github.com/runblock/runblock/internal/config"
	"github.com/runblock/runblock/internal/execute"
	"github.com/runblock/runblock/internal/ratelimit"
	"github.com/runblock/runblock/internal/sandbox"
	"github.com/runblock/runblock/internal/sandbox/bwrap"
	"github.com/runblock/runblock/internal/sandbox/compilecache"
	"github.com/runblock/runblock/internal/sandbox/frontdoor"
	"github.com/runblock/runblock/internal/validate"
	"github.com/runblock/runblock/internal/wasm"
)

// newRuntime opens the front door over the configured sandbox runtime.
func newRuntime(ctx context.Context, cfg config.Config, log *slog.Logger) (*frontdoor.FrontDoor, error) {
	for _, n := range cfg.Notes() {
		log.Warn(n)
	}
	bw := cfg.Sandbox.Bwrap
	if bw.WorkDir == "" {
		// Not under data_dir: that may sit below a home directory the
		// sandbox uids can't traverse.
		bw.WorkDir = filepath.Join("/tmp", "runblock-boxes")
	}
	runWarm, heldWarm := 0, 0
	if !cfg.Sandbox.ColdStarts {
		runWarm, heldWarm = warmRuns(cfg), heldRuns
	}
	fd, err := frontdoor.Open(ctx, frontdoor.Options{
		Runtime: cfg.Sandbox.Runtime,
		Bwrap: bwrap.Config{
			BwrapPath: bw.Path, WorkDir: bw.WorkDir, UIDBase: bw.UIDBase, CgroupParent: bw.CgroupParent,
			Defaults: cfg.SandboxLimits(), AllowWeak: cfg.Sandbox.AllowWeak, EtcPaths: cfg.Languages.EtcPaths(),
			Python: pythonOf(cfg),
		},
		MaxConcurrent:  cfg.Concurrency(),
		MaxQueue:       cfg.MaxQueue,
		QueueWait:      cfg.QueueWait.Duration,
		PerUserRunning: cfg.MaxRunningPerUser,
		PerUserWaiting: cfg.MaxWaitingPerUser,
		WarmSlots:      warmCheckers + runWarm + heldWarm,
		Logger:         log,
	})
	if err != nil || runWarm == 0 {
		return fd, err
	}
	// Python runs start on sandboxes set up ahead: one per admission slot
	// (a burst of that many starts warm) and one per library flavour.
	// Every other language's runs take sandboxes set up and held before
	// anything starts in them (compile step and run), one of each kind.
	boot, script := validate.StartScript(pythonOf(cfg))
	err = fd.EnableRunPool(frontdoor.RunPoolOptions{
		Languages: cfg.Languages.WarmNames("python"), Budget: runWarm, PlainSize: cfg.Concurrency(), LibSize: 1,
		Held: cfg.Languages.WarmNames(""), HeldSize: 1, HeldBudget: heldWarm,
		Wrappers: []string{validate.GuardFileName, validate.GuardFileName + "c", validate.StartFileName, validate.StartFileName + "c"},
		Boot:     sandbox.File{Name: boot, Content: script},
	})
	if err != nil {
		fd.Close()
		return nil, err
	}
	return fd, nil
}

// warmRuns is how many idle run sandboxes may wait at once.
func warmRuns(cfg config.Config) int { return cfg.Concurrency() + 2 }

// heldRuns is how many idle held sandboxes (languages without a Python
// warm form) may wait at once: a course's one or two such languages, each
// with its compile step and as a compile cache's hit.
const heldRuns = 4

// warmCheckers is how many Python policy checkers wait pre-started.
const warmCheckers = 2

func newExecService(rt *frontdoor.FrontDoor, cfg config.Config, log *slog.Logger) (*execute.Service, error) {
	// Quotas per role from rate_limit; 0 means unlimited, which the service
	// expresses as a role without an entry.
	limits := map[auth.Role]ratelimit.Limit{}
	for role, n := range cfg.RateLimit.PerRole {
		if n > 0 {
			limits[auth.Role(role)] = ratelimit.Limit{Rate: n, Period: cfg.RateLimit.Period.Duration}
		}
	}
	svc, err := execute.New(rt, cfg.Languages.Runnable(), execute.Config{
		RateLimits:    limits,
		FailOpen:      cfg.RateLimit.FailOpen,
		Limits:        cfg.SandboxLimits(),
		MaxTimeout:    cfg.Limits.MaxTimeout.Duration,
		MaxCodeBytes:  cfg.MaxCodeBytes,
		MaxStdinBytes: cfg.MaxStdinBytes,
		MaxConcurrent: cfg.Concurrency(),
		MaxQueue:      cfg.MaxQueue,
		QueueWait:     cfg.QueueWait.Duration,
		CheckFactor:   cfg.RateLimit.CheckMultiplier,
	}, log)
	if err != nil || cfg.CompileCacheMB == 0 {
		return svc, err
	}
	return svc.WithRuntimeWrapper(func(next sandbox.Runtime) sandbox.Runtime {
		return compilecache.New(next, int64(cfg.CompileCacheMB)<<20)
	}), nil
}

// newWasm is the wasm environment: its compiles go through the front door
// (admitted, sandboxed), its server runs through wazero. Nil when disabled.
func newWasm(ctx context.Context, rt *frontdoor.FrontDoor, cfg config.Config) (*wasm.Env, error) {
	if cfg.Wasm.Disabled {
		return nil, nil
	}
	comp, err := wasm.NewCompiler(wasm.CompilerConfig{Runtime: rt, Limits: wasm.DefaultCompileLimits, CacheBytes: cfg.Wasm.CacheMB << 20})
	if err != nil {
		return nil, err
	}
	runner, err := wasm.NewRunner(ctx, 32)
	if err != nil {
		return nil, err
	}
	return &wasm.Env{Compiler: comp, Runner: runner}, nil
}

// pythonOf is the interpreter the python language runs with; "" without one.
func pythonOf(cfg config.Config) string {
	if l, ok := cfg.Languages["python"]; ok && len(l.Run) > 0 {
		return l.Run[0]
	}
	return ""
}
