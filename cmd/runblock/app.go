package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/runblock/runblock/internal/auth"
	"github.com/runblock/runblock/internal/catalog"
	"github.com/runblock/runblock/internal/config"
	"github.com/runblock/runblock/internal/content"
	"github.com/runblock/runblock/internal/execute"
	"github.com/runblock/runblock/internal/httpapi"
	"github.com/runblock/runblock/internal/ratelimit"
	"github.com/runblock/runblock/internal/relay"
	"github.com/runblock/runblock/internal/sandbox/frontdoor"
	"github.com/runblock/runblock/internal/store"
	"github.com/runblock/runblock/internal/store/postgres"
	"github.com/runblock/runblock/internal/store/sqlite"
	"github.com/runblock/runblock/internal/validate"
	"github.com/runblock/runblock/internal/wasm"
)

// app is everything `serve` wires together from the configuration.
type app struct {
	cfg      config.Config
	log      *slog.Logger
	rt       *frontdoor.FrontDoor
	exec     *execute.Service
	store    store.Store
	redis    *redis.Client
	relay    *relay.Redis
	lessons  *content.Library
	registry *execute.Registry
	wasm     *wasm.Env // nil: wasm.disabled
	ctrs     []containerEnv
	api      *httpapi.Server
	closers  []func()

	readyMu sync.Mutex
	readyOK bool
	readyAt time.Time
}

func newApp(ctx context.Context, cfg config.Config, log *slog.Logger) (_ *app, err error) {
	// a is not the named result: every failure returns a nil *app, and the
	// deferred clean-up must still see what was opened (a named result would
	// be nil by then and close() would panic).
	a := &app{cfg: cfg, log: log, registry: execute.NewRegistry()}
	defer func() {
		if err != nil {
			a.close()
		}
	}()
	if a.rt, err = newRuntime(ctx, cfg, log); err != nil {
		return nil, err
	}
	a.closers = append(a.closers, func() { a.rt.Close() })
	if a.exec, err = newExecService(a.rt, cfg, log); err != nil {
		return nil, err
	}
	if a.wasm, err = newWasm(ctx, a.rt, cfg); err != nil {
		return nil, err
	}
	if a.wasm != nil {
		a.exec.WithWasm(a.wasm)
		a.closers = append(a.closers, func() { a.wasm.Runner.Close(context.Background()) })
	}
	if a.ctrs, err = openContainers(ctx, cfg, log); err != nil {
		return nil, err
	}
	for _, c := range a.ctrs {
		a.closers = append(a.closers, func() { c.rt.Close() })
	}
	a.exec.WithEnvironments(execEnvs(a.ctrs))
	if err := a.openRedis(ctx); err != nil {
		return nil, err
	}
	if err := a.openStore(ctx); err != nil {
		return nil, err
	}
	sessionKey, err := a.sessionKey()
	if err != nil {
		return nil, err
	}
	authn, err := auth.New(ctx, auth.Config{
		HS256Secret: cfg.Auth.HS256Secret, PublicKeyFile: cfg.Auth.PublicKeyFile, JWKSURL: cfg.Auth.JWKSURL,
		Issuer: cfg.Auth.Issuer, Audience: cfg.Auth.Audience, RoleClaim: cfg.Auth.RoleClaim,
		AllowAnonymous: cfg.Auth.AllowAnonymous, TrustedProxies: cfg.Auth.TrustedProxies, Leeway: 30 * time.Second,
		SessionKey: sessionKey,
	})
	if err != nil {
		return nil, err
	}
	if a.lessons, err = content.NewLibrary(cfg.ContentDir, log, content.Options{MaxTimeout: int(cfg.Limits.MaxTimeout.Duration / time.Second)}); err != nil {
		return nil, fmt.Errorf("content dir: %w", err)
	}
	val, err := validate.New(validate.Options{
		Runtime: a.rt, Languages: cfg.Languages,
		DefaultPolicy: cfg.Validation.DefaultPolicy, MaxCodeBytes: cfg.MaxCodeBytes,
	})
	if err != nil {
		return nil, err
	}
	a.rt.AddPool(val.CheckerPool(warmCheckers))
	a.closers = append(a.closers, val.Close)
	if cfg.Validation.ExecutePolicy != "off" {
		a.exec.WithValidator(val, cfg.Validation.ExecutePolicy)
	} else {
		a.exec.WithStarter(val)
	}
	a.exec.WithRecorder(a.store)
	ui, browser, err := newUI(cfg, log)
	if err != nil {
		return nil, err
	}
	envs := catalog.New(a.rt, a.rt.Check, a.rt.Describe(), cfg.Languages, cfg.SandboxLimits()).WithBrowser(browser).WithContainers(catalogEnvs(a.ctrs))
	if a.wasm != nil {
		envs.WithWasm(a.wasm)
	}
	deps := httpapi.Deps{
		Exec: a.exec, Registry: a.registry, Auth: authn, Validator: val, Store: a.store, Content: a.lessons,
		Environments: envs,
		CORS:         httpapi.CORS{AllowedOrigins: cfg.CORS.AllowedOrigins, AllowCredentials: cfg.CORS.AllowCredentials},
		Logger:       log,
		MaxBodyBytes: int64(4*(cfg.MaxCodeBytes+cfg.MaxStdinBytes) + 16<<10),
		Ready:        a.ready,
		UI:           ui,
	}
	if a.relay != nil {
		deps.Relay = a.relay
	}
	if a.wasm != nil {
		deps.Wasm = a.wasm
	}
	if deps.Exercises, err = newExercises(a.exec, a.store, log); err != nil {
		return nil, err
	}
	if a.api, err = httpapi.NewServer(deps); err != nil {
		return nil, err
	}
	return a, nil
}

// sessionKey signs anonymous browsers' sessions: the configured key, or one
// generated once and kept in the data dir so that a restart keeps them.
func (a *app) sessionKey() ([]byte, error) {
	if !a.cfg.Auth.AllowAnonymous {
		return nil, nil
	}
	if k := a.cfg.Auth.SessionKey; k != "" {
		return []byte(k), nil
	}
	if a.cfg.Store.PostgresDSN != "" || a.cfg.RedisURL != "" {
		a.log.Warn("auth.session_key is not set: this replica signs anonymous sessions with its own key; replicas behind one balancer must share one")
	}
	key, err := auth.LoadOrCreateSessionKey(filepath.Join(a.cfg.DataDir, "session.key"))
	if err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	return key, nil
}

func (a *app) openRedis(ctx context.Context) error {
	if a.cfg.RedisURL == "" {
		a.exec.WithLimiter(ratelimit.NewMemory())
		return nil
	}
	opts, err := redis.ParseURL(a.cfg.RedisURL)
	if err != nil {
		return fmt.Errorf("redis_url: %w", err)
	}
	// Fail fast when Redis is down: a decision must not hang a run.
	opts.MaxRetries, opts.DialTimeout, opts.ReadTimeout, opts.WriteTimeout = 1, time.Second, time.Second, time.Second
	// go-redis also retries a failed dial 5 times 100 ms apart inside every
	// command attempt; with Redis down that made each run wait seconds for
	// quota checks that were bound to fail. One dial per attempt.
	opts.DialerRetries = 1
	// go-redis writes its own complaints (failed dials...) with the standard
	// library logger, bypassing the configured format (json); route them
	// through slog. The logger is process-wide, hence once.
	redisLogOnce.Do(func() { redis.SetLogger(redisLogger{a.log}) })
	a.redis = redis.NewClient(opts)
	a.closers = append(a.closers, func() { a.redis.Close() })
	if a.cfg.LimiterBackend() == "redis" {
		a.exec.WithLimiter(ratelimit.NewRedis(a.redis, ""))
	} else {
		a.exec.WithLimiter(ratelimit.NewMemory())
	}
	a.relay = relay.New(a.redis, a.registry, a.log)
	a.registry.Mirror = a.relay
	if err := a.redis.Ping(ctx).Err(); err != nil {
		a.log.Error("redis unreachable at start-up; runs are refused until it answers", "err", err)
	}
	return nil
}

var redisLogOnce sync.Once

// redisLogger adapts slog to go-redis's internal logging.
type redisLogger struct{ log *slog.Logger }

func (l redisLogger) Printf(ctx context.Context, format string, v ...any) {
	l.log.WarnContext(ctx, strings.TrimPrefix(fmt.Sprintf(format, v...), "redis: "), "component", "redis")
}

func (a *app) openStore(ctx context.Context) error {
	var err error
	if dsn := a.cfg.Store.PostgresDSN; dsn != "" {
		a.store, err = postgres.New(ctx, dsn)
	} else {
		a.store, err = sqlite.New(ctx, filepath.Join(a.cfg.DataDir, "runblock.db"))
	}
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	a.closers = append(a.closers, func() { a.store.Close() })
	// Runs that were going when a previous server died: with SQLite this
	// server is the only writer; with a shared Postgres, only rows older
	// than any run can last, so live runs of other replicas are untouched.
	cutoff := time.Now()
	if a.cfg.Store.PostgresDSN != "" {
		cutoff = cutoff.Add(-a.staleAfter())
	}
	if n, err := a.store.MarkInterrupted(ctx, cutoff); err != nil {
		return fmt.Errorf("store: %w", err)
	} else if n > 0 {
		a.log.Warn("marked runs of a previous server as interrupted", "count", n)
	}
	return nil
}

func (a *app) staleAfter() time.Duration {
	return a.cfg.Limits.MaxTimeout.Duration + a.cfg.QueueWait.Duration + 2*time.Minute
}

// background runs the relay, content reloads and history upkeep until ctx ends.
func (a *app) background(ctx context.Context) {
	go a.lessons.Watch(ctx, 2*time.Second)
	// SIGHUP reloads the lessons at once, without waiting for the poll. It
	// is only caught while serving: otherwise its default action (exit)
	// would take the server down when an operator asks for a reload.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	go func() {
		defer signal.Stop(hup)
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				a.log.Info("SIGHUP: reloading content")
				a.lessons.Reload()
			}
		}
	}()
	if a.relay != nil {
		go func() {
			for ctx.Err() == nil {
				if err := a.relay.Run(ctx, nil); err != nil {
					a.log.Error("relay stopped; retrying", "err", err)
				}
				select {
				case <-ctx.Done():
				case <-time.After(time.Second):
				}
			}
		}()
	}
	go func() {
		t := time.NewTicker(10 * time.Minute)
		defer t.Stop()
		for {
			a.upkeep(ctx)
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
}

func (a *app) upkeep(ctx context.Context) {
	if r := a.cfg.Store.Retention.Duration; r > 0 {
		if n, err := a.store.Prune(ctx, time.Now().Add(-r)); err != nil {
			// A prune cut short by shutdown is not an error worth reporting.
			if ctx.Err() == nil {
				a.log.Error("pruning history", "err", err)
			}
		} else if n > 0 {
			a.log.Info("pruned old runs", "count", n)
		}
	}
	if a.cfg.Store.PostgresDSN != "" {
		if _, err := a.store.MarkInterrupted(ctx, time.Now().Add(-a.staleAfter())); err != nil && ctx.Err() == nil {
			a.log.Error("marking stale runs", "err", err)
		}
	}
}

// ready: the sandbox works, the store answers, and Redis (when used)
// answers. With rate_limit.fail_open a Redis outage leaves the server ready
// but degraded: taking every replica out of the balancer would defeat the
// choice to keep serving.
func (a *app) ready(ctx context.Context) ([]string, error) {
	var degraded []string
	var errs []error
	if !a.sandboxReady(ctx) {
		errs = append(errs, errors.New("sandbox check failed"))
	}
	if err := a.store.Ping(ctx); err != nil {
		errs = append(errs, fmt.Errorf("store: %w", err))
	}
	if a.redis != nil {
		if err := a.redis.Ping(ctx).Err(); err != nil {
			if a.cfg.RateLimit.FailOpen {
				degraded = append(degraded, "redis: "+err.Error()+" (runs admitted without quotas: fail_open; input to runs on other replicas fails)")
			} else {
				errs = append(errs, fmt.Errorf("redis: %w", err))
			}
		}
	}
	degraded = append(degraded, containersReady(ctx, a.ctrs)...)
	return degraded, errors.Join(errs...)
}

// sandboxReady runs a real probe, at most every few seconds: load
// balancers poll /readyz often, and each probe starts a sandbox.
func (a *app) sandboxReady(ctx context.Context) bool {
	a.readyMu.Lock()
	defer a.readyMu.Unlock()
	if time.Since(a.readyAt) > 3*time.Second {
		r := a.rt.Check(ctx)
		a.readyOK, a.readyAt = r.Strong || a.cfg.Sandbox.AllowWeak, time.Now()
	}
	return a.readyOK
}

func (a *app) close() {
	for i := len(a.closers) - 1; i >= 0; i-- {
		a.closers[i]()
	}
}
