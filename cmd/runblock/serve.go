package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/runblock/runblock/internal/sandbox"
	"github.com/runblock/runblock/internal/sandbox/hostproc"
)

func serveCmd(ctx context.Context, args []string, env envFunc, stdout, stderr io.Writer) error {
	cfg, _, err := loadConfig("serve", args, env, stderr, nil)
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	// Only a server keeps many runs in flight; see CoarsenTimerSlack.
	if err := hostproc.CoarsenTimerSlack(hostproc.ServerTimerSlack); err != nil {
		log.Debug("server threads keep their timer slack", "err", err)
	}
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return fmt.Errorf("data dir %s: %w", cfg.DataDir, err)
	}
	a, err := newApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.close()
	rep := a.rt.Check(ctx)
	if !rep.Strong {
		if !cfg.Sandbox.AllowWeak {
			return fmt.Errorf("refusing to serve: the sandbox can't isolate code on this host (run `runblock check`; --allow-weak-sandbox overrides, never in production)")
		}
		log.Warn("serving with a WEAK sandbox", "report", rep.Items)
	}
	if err := a.exec.Prewarm(); err != nil {
		log.Warn("warm sandboxes start at the first run instead", "err", err)
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	// Runs and streams hang off baseCtx; cancelling it on shutdown kills
	// running sandboxes instead of waiting for them to time out.
	baseCtx, cancelRuns := context.WithCancel(context.Background())
	defer cancelRuns()
	a.background(baseCtx)
	srv := &http.Server{
		Handler:           a.api,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return baseCtx },
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	fmt.Fprintf(stdout, "runblock listening on http://%s (sandbox %s)\n", ln.Addr(), a.rt.Describe())
	log.Info("serving", "addr", ln.Addr().String(), "data_dir", cfg.DataDir, "strong_sandbox", rep.Strong)

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	cancelRuns()
	shutCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout.Duration)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// printReport writes a check report for people.
func printReport(w io.Writer, rep sandbox.Report) {
	for _, it := range rep.Items {
		mark := "ok  "
		if !it.OK {
			mark = "FAIL"
			if !it.Required {
				mark = "warn"
			}
		}
		fmt.Fprintf(w, "%s %-18s %s\n", mark, it.Name, it.Detail)
	}
	if rep.Strong {
		fmt.Fprintf(w, "sandbox %s: isolation is complete\n", rep.Runtime)
	} else {
		fmt.Fprintf(w, "sandbox %s: isolation is INCOMPLETE; runblock serve will refuse to start\n", rep.Runtime)
	}
}
