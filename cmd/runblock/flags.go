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
	"github.com/runblock/runblock/internal/httpapi"
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
	contentDir := fs.String("content-dir", "", "lessons (Markdown) directory (env RUNBLOCK_CONTENT_DIR, default "+cfg.ContentDir+")")
	anon := fs.Bool("allow-anonymous", false, "let callers without a token run code, limited per IP (env RUNBLOCK_ALLOW_ANONYMOUS=1)")
	redisURL := fs.String("redis-url", "", "shared Redis for rate limits and the input relay (env RUNBLOCK_REDIS_URL)")
	pgDSN := fs.String("postgres-dsn", "", "Postgres for history instead of SQLite (env RUNBLOCK_POSTGRES_DSN)")
	pyodideDir := fs.String("pyodide-dir", "", "serve a full Pyodide distribution (with wheels) as /pyodide/ (env RUNBLOCK_PYODIDE_DIR)")
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
	setIf(&cfg.ContentDir, *contentDir)
	setIf(&cfg.RedisURL, *redisURL)
	setIf(&cfg.Store.PostgresDSN, *pgDSN)
	setIf(&cfg.Browser.PyodideDir, *pyodideDir)
	if *anon {
		cfg.Auth.AllowAnonymous = true
	}
	if *weak {
		cfg.Sandbox.AllowWeak = true
	}
	if name != "serve" {
		// Only the server identifies callers; run and check act as the operator.
		cfg.Auth.AllowAnonymous = true
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
	setIf(&cfg.ContentDir, env("RUNBLOCK_CONTENT_DIR"))
	setIf(&cfg.RedisURL, env("RUNBLOCK_REDIS_URL"))
	setIf(&cfg.Store.PostgresDSN, env("RUNBLOCK_POSTGRES_DSN"))
	setIf(&cfg.Auth.HS256Secret, env("RUNBLOCK_JWT_SECRET"))
	setIf(&cfg.Auth.PublicKeyFile, env("RUNBLOCK_JWT_PUBLIC_KEY_FILE"))
	setIf(&cfg.Auth.JWKSURL, env("RUNBLOCK_JWKS_URL"))
	setIf(&cfg.Auth.SessionKey, env("RUNBLOCK_SESSION_KEY"))
	setIf(&cfg.Validation.ExecutePolicy, env("RUNBLOCK_EXECUTE_POLICY"))
	setIf(&cfg.Browser.PyodideDir, env("RUNBLOCK_PYODIDE_DIR"))
	if v := env("RUNBLOCK_CORS_ORIGINS"); v != "" {
		cfg.CORS.AllowedOrigins = strings.Split(v, ",")
	}
	ints := map[string]*int{
		"RUNBLOCK_MAX_CONCURRENT": &cfg.MaxConcurrent,
		"RUNBLOCK_MAX_QUEUE":      &cfg.MaxQueue,
		"RUNBLOCK_UID_BASE":       &cfg.Sandbox.Bwrap.UIDBase,
		// Per learner in the queue (default 1 running + 1 waiting).
		"RUNBLOCK_MAX_RUNNING_PER_USER": &cfg.MaxRunningPerUser,
		"RUNBLOCK_MAX_WAITING_PER_USER": &cfg.MaxWaitingPerUser,
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
	for name, dst := range map[string]*bool{"RUNBLOCK_ALLOW_WEAK_SANDBOX": &cfg.Sandbox.AllowWeak, "RUNBLOCK_ALLOW_ANONYMOUS": &cfg.Auth.AllowAnonymous} {
		if v := strings.ToLower(env(name)); v == "1" || v == "true" {
			*dst = true
		}
	}
	return nil
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler = slog.NewTextHandler(w, opts)
	if cfg.LogFormat == "json" {
		h = slog.NewJSONHandler(w, opts)
	}
	// Lines logged while serving a request name its id.
	return slog.New(httpapi.LogHandler(h))
}
