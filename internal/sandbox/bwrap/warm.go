package bwrap

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/runblock/runblock/internal/sandbox"
	"github.com/runblock/runblock/internal/sandbox/cgroup"
)

var _ sandbox.Prestarter = (*Runtime)(nil)

// held is a prestarted sandbox: launched and released (the interpreter runs
// and blocks on its first byte of stdin), with its own uid, cgroup, /tmp and
// run directory, all used for one run and destroyed after it.
type held struct {
	ahead  // its uid and run directory
	lang   sandbox.Language
	limits sandbox.Limits
	pr     *proc
	out    *sandbox.OutputCap
	stdout *lateWriter
	stderr *lateWriter
	exited chan struct{}
	once   sync.Once
	used   bool
}

// Prestart implements sandbox.Prestarter. It never waits for a uid: a
// pool refills only when capacity is free.
func (r *Runtime) Prestart(ctx context.Context, req sandbox.Request, extraMemory int64) (sandbox.Held, error) {
	lang := req.Language
	if len(lang.Run) == 0 || len(lang.Compile) > 0 {
		return nil, errors.New("bwrap: prestart needs a run command and no compile step")
	}
	limits := req.Limits.Merge(r.cfg.Defaults)
	ab, err := r.setUpAhead(lang, req.Files)
	if err != nil {
		return nil, err
	}
	h := &held{ahead: ab, lang: lang, limits: limits, stdout: newLateWriter(), stderr: newLateWriter(), exited: make(chan struct{})}
	id := ab.id
	h.out = sandbox.NewOutputCap(limits.OutputChars)
	start := limits
	start.MemoryBytes += extraMemory
	// Starting up is the server's work, not the learner's: at full speed
	// (the learner's CPU quota applies from Go on), so a pool refills fast.
	start.CPUs = max(limits.CPUs, 1)
	// The learner's limits are what it may use; the wall limit of the whole
	// wait is the caller's to bound (it discards idle ones).
	start.WallTime = 24 * time.Hour
	// The figure channel must exist when the interpreter starts: its
	// sitecustomize reads RUNBLOCK_FIGURE_FD then, and a flavour that
	// imports matplotlib ahead picks its backend (MPLBACKEND) at that import.
	fig, err := r.openFigures(req.Images, limits)
	if err != nil {
		h.free()
		return nil, err
	}
	pr, err := r.launch(stageSpec{
		id: id + "-r", uid: ab.uid, dir: h.dir, argv: lang.Run, env: lang.Env, roPaths: lang.ReadOnlyPaths, limits: start,
		stdout: h.stdout, stderr: h.stderr, out: h.out, fig: fig,
	})
	if err != nil {
		fig.Close()
		h.free()
		return nil, err
	}
	h.pr = pr
	pr.release()
	go func() {
		// Noticed early, a sandbox that died while waiting is not handed out.
		pr.readers.Wait()
		close(h.exited)
	}()
	// Ready once the interpreter (and its libraries) are loaded: its start
	// must neither count in the run's time nor be measured half-way.
	select {
	case <-h.stderr.ready:
		return h, nil
	case <-h.exited:
		err = errors.New("bwrap: warm sandbox ended while starting")
	case <-ctx.Done():
		err = ctx.Err()
	case <-time.After(2 * time.Minute):
		err = errors.New("bwrap: warm sandbox not ready in 2 minutes")
	}
	h.Close()
	return nil, err
}

func (h *held) Done() <-chan struct{} { return h.exited }

// Go implements sandbox.Held.
func (h *held) Go(ctx context.Context, run sandbox.HeldRun) (sandbox.Result, error) {
	if h.used {
		return sandbox.Result{}, errors.New("bwrap: a prestarted sandbox runs once")
	}
	h.used = true
	fail := func(err error) (sandbox.Result, error) {
		h.Close()
		return sandbox.Result{}, err
	}
	for _, name := range run.Drop {
		if !plainName(name) {
			return fail(fmt.Errorf("bwrap: bad file name %q", name))
		}
		if err := os.Remove(filepath.Join(h.dir, name)); err != nil && !os.IsNotExist(err) {
			return fail(fmt.Errorf("bwrap: %w", err))
		}
	}
	if err := h.r.writeFiles(h.dir, h.uid, h.lang, run.Files); err != nil {
		return fail(err)
	}
	wall := run.Wall
	if wall <= 0 {
		wall = h.limits.WallTime
	}
	pr := h.pr
	if err := pr.rebase(h.limits, true); err != nil {
		return fail(err)
	}
	pr.fig.SetSink(run.Images)
	h.stdout.attach(h.out.Writer(run.Stdout))
	h.stderr.attach(h.out.Writer(run.Stderr))
	start := time.Now()
	go func() {
		// The go byte first, then the program's own input on the same pipe.
		if _, err := pr.inW.Write([]byte{'\n'}); err != nil {
			pr.inW.Close()
			return
		}
		pumpStdin(pr.inW, run.Stdin)
	}()
	res := pr.await(ctx, wall, start, h.out)
	// Every process is dead and the stats are read: removing the cgroup
	// and directory need not hold up the answer.
	go h.Close()
	res.Stage = sandbox.StageRun
	res.Limits = h.limits
	res.Limits.WallTime = wall
	res.Truncated = h.out.Truncated()
	return res, nil
}

// rebase restarts the accounting of a sandbox that was set up (or started)
// ahead: from here the program has its whole memory limit on top of what
// is in use, and its peak and CPU time count from zero. cpus also sets the
// CPU quota (a warm start ran at full speed).
func (pr *proc) rebase(l sandbox.Limits, cpus bool) error {
	rb, ok := pr.grp.(cgroup.Rebaser)
	if !ok {
		return nil
	}
	mem, cpu, err := rb.Now()
	if err != nil {
		return fmt.Errorf("bwrap: warm sandbox accounting: %w", err)
	}
	if err := rb.SetMemory(mem + l.MemoryBytes); err != nil {
		return fmt.Errorf("bwrap: warm sandbox limit: %w", err)
	}
	if cpus && l.CPUs > 0 {
		if err := rb.SetCPUs(l.CPUs); err != nil {
			return fmt.Errorf("bwrap: warm sandbox limit: %w", err)
		}
	}
	rb.ResetPeak()
	pr.base = cgroup.Stats{MemoryPeak: mem, CPUTime: cpu}
	return nil
}

// Close implements sandbox.Held.
func (h *held) Close() {
	h.once.Do(func() {
		if h.pr != nil {
			h.pr.close()
		}
		h.free()
	})
}

// ahead is a uid and run directory taken for a sandbox set up before its
// run exists (Prestart, Hold).
type ahead struct {
	r   *Runtime
	uid int
	id  string // the cgroup name stem (see cgroup.GroupName)
	dir string
}

// setUpAhead takes a free uid without waiting (a pool refills only when
// capacity is free) and makes its run directory, holding files.
func (r *Runtime) setUpAhead(lang sandbox.Language, files []sandbox.File) (ahead, error) {
	var a ahead
	select {
	case a.uid = <-r.slots:
	default:
		return a, fmt.Errorf("bwrap: no free uid to set a sandbox up ahead: %w", sandbox.ErrBusy)
	}
	a.r = r
	a.id = cgroup.GroupName(r.instance, newID())
	a.dir = filepath.Join(r.cfg.WorkDir, a.id)
	if err := r.prepareDir(a.dir, a.uid, lang, files); err != nil {
		a.free()
		return a, err
	}
	return a, nil
}

// free removes the run directory and gives the uid back.
func (a ahead) free() {
	_ = os.RemoveAll(a.dir)
	a.r.slots <- a.uid
}

// plainName is a file name of the run directory itself: no path.
func plainName(name string) bool {
	return name != "" && name == filepath.Base(name) && name != "." && name != ".."
}

// writeFiles puts files into a run directory, owned by the run's uid;
// an unnamed first file is the language's.
func (r *Runtime) writeFiles(dir string, uid int, lang sandbox.Language, files []sandbox.File) error {
	for i, f := range files {
		name := f.Name
		if name == "" && i == 0 {
			name = lang.FileName
		}
		if !plainName(name) {
			return fmt.Errorf("bwrap: bad file name %q", name)
		}
		p := filepath.Join(dir, name)
		mode := os.FileMode(0o600)
		if f.Executable {
			mode = 0o700
		}
		if err := writeNoFork(p, f.Content, mode); err != nil {
			return fmt.Errorf("bwrap: write %s: %w", name, err)
		}
		if err := os.Chown(p, uid, uid); err != nil {
			return fmt.Errorf("bwrap: chown %s: %w", name, err)
		}
	}
	return nil
}

// writeNoFork writes a file; an executable one while no fork can happen
// in this process. A process forked while the file is open for writing
// holds a copy of that descriptor until its exec closes it, and a sandbox
// exec'ing the file meanwhile (a cached binary, released the moment it is
// written) fails with ETXTBSY, "Text file busy" (golang/go#22315). Forks
// (os/exec) take syscall.ForkLock for writing.
func writeNoFork(path string, data []byte, mode os.FileMode) error {
	if mode&0o111 != 0 {
		syscall.ForkLock.RLock()
		defer syscall.ForkLock.RUnlock()
	}
	return os.WriteFile(path, data, mode)
}

// lateWriter drops what a waiting sandbox writes before its run exists
// (its ready byte; see validate's guard.py), noting the first write in
// ready, and passes on everything after attach.
type lateWriter struct {
	mu    sync.Mutex
	dst   io.Writer
	ready chan struct{}
	once  sync.Once
}

func newLateWriter() *lateWriter { return &lateWriter{ready: make(chan struct{})} }

func (l *lateWriter) attach(dst io.Writer) {
	l.mu.Lock()
	l.dst = dst
	l.mu.Unlock()
}

func (l *lateWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.dst == nil {
		l.once.Do(func() { close(l.ready) })
		return len(b), nil
	}
	return l.dst.Write(b)
}
