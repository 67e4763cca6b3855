package container

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/runblock/runblock/internal/sandbox"
)

// Labels on every container runblock creates.
const (
	LabelManaged = "runblock.managed"
	LabelOwner   = "runblock.owner"
)

// Runtime runs programs in containers of one image.
type Runtime struct {
	cfg   Config
	api   *client.Client
	log   *slog.Logger
	slots chan struct{}
	// seccomp is the profile JSON sent with every container.
	seccomp string
	eng     engine
	live    sync.Map // container id → struct{}: what the janitor must leave alone

	warm   *warmPool
	stop   context.CancelFunc
	closed sync.WaitGroup
	// removing counts removals running in the background, which Close
	// waits for: a container left behind outlives its server.
	removing sync.WaitGroup
}

var _ sandbox.Runtime = (*Runtime)(nil)

// New connects to the engine and removes the containers a previous instance
// with the same owner left behind (a kill -9 gives it no chance to). The
// engine may be down: runs then fail with ErrUnavailable until it is back.
func New(ctx context.Context, cfg Config) (*Runtime, error) {
	if err := cfg.fill(); err != nil {
		return nil, err
	}
	api, err := client.New(client.WithHost(cfg.Host), client.WithAPIVersionNegotiation())
	if err != nil {
		return nil, fmt.Errorf("container: %w", err)
	}
	r := &Runtime{cfg: cfg, api: api, log: cfg.Logger, slots: make(chan struct{}, cfg.Slots), seccomp: seccompProfile()}
	if err := r.Sweep(ctx, 0); err != nil {
		r.log.Warn("container: start-up sweep failed", "err", err)
	}
	bg, stop := context.WithCancel(context.Background())
	r.stop = stop
	r.closed.Add(1)
	go func() { defer r.closed.Done(); r.janitor(bg) }()
	if cfg.Warm > 0 {
		r.warm = newWarmPool(r, cfg.Warm)
		r.closed.Add(1)
		go func() { defer r.closed.Done(); r.warm.fill(bg) }()
	}
	return r, nil
}

// Close stops the pool and the janitor and removes the warm containers.
func (r *Runtime) Close() error {
	r.stop()
	r.closed.Wait()
	if r.warm != nil {
		r.warm.drain()
	}
	r.removing.Wait()
	return r.api.Close()
}

// Describe names the runtime for people.
func (r *Runtime) Describe() string {
	d := "container (" + r.cfg.Image
	if r.cfg.OCIRuntime != "" {
		d += ", " + r.cfg.OCIRuntime
	}
	return d + ")"
}

// ErrUnavailable wraps failures to reach the engine: the caller answers 503.
var ErrUnavailable = sandbox.ErrUnavailable

func unavailable(err error) error {
	return fmt.Errorf("%w: container engine unreachable: %v", ErrUnavailable, err)
}

// Run runs the program in a warm container when one fits the request, else
// in a new one.
func (r *Runtime) Run(ctx context.Context, req sandbox.Request) (sandbox.Result, error) {
	if len(req.Language.Run) == 0 {
		return sandbox.Result{}, errors.New("container: language has no run command")
	}
	if len(req.Language.Compile) > 0 {
		return sandbox.Result{}, errors.New("container: compile steps are not supported; put the build in the run command")
	}
	limits := req.Limits.Merge(r.cfg.Defaults)
	nonce := newNonce()
	files, err := encodeFiles(req.Language, req.Files, nonce)
	if err != nil {
		return sandbox.Result{}, err
	}
	if c := r.warm.take(req.Language, limits); c != nil {
		return r.finish(ctx, c, files, nonce, req, limits)
	}
	select {
	case r.slots <- struct{}{}:
	default:
		return sandbox.Result{}, sandbox.ErrBusy
	}
	c, err := r.start(ctx, req.Language, limits)
	if err != nil {
		<-r.slots
		if ctx.Err() != nil {
			// Stopped while the container was being set up.
			return sandbox.Result{Status: sandbox.StatusCancelled, Stage: sandbox.StageRun, ExitCode: -1, Limits: limits}, nil
		}
		return sandbox.Result{}, err
	}
	return r.finish(ctx, c, files, nonce, req, limits)
}

// running is a started container waiting for its files on stdin.
type running struct {
	id     string
	lang   sandbox.Language
	limits sandbox.Limits
	conn   client.HijackedResponse
	// frames is the demultiplexed output, read from the moment of attach
	// so nothing is lost; a warm container writes nothing before its files.
	out, errOut *switchWriter
	copied      chan error
}

// start creates, attaches and starts a container (one slot held).
func (r *Runtime) start(ctx context.Context, lang sandbox.Language, limits sandbox.Limits) (*running, error) {
	sec, err := r.securityOpt(ctx)
	if err != nil {
		return nil, err
	}
	cfg, host := r.spec(lang, limits, sec)
	created, err := r.api.ContainerCreate(ctx, client.ContainerCreateOptions{Config: cfg, HostConfig: host, Image: r.cfg.Image})
	if err != nil {
		return nil, r.engineErr("create", err)
	}
	c := &running{id: created.ID, lang: lang, limits: limits}
	r.live.Store(c.id, struct{}{})
	fail := func(what string, err error) (*running, error) {
		r.remove(c.id)
		return nil, r.engineErr(what, err)
	}
	if r.cfg.OCIRuntime != "" {
		if err := r.checkOCIRuntime(ctx, c.id); err != nil {
			r.remove(c.id)
			return nil, err
		}
	}
	att, err := r.api.ContainerAttach(ctx, c.id, client.ContainerAttachOptions{Stream: true, Stdin: true, Stdout: true, Stderr: true})
	if err != nil {
		return fail("attach", err)
	}
	c.conn = att.HijackedResponse
	c.out, c.errOut = &switchWriter{}, &switchWriter{}
	c.copied = make(chan error, 1)
	go func() { c.copied <- demux(c.out, c.errOut, c.conn.Reader) }()
	if _, err := r.api.ContainerStart(ctx, c.id, client.ContainerStartOptions{}); err != nil {
		c.conn.Close()
		return fail("start", err)
	}
	return c, nil
}

// spec is the container: no network, read-only root, size-capped /tmp and
// /box, no capabilities, no new privileges, a non-root user, the engine's
// seccomp profile replaced by runblock's allowlist, and the run's memory (no swap), CPU and pids.
func (r *Runtime) spec(lang sandbox.Language, l sandbox.Limits, seccomp string) (*container.Config, *container.HostConfig) {
	pids := int64(l.Pids)
	tmpfs := fmt.Sprintf("rw,nosuid,nodev,size=%d,mode=1777", l.TmpBytes)
	cfg := &container.Config{
		User:            r.cfg.User,
		Cmd:             bootArgv(lang.Run),
		Entrypoint:      []string{},
		WorkingDir:      "/box",
		Hostname:        "runblock",
		Env:             []string{"HOME=/tmp", "TMPDIR=/tmp", "LANG=C.UTF-8", "PYTHONUNBUFFERED=1", "PYTHONDONTWRITEBYTECODE=1", "PATH=/usr/local/bin:/usr/bin:/bin"},
		OpenStdin:       true,
		StdinOnce:       true,
		AttachStdin:     true,
		AttachStdout:    true,
		AttachStderr:    true,
		NetworkDisabled: true,
		Labels:          map[string]string{LabelManaged: "1", LabelOwner: r.cfg.Owner},
	}
	host := &container.HostConfig{
		NetworkMode:    "none",
		ReadonlyRootfs: true,
		Tmpfs:          map[string]string{"/tmp": tmpfs, "/box": tmpfs, "/dev/shm": tmpfs},
		CapDrop:        []string{"ALL"},
		SecurityOpt:    []string{"no-new-privileges", seccomp},
		IpcMode:        container.IPCModePrivate,
		Runtime:        r.cfg.OCIRuntime,
		Resources: container.Resources{
			Memory:     l.MemoryBytes,
			MemorySwap: l.MemoryBytes, // equal: no swap
			NanoCPUs:   int64(l.CPUs * 1e9),
			PidsLimit:  &pids,
			// Engines raise these to their own defaults, above what a
			// non-root server may set; the pids cgroup is the real bound.
			Ulimits: []*container.Ulimit{
				{Name: "nofile", Soft: 1024, Hard: 1024},
				{Name: "nproc", Soft: 4096, Hard: 4096},
				{Name: "fsize", Soft: l.FileBytes, Hard: l.FileBytes},
				{Name: "core", Soft: 0, Hard: 0},
			},
		},
	}
	return cfg, host
}

// finish sends the files, streams the run and removes the container.
func (r *Runtime) finish(ctx context.Context, c *running, files []byte, nonce string, req sandbox.Request, limits sandbox.Limits) (sandbox.Result, error) {
	defer func() {
		c.conn.Close()
		r.removeLater(c.id)
	}()
	out := sandbox.NewOutputCap(limits.OutputChars)
	stdout, stderr := out.Writer(req.Stdout), out.Writer(req.Stderr)
	trailer := newTrailerWriter(stderr, nonce)
	c.out.set(stdout)
	c.errOut.set(trailer)

	start := time.Now()
	if _, err := c.conn.Conn.Write(files); err != nil {
		return sandbox.Result{}, unavailable(fmt.Errorf("send code: %w", err))
	}
	go func() {
		if req.Stdin != nil {
			io.Copy(c.conn.Conn, req.Stdin)
		}
		c.conn.CloseWrite()
	}()

	wall := time.NewTimer(limits.WallTime)
	defer wall.Stop()
	var status sandbox.Status
	ended := false
	select {
	case <-c.copied:
		ended = true
	case <-wall.C:
		status = sandbox.StatusTimeout
	case <-ctx.Done():
		status = sandbox.StatusCancelled
	case <-out.Flooded():
	}
	if !ended {
		r.kill(c.id)
		// The stream ends once the container is gone.
		select {
		case <-c.copied:
		case <-time.After(10 * time.Second):
			r.log.Warn("container: output did not end after kill", "id", c.id)
		}
	}
	stdout.Flush()
	rep := trailer.finish()
	stderr.Flush()
	res := sandbox.Result{Stage: sandbox.StageRun, Limits: limits, WallTime: time.Since(start), Truncated: out.Truncated()}
	if status != "" {
		res.Status, res.ExitCode, res.Signal = status, -1, "SIGKILL"
		return res, nil
	}
	if !rep.ok {
		// The boot script itself died (the flood kill, or the engine):
		// ask the engine how.
		ins, err := r.api.ContainerInspect(context.WithoutCancel(ctx), c.id, client.ContainerInspectOptions{})
		if err != nil {
			return sandbox.Result{}, r.engineErr("inspect", err)
		}
		st := ins.Container.State
		res.ExitCode = st.ExitCode
		res.OOMKilled = st.OOMKilled
	} else {
		res.ExitCode = rep.exitCode
		res.MemoryPeak = rep.memPeak
		res.CPUTime = time.Duration(rep.cpuNanos)
		res.OOMKilled = rep.oomKills > 0
	}
	if res.ExitCode > 128 {
		res.Signal = signalName(res.ExitCode - 128)
		res.ExitCode = -1
	}
	switch {
	case res.OOMKilled:
		res.Status = sandbox.StatusMemoryLimit
	case res.ExitCode == 0 && rep.ok:
		res.Status = sandbox.StatusSuccess
	default:
		res.Status = sandbox.StatusError
	}
	return res, nil
}

// kill stops a container at once; removal follows in the background.
func (r *Runtime) kill(id string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, _ = r.api.ContainerKill(ctx, id, client.ContainerKillOptions{Signal: "KILL"})
}

// removeLater removes a container off the run's path and then frees its
// slot.
func (r *Runtime) removeLater(id string) {
	r.removing.Add(1)
	go func() {
		defer r.removing.Done()
		r.remove(id)
		<-r.slots
	}()
}

// remove deletes a container and everything in it.
func (r *Runtime) remove(id string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := r.api.ContainerRemove(ctx, id, client.ContainerRemoveOptions{Force: true}); err != nil && !cerrdefs.IsNotFound(err) {
		r.log.Warn("container: remove failed (the janitor retries)", "id", id, "err", err)
		return
	}
	r.live.Delete(id)
}

// engineErr marks connection failures as the engine being unavailable;
// other engine errors (no such image, ...) stay as they are.
func (r *Runtime) engineErr(what string, err error) error {
	if client.IsErrConnectionFailed(err) {
		return unavailable(err)
	}
	if what == "create" && cerrdefs.IsNotFound(err) {
		return fmt.Errorf("%w: image %s is not on the engine (pull or build it first)", ErrUnavailable, r.cfg.Image)
	}
	return fmt.Errorf("container: %s: %w", what, err)
}
