package main

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"time"

	"github.com/runblock/runblock/internal/catalog"
	"github.com/runblock/runblock/internal/config"
	"github.com/runblock/runblock/internal/execute"
	"github.com/runblock/runblock/internal/sandbox/container"
)

// containerEnv is one configured container environment, opened.
type containerEnv struct {
	id  string
	env config.ContainerEnv
	rt  *container.Runtime
}

// openContainers starts one container runtime per configured environment.
// An engine that is down does not stop the server: those environments
// answer 503 and say why in /environments and /readyz until it is back.
func openContainers(ctx context.Context, cfg config.Config, log *slog.Logger) ([]containerEnv, error) {
	ct := cfg.Containers
	if ct.Engine == "" {
		return nil, nil
	}
	warm := 2
	if ct.Warm != nil {
		warm = *ct.Warm
	}
	owner := ct.Owner
	if owner == "" {
		owner = "runblock"
	}
	ids := make([]string, 0, len(ct.Environments))
	for id := range ct.Environments {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var out []containerEnv
	for _, id := range ids {
		env := ct.Environments[id]
		w := 0 // the pool holds python containers
		if _, ok := env.Languages["python"]; ok {
			w = warm
		}
		host := ct.Engine
		if env.Engine != "" {
			host = env.Engine
		}
		rt, err := container.New(ctx, container.Config{
			Host: host, Image: env.Image, OCIRuntime: env.OCIRuntime, User: env.User,
			// Per environment: each runtime's janitor removes what it
			// doesn't track among its owner's containers.
			Owner: owner + "." + id, Slots: ct.Slots,
			Warm: w, WarmLanguage: env.Languages["python"],
			Defaults: cfg.SandboxLimits(), Logger: log.With("environment", id),
		})
		if err != nil {
			for _, o := range out {
				o.rt.Close()
			}
			return nil, fmt.Errorf("containers.environments.%s: %w", id, err)
		}
		out = append(out, containerEnv{id: id, env: env, rt: rt})
	}
	return out, nil
}

func execEnvs(envs []containerEnv) map[string]execute.Env {
	m := map[string]execute.Env{}
	for _, e := range envs {
		m[e.id] = execute.Env{Runtime: e.rt, Langs: e.env.Languages}
	}
	return m
}

func catalogEnvs(envs []containerEnv) []catalog.ContainerEnv {
	var out []catalog.ContainerEnv
	for _, e := range envs {
		out = append(out, catalog.ContainerEnv{
			ID: e.id, Name: e.env.Name, Image: e.env.Image, OCIRuntime: e.env.OCIRuntime,
			Runtime: e.rt, Langs: e.env.Languages, Available: e.rt.Available,
		})
	}
	return out
}

// containersReady lists the container environments that can't run now:
// the server stays ready (its own sandbox works) but degraded.
func containersReady(ctx context.Context, envs []containerEnv) []string {
	var degraded []string
	for _, e := range envs {
		ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		err := e.rt.Available(ctx)
		cancel()
		if err != nil {
			degraded = append(degraded, "environment "+e.id+" unavailable: "+err.Error())
		}
	}
	return degraded
}
