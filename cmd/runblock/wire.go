package main

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/runblock/runblock/internal/auth"
	"github.com/runblock/runblock/internal/config"
	"github.com/runblock/runblock/internal/execute"
	"github.com/runblock/runblock/internal/ratelimit"
	"github.com/runblock/runblock/internal/sandbox/bwrap"
)

// newRuntime builds the configured sandbox runtime.
func newRuntime(ctx context.Context, cfg config.Config, log *slog.Logger) (*bwrap.Runtime, error) {
	workDir := cfg.Sandbox.WorkDir
	if workDir == "" {
		// Not under data_dir: that may sit below a home directory the
		// sandbox uids can't traverse.
		workDir = filepath.Join("/tmp", "runblock-boxes")
	}
	rt, err := bwrap.New(ctx, bwrap.Config{
		BwrapPath: cfg.Sandbox.BwrapPath,
		WorkDir:   workDir,
		UIDBase:   cfg.Sandbox.UIDBase,
		// Validation, probes and the warm checkers need slots of their own.
		Slots:        cfg.MaxConcurrent + 4 + warmCheckers,
		CgroupParent: cfg.Sandbox.CgroupParent,
		Defaults:     cfg.SandboxLimits(),
		AllowWeak:    cfg.Sandbox.AllowWeak,
		Logger:       log,
	})
	if err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	return rt, nil
}

// warmCheckers is how many Python policy checkers wait pre-started.
const warmCheckers = 2

func newExecService(rt *bwrap.Runtime, cfg config.Config, log *slog.Logger) (*execute.Service, error) {
	// Quotas per role from rate_limit; 0 means unlimited, which the service
	// expresses as a role without an entry.
	limits := map[auth.Role]ratelimit.Limit{}
	for role, n := range cfg.RateLimit.PerRole {
		if n > 0 {
			limits[auth.Role(role)] = ratelimit.Limit{Rate: n, Period: cfg.RateLimit.Period.Duration}
		}
	}
	return execute.New(rt, cfg.Languages, execute.Config{
		RateLimits:    limits,
		FailOpen:      cfg.RateLimit.FailOpen,
		Limits:        cfg.SandboxLimits(),
		MaxTimeout:    secondsOf(cfg.Limits.MaxTimeoutSecs),
		MaxCodeBytes:  cfg.MaxCodeBytes,
		MaxStdinBytes: cfg.MaxStdinBytes,
		MaxConcurrent: cfg.MaxConcurrent,
		MaxQueue:      cfg.MaxQueue,
		QueueWait:     cfg.QueueWait.Duration,
		CheckFactor:   cfg.RateLimit.CheckMultiplier,
	}, log)
}
