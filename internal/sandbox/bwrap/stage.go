package bwrap

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/runblock/runblock/internal/sandbox"
	"github.com/runblock/runblock/internal/sandbox/cgroup"
	"github.com/runblock/runblock/internal/sandbox/figure"
	"github.com/runblock/runblock/internal/sandbox/hostproc"
)

type stageSpec struct {
	id             string
	uid            int
	dir            string
	argv           []string
	env            map[string]string // the language's (see sandbox.Language.Env)
	roPaths        []string          // the language's extra read-only paths
	writable       bool
	limits         sandbox.Limits
	stdin          io.Reader
	stdout, stderr io.Writer
	out            *sandbox.OutputCap
	fig            *figure.Channel // nil: no figure channel (see figures.go)
	// after, when set, takes the stage's clean-up (removing its cgroup,
	// reaping its init) off the answer's path: stage returns once the
	// program's end is known and its stats are read, and the clean-up
	// runs on, counted in after.
	after *sync.WaitGroup
}

// pipes holds every descriptor of one stage so they are closed in one place.
type pipes struct{ files []*os.File }

func (p *pipes) pipe() (r, w *os.File, err error) {
	r, w, err = os.Pipe()
	if err == nil {
		p.files = append(p.files, r, w)
	}
	return
}

func (p *pipes) closeAll() {
	for _, f := range p.files {
		f.Close()
	}
}

type killReason int

const (
	notKilled killReason = iota
	killedTimeout
	killedCancel
	killedFlood
)

// stage runs one command in a fresh sandbox and cgroup and waits until every
// process it started is gone.
func (r *Runtime) stage(ctx context.Context, s stageSpec) (sandbox.Result, error) {
	pr, err := r.launch(s)
	if err != nil {
		return sandbox.Result{ExitCode: -1}, err
	}
	if s.after != nil {
		s.after.Add(1)
		defer func() { go func() { defer s.after.Done(); pr.close() }() }()
	} else {
		defer pr.close()
	}
	go pumpStdin(pr.inW, s.stdin)
	// Nothing of the learner's program has run before this byte is written.
	start := time.Now()
	pr.release()
	return pr.await(ctx, s.limits.WallTime, start, s.out), nil
}

// proc is one started sandbox: launch starts it held at bwrap's block fd,
// release lets it run, await waits for its end, close removes what is left.
type proc struct {
	r       *Runtime
	id      string
	cmd     *exec.Cmd
	waitCh  chan error
	grp     cgroup.Group
	pidfd   int
	pid     int
	p       pipes
	blW     *os.File
	inW     *os.File
	outR    *os.File
	errR    *os.File
	readers sync.WaitGroup
	base    cgroup.Stats // subtracted from the stats (a warm sandbox's start)
	// fig is the figure channel (nil without one); Finish's note on
	// dropped figures goes to stderr.
	fig    *figure.Channel
	stderr io.Writer
}

// launch starts s's command in a new sandbox and cgroup, held before the
// program starts (bwrap's block fd), with its output drained to s's writers.
func (r *Runtime) launch(s stageSpec) (_ *proc, err error) {
	pr := &proc{r: r, id: s.id, pidfd: -1, fig: s.fig, stderr: s.stderr}
	defer func() {
		if err != nil {
			pr.close()
		}
	}()
	if r.cg != nil {
		g, err := r.cg.Create(s.id, cgroup.Limits{MemoryBytes: s.limits.MemoryBytes, CPUs: s.limits.CPUs, Pids: s.limits.Pids})
		if err != nil {
			return nil, err
		}
		pr.grp = g
	}
	p := &pr.p
	secR, secW, err1 := p.pipe()
	stR, stW, err2 := p.pipe()
	blR, blW, err3 := p.pipe()
	inR, inW, err4 := p.pipe()
	outR, outW, err5 := p.pipe()
	errR, errW, err6 := p.pipe()
	argR, argW, err7 := p.pipe()
	if err := errors.Join(err1, err2, err3, err4, err5, err6, err7); err != nil {
		return nil, fmt.Errorf("bwrap: pipes: %w", err)
	}
	pr.blW, pr.inW, pr.outR, pr.errR = blW, inW, outR, errR
	// The filter is a few KB, far below the pipe buffer, so this can't block.
	if _, err := secW.Write(r.seccomp); err != nil {
		return nil, fmt.Errorf("bwrap: seccomp: %w", err)
	}
	secW.Close()

	// NUL-terminated arguments; a few KB, so the write can't block either.
	if _, err := argW.WriteString(strings.Join(r.args(s), "\x00") + "\x00"); err != nil {
		return nil, fmt.Errorf("bwrap: args: %w", err)
	}
	argW.Close()

	argv := []string{r.cfg.BwrapPath, "--args", "6", "--"}
	argv = append(argv, s.argv...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = []string{} // sandboxed code can read bwrap's own environment
	cmd.Dir = "/"
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inR, outW, errW
	cmd.ExtraFiles = []*os.File{secR, stW, blR, argR} // 3, 4, 5, 6 as args() and --args name them
	cmd.ExtraFiles = append(cmd.ExtraFiles, s.figureFiles()...)
	attr := &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if r.dropPriv {
		attr.Credential = &syscall.Credential{Uid: uint32(s.uid), Gid: uint32(s.uid), Groups: []uint32{}}
	}
	if pr.grp != nil {
		if fd, ok := pr.grp.FD(); ok {
			attr.UseCgroupFD, attr.CgroupFD = true, fd
		}
	}
	cmd.SysProcAttr = attr
	// Only 0-2 and bwrap's own descriptors may reach the sandbox: bwrap 0.8
	// passes on whatever it inherits, and exec passes on every descriptor of
	// ours without close-on-exec (Go's own have it; one inherited by the
	// server or opened by foreign code may not). Done at every start, not
	// once, because such descriptors can appear at any time.
	if err := hostproc.CloseOnExecFrom(3); err != nil {
		return nil, fmt.Errorf("bwrap: %w", err)
	}
	start := func() error { return hostproc.WithHostSlack(cmd.Start) }
	if r.net != nil {
		start = func() error { return r.net.start(cmd, s.uid) }
	}
	if err := start(); err != nil {
		return nil, fmt.Errorf("bwrap: start: %w", err)
	}
	pr.cmd = cmd
	// The server's copy of the figure pipe's write end goes now (the
	// program holds its own), or the channel never sees its end.
	s.fig.Start()
	// Our copies of the child's ends must go, or EOF never comes.
	for _, f := range []*os.File{secR, stW, blR, argR, inR, outW, errW} {
		f.Close()
	}
	pr.waitCh = make(chan error, 1)
	go func() { pr.waitCh <- cmd.Wait() }()
	// Without atomic placement (v1) the sandbox joins its group below, while
	// bwrap holds it at the block fd: before any of the program runs.
	atomic := true
	if pr.grp != nil {
		_, atomic = pr.grp.FD()
	}

	pid, err := readChildPID(stR, 10*time.Second)
	if err != nil {
		_ = cmd.Process.Kill()
		<-pr.waitCh
		pr.waitCh = nil
		msg, _ := io.ReadAll(io.LimitReader(errR, 4096))
		return nil, fmt.Errorf("bwrap: sandbox did not start: %v: %s", err, strings.TrimSpace(string(msg)))
	}
	pr.pid = pid
	if err := limitChild(pid, s.uid, r.dropPriv, s.limits); err != nil {
		_ = cmd.Process.Kill()
		<-pr.waitCh
		pr.waitCh = nil
		return nil, err
	}
	if !atomic {
		if err := pr.grp.Place(pid); err != nil {
			_ = cmd.Process.Kill()
			<-pr.waitCh
			pr.waitCh = nil
			return nil, err
		}
	}
	pr.pidfd = openInit(pid, s.id)

	drain := func(src *os.File, dst io.Writer) {
		defer pr.readers.Done()
		_, _ = io.CopyBuffer(dst, src, make([]byte, 32<<10))
	}
	pr.readers.Add(2)
	go drain(outR, s.fig.Stdout(s.stdout))
	go drain(errR, s.stderr)
	return pr, nil
}

// release lets the held sandbox start its program.
func (pr *proc) release() {
	if _, err := pr.blW.Write([]byte{1}); err != nil {
		pr.r.log.Warn("bwrap block fd", "err", err)
	}
	pr.blW.Close()
}

// await waits for the program's end (or kills it at the wall limit, on
// cancellation or on an output flood) and reports how it ended.
func (pr *proc) await(ctx context.Context, wall time.Duration, start time.Time, out *sandbox.OutputCap) sandbox.Result {
	res := sandbox.Result{ExitCode: -1}
	timer := time.NewTimer(wall)
	defer timer.Stop()
	reason := notKilled
	var waitErr error
	select {
	case waitErr = <-pr.waitCh:
	case <-timer.C:
		reason = killedTimeout
	case <-ctx.Done():
		reason = killedCancel
	case <-out.Flooded():
		reason = killedFlood
	}
	if reason != notKilled {
		pr.kill()
		waitErr = <-pr.waitCh
	}
	pr.waitCh = nil
	res.WallTime = time.Since(start)
	// Whatever the program left behind (a setsid daemon) dies with its group.
	if pr.grp != nil {
		_ = pr.grp.Kill()
	}
	pr.inW.Close()
	waitReaders(&pr.readers, pr.outR, pr.errR)
	res.ImagesDropped = pr.fig.Finish(pr.stderr, 2*time.Second)

	if pr.grp != nil {
		if st, err := pr.grp.Stats(); err == nil {
			res.MemoryPeak, res.CPUTime, res.OOMKilled = max(st.MemoryPeak-pr.base.MemoryPeak, 0), max(st.CPUTime-pr.base.CPUTime, 0), st.OOMKills > 0
		}
	}
	res.ExitCode, res.Signal = exitStatus(pr.cmd.ProcessState, waitErr)
	switch {
	case reason == killedTimeout:
		res.Status = sandbox.StatusTimeout
	case reason == killedCancel:
		res.Status = sandbox.StatusCancelled
	case res.OOMKilled:
		res.Status = sandbox.StatusMemoryLimit
	case res.ExitCode == 0:
		res.Status = sandbox.StatusSuccess
	default:
		res.Status = sandbox.StatusError
	}
	if reason != notKilled {
		res.ExitCode, res.Signal = -1, "SIGKILL"
	}
	return res
}

// kill ends the sandbox's whole tree at once.
func (pr *proc) kill() {
	if pr.pidfd >= 0 {
		_ = unix.PidfdSendSignal(pr.pidfd, unix.SIGKILL, nil, 0)
	}
	if pr.grp != nil {
		_ = pr.grp.Kill()
	}
	if pr.cmd != nil && pr.cmd.Process != nil {
		_ = syscall.Kill(-pr.cmd.Process.Pid, syscall.SIGKILL)
	}
}

// close kills whatever is left, reaps the sandbox's init and removes its
// cgroup and descriptors. Safe after a failed launch.
func (pr *proc) close() {
	// Both ends, for a sandbox that never started or was discarded unused
	// (after Finish this only closes what is closed already).
	defer pr.fig.Close()
	if pr.waitCh != nil {
		// Never awaited (a warm sandbox discarded unused).
		pr.kill()
		<-pr.waitCh
		pr.waitCh = nil
		if pr.inW != nil {
			pr.inW.Close()
		}
		waitReaders(&pr.readers, pr.outR, pr.errR)
	}
	if pr.pidfd >= 0 {
		// bwrap's monitor may exit before the sandbox's PID 1 does; in a
		// process that adopts orphans (runblock's main does, see
		// hostproc.AdoptOrphans) that one is then ours and reaped here.
		// Killing it first is harmless: the stage is over either way.
		_ = unix.PidfdSendSignal(pr.pidfd, unix.SIGKILL, nil, 0)
		if err := hostproc.ReapPidfd(pr.pidfd); err != nil {
			pr.r.log.Warn("sandbox init not reaped", "pid", pr.pid, "err", err)
		}
		unix.Close(pr.pidfd)
		pr.pidfd = -1
	}
	if pr.grp != nil {
		if err := pr.grp.Remove(context.Background()); err != nil {
			pr.r.log.Error("sandbox cgroup not removed", "cgroup", pr.id, "err", err)
		}
		pr.grp = nil
	}
	pr.p.closeAll()
}

// openInit returns a pidfd for the sandbox's PID 1, or -1 when it is gone
// already. A pidfd can't point at a recycled pid later, and the cgroup check
// rules out one recycled before it was opened. Killing PID 1 tears down the
// whole PID namespace at once: the kernel kills every member and refuses
// new ones.
func openInit(pid int, group string) int {
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return -1
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	if err != nil || !strings.Contains(string(b), "/"+group+"\n") {
		unix.Close(fd)
		return -1
	}
	return fd
}

// readChildPID reads bwrap's JSON status until it names the sandbox's pid.
func readChildPID(f *os.File, timeout time.Duration) (int, error) {
	_ = f.SetReadDeadline(time.Now().Add(timeout))
	dec := json.NewDecoder(f)
	for {
		var st struct {
			ChildPID int `json:"child-pid"`
		}
		if err := dec.Decode(&st); err != nil {
			return 0, fmt.Errorf("reading status: %w", err)
		}
		if st.ChildPID > 0 {
			return st.ChildPID, nil
		}
	}
}

// pumpStdin copies the request's input to the program and closes the pipe at
// EOF so the program sees end of input. It ends when the program does
// (EPIPE); a caller's blocked reader is the caller's to unblock.
func pumpStdin(w *os.File, src io.Reader) {
	defer w.Close()
	if src == nil {
		return
	}
	_, _ = io.Copy(w, src)
}

// waitReaders waits for the output pipes to reach EOF; if some process
// outside our reach still holds them, it stops reading after a grace period.
func waitReaders(wg *sync.WaitGroup, files ...*os.File) {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		for _, f := range files {
			f.Close()
		}
		<-done
	}
}

// exitStatus decodes bwrap's exit status: it exits with the program's code,
// or 128+N when the program died of signal N.
func exitStatus(ps *os.ProcessState, err error) (int, string) {
	if ps == nil {
		return -1, ""
	}
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return -1, unix.SignalName(ws.Signal())
	}
	code := ps.ExitCode()
	if code > 128 && code < 128+65 {
		if name := unix.SignalName(syscall.Signal(code - 128)); name != "" {
			return -1, name
		}
	}
	return code, ""
}
