package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"

	"github.com/runblock/runblock/internal/config"
)

// loadConfig applies, in order: defaults, the config file (--config or
// RUNBLOCK_CONFIG), RUNBLOCK_* environment variables, then flags; and
// validates the result.
func loadConfig(name string, args []string, env envFunc, stderr io.Writer, extra func(*flag.FlagSet)) (config.Config, []string, error) {
	cfg := config.Default()
	fs := flag.NewFlagSet("runblock "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	configFile := fs.String("config", env("RUNBLOCK_CONFIG"), "JSON config file (env RUNBLOCK_CONFIG)")
	addr := fs.String("addr", "", "listen address (env RUNBLOCK_ADDR, default "+cfg.Addr+")")
	dataDir := fs.String("data-dir", "", "directory for runblock's data (env RUNBLOCK_DATA_DIR, default "+cfg.DataDir+")")
	logLevel := fs.String("log-level", "", "debug, info, warn or error (env RUNBLOCK_LOG_LEVEL)")
	weak := fs.Bool("allow-weak-sandbox", false, "run even if the host can't fully isolate code — never in production (env RUNBLOCK_ALLOW_WEAK_SANDBOX=1)")
	if extra != nil {
		extra(fs)
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return cfg, nil, exitCode(0)
		}
		return cfg, nil, exitCode(2)
	}
	if *configFile != "" {
		f, err := os.Open(*configFile)
		if err != nil {
			return cfg, nil, fmt.Errorf("config: %w", err)
		}
		err = cfg.Parse(f)
		f.Close()
		if err != nil {
			return cfg, nil, fmt.Errorf("%s: %w", *configFile, err)
		}
	}
	if err := applyEnv(&cfg, env); err != nil {
		return cfg, nil, err
	}
	setIf(&cfg.Addr, *addr)
	setIf(&cfg.DataDir, *dataDir)
	setIf(&cfg.LogLevel, *logLevel)
	if *weak {
		cfg.Sandbox.AllowWeak = true
	}
	if err := cfg.Validate(); err != nil {
		return cfg, nil, fmt.Errorf("invalid configuration:\n%w", err)
	}
	return cfg, fs.Args(), nil
}

func setIf(dst *string, v string) {
	if v != "" {
		*dst = v
	}
}

func applyEnv(cfg *config.Config, env envFunc) error {
	setIf(&cfg.Addr, env("RUNBLOCK_ADDR"))
	setIf(&cfg.DataDir, env("RUNBLOCK_DATA_DIR"))
	setIf(&cfg.LogLevel, env("RUNBLOCK_LOG_LEVEL"))
	setIf(&cfg.LogFormat, env("RUNBLOCK_LOG_FORMAT"))
	ints := map[string]*int{
		"RUNBLOCK_MAX_CONCURRENT": &cfg.MaxConcurrent,
		"RUNBLOCK_MAX_QUEUE":      &cfg.MaxQueue,
		"RUNBLOCK_UID_BASE":       &cfg.Sandbox.UIDBase,
	}
	for name, dst := range ints {
		if v := env(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				return fmt.Errorf("%s: want a whole number, got %q", name, v)
			}
			*dst = n
		}
	}
	if v := strings.ToLower(env("RUNBLOCK_ALLOW_WEAK_SANDBOX")); v == "1" || v == "true" {
		cfg.Sandbox.AllowWeak = true
	}
	return nil
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
