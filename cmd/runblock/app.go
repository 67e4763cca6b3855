package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
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
	"github.com/runblock/runblock/internal/sandbox"
	"github.com/runblock/runblock/internal/sandbox/bwrap"
	"github.com/runblock/runblock/internal/store"
	"github.com/runblock/runblock/internal/store/postgres"
	"github.com/runblock/runblock/internal/store/sqlite"
	"github.com/runblock/runblock/internal/validate"
)

// app is everything `serve` wires together from the configuration.
type app struct {
	cfg      config.Config
	log      *slog.Logger
	rt       *bwrap.Runtime
	exec     *execute.Service
	store    store.Store
	redis    *redis.Client
	relay    *relay.Redis
	lessons  *content.Library
	registry *execute.Registry
	api      *httpapi.Server
	closers  []func()
}

func newApp(ctx context.Context, cfg config.Config, log *slog.Logger) (a *app, err error) {
	a = &app{cfg: cfg, log: log, registry: execute.NewRegistry()}
	defer func() {
		if err != nil {
			a.close()
		}
	}()
	if a.rt, err = newRuntime(ctx, cfg, log); err != nil {
		return nil, err
	}
	if a.exec, err = newExecService(a.rt, cfg, log); err != nil {
		return nil, err
	}
	authn, err := auth.New(ctx, auth.Config{
		HS256Secret: cfg.Auth.HS256Secret, PublicKeyFile: cfg.Auth.PublicKeyFile, JWKSURL: cfg.Auth.JWKSURL,
		Issuer: cfg.Auth.Issuer, Audience: cfg.Auth.Audience, RoleClaim: cfg.Auth.RoleClaim,
		AllowAnonymous: cfg.Auth.AllowAnonymous, TrustedProxies: cfg.Auth.TrustedProxies, Leeway: 30 * time.Second,
	})
	if err != nil {
		return nil, err
	}
	if err := a.openRedis(ctx); err != nil {
		return nil, err
	}
	if err := a.openStore(ctx); err != nil {
		return nil, err
	}
	if a.lessons, err = content.NewLibrary(cfg.ContentDir, log); err != nil {
		return nil, fmt.Errorf("content dir: %w", err)
	}
	val, err := validate.New(validate.Options{
		Runtime: a.rt, PythonPath: cfg.Languages["python"].Run[0],
		DefaultPolicy: cfg.Validation.DefaultPolicy, MaxCodeBytes: cfg.MaxCodeBytes,
	})
	if err != nil {
		return nil, err
	}
	if cfg.Validation.ExecutePolicy != "off" {
		a.exec.WithValidator(val, cfg.Validation.ExecutePolicy)
	}
	a.exec.WithRecorder(a.store)
	deps := httpapi.Deps{
		Exec: a.exec, Registry: a.registry, Auth: authn, Validator: val, Store: a.store, Content: a.lessons,
		Environments: catalog.New(a.rt, a.rt.Check, "bwrap (cgroups "+a.rt.Mode()+")", cfg.Languages, cfg.SandboxLimits()),
		CORS:         httpapi.CORS{AllowedOrigins: cfg.CORS.AllowedOrigins, AllowCredentials: cfg.CORS.AllowCredentials},
		Logger:       log,
		MaxBodyBytes: int64(4*(cfg.MaxCodeBytes+cfg.MaxStdinBytes) + 16<<10),
		Ready:        a.ready,
	}
	if a.relay != nil {
		deps.Relay = a.relay
	}
	if a.api, err = httpapi.NewServer(deps); err != nil {
		return nil, err
	}
	return a, nil
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
	return time.Duration(a.cfg.Limits.MaxTimeoutSecs)*time.Second + a.cfg.QueueWait.Duration + 2*time.Minute
}

// background runs the relay, content reloads and history upkeep until ctx ends.
func (a *app) background(ctx context.Context) {
	go a.lessons.Watch(ctx, 2*time.Second)
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
			a.log.Error("pruning history", "err", err)
		} else if n > 0 {
			a.log.Info("pruned old runs", "count", n)
		}
	}
	if a.cfg.Store.PostgresDSN != "" {
		if _, err := a.store.MarkInterrupted(ctx, time.Now().Add(-a.staleAfter())); err != nil {
			a.log.Error("marking stale runs", "err", err)
		}
	}
}

// ready: the sandbox works, the store answers, and Redis (when used) answers.
func (a *app) ready(ctx context.Context) error {
	var errs []error
	if r := a.rt.Check(ctx); !r.Strong && !a.cfg.Sandbox.AllowWeak {
		errs = append(errs, errors.New("sandbox check failed"))
	}
	if err := a.store.Ping(ctx); err != nil {
		errs = append(errs, fmt.Errorf("store: %w", err))
	}
	if a.redis != nil {
		if err := a.redis.Ping(ctx).Err(); err != nil {
			errs = append(errs, fmt.Errorf("redis: %w", err))
		}
	}
	return errors.Join(errs...)
}

func (a *app) close() {
	for i := len(a.closers) - 1; i >= 0; i-- {
		a.closers[i]()
	}
}

var _ sandbox.Checker = (*bwrap.Runtime)(nil)
