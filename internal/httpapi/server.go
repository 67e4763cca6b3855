// Package httpapi is runblock's HTTP interface: routes, JSON encoding, and
// the one place where error kinds become HTTP statuses.
package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/runblock/runblock/internal/auth"
	"github.com/runblock/runblock/internal/catalog"
	"github.com/runblock/runblock/internal/content"
	"github.com/runblock/runblock/internal/execute"
	"github.com/runblock/runblock/internal/exercise"
	"github.com/runblock/runblock/internal/store"
)

// Deps are what the handlers need. Ready reports whether the server can take
// runs (sandbox usable, store reachable; an error means not ready) and what
// works in a degraded way (ready, but an operator should know); nil means
// always ready.
type Deps struct {
	Exec         *execute.Service
	Registry     *execute.Registry // live runs on this replica; made when nil
	Auth         Authenticator     // nil: everyone is one anonymous user
	Relay        Relay             // nil: single replica
	Validator    execute.Validator // nil: POST /validate answers 404
	Store        store.Store       // history and stats; nil: none
	Content      Lessons           // nil: no lessons
	Exercises    *exercise.Service // nil: POST /submit answers 404
	Environments Environments
	Wasm         WasmModules // nil: no wasm environment
	CORS         CORS
	Ready        func(ctx context.Context) (degraded []string, err error)
	// UI answers every path the API does not (the learner's page); nil
	// leaves them to the mux's 404. It runs inside the same middleware, so
	// pages carry the same isolation headers as the API.
	UI           http.Handler
	Logger       *slog.Logger
	MaxBodyBytes int64
	// StreamWriteTimeout bounds each write to an SSE client; a client that
	// does not take a write within it is dropped and its run cancelled.
	// Zero: 10 s.
	StreamWriteTimeout time.Duration
}

// Authenticator tells who is calling.
type Authenticator interface {
	Authenticate(r *http.Request) (auth.Identity, error)
}

// Lessons is the current content catalog.
type Lessons interface{ Current() *content.Catalog }

// Environments lists the execution environments.
type Environments interface {
	Environments(ctx context.Context) []catalog.Environment
}

// Relay forwards input and cancellation to the replica that holds a run.
type Relay interface {
	Input(ctx context.Context, id, owner string, data []byte, eof bool) error
	Cancel(ctx context.Context, id, owner string) error
}

// Server holds the handlers' dependencies.
type Server struct {
	Deps
	mux     *http.ServeMux
	metrics *metrics
}

// NewServer returns the API as an http.Handler.
func NewServer(d Deps) (*Server, error) {
	if d.Exec == nil {
		return nil, errors.New("httpapi: nil execute service")
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Registry == nil {
		d.Registry = execute.NewRegistry()
	}
	// The service registers the runs it starts; input and Stop find them here.
	d.Exec.WithRegistry(d.Registry)
	if d.MaxBodyBytes <= 0 {
		d.MaxBodyBytes = 1 << 20
	}
	if d.StreamWriteTimeout <= 0 {
		d.StreamWriteTimeout = defaultStreamWriteTimeout
	}
	s := &Server{Deps: d, mux: http.NewServeMux(), metrics: newMetrics(d.Exec)}
	if d.Wasm != nil {
		s.metrics.wasm(d.Wasm)
	}
	s.routes()
	return s, nil
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.middleware(s.mux).ServeHTTP(w, r)
}
