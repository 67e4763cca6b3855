package bwrap

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/runblock/runblock/internal/sandbox"
	"github.com/runblock/runblock/internal/sandbox/cgroup"
)

// Run places the files in a private directory, runs the optional compile step
// and then the program, each in its own sandbox and cgroup.
func (r *Runtime) Run(ctx context.Context, req sandbox.Request) (sandbox.Result, error) {
	lang := req.Language
	if len(lang.Run) == 0 {
		return sandbox.Result{}, errors.New("bwrap: language has no run command")
	}
	limits := req.Limits.Merge(r.cfg.Defaults)
	uid, err := r.acquire(ctx)
	if errors.Is(err, sandbox.ErrBusy) {
		return sandbox.Result{}, err
	}
	if err != nil {
		return sandbox.Result{Status: sandbox.StatusCancelled, Stage: sandbox.StageRun, ExitCode: -1}, nil
	}
	id := cgroup.GroupName(r.instance, newID())
	dir := filepath.Join(r.cfg.WorkDir, id)
	// The stages' clean-up runs after the answer; the uid is free for the
	// next sandbox once it is done.
	var after sync.WaitGroup
	defer func() {
		go func() {
			after.Wait()
			_ = os.RemoveAll(dir)
			r.slots <- uid
		}()
	}()
	if err := r.prepareDir(dir, uid, lang, req.Files); err != nil {
		return sandbox.Result{}, err
	}

	out := sandbox.NewOutputCap(limits.OutputChars)
	stdout, stderr := out.Writer(req.Stdout), out.Writer(req.Stderr)
	start := time.Now()
	var total sandbox.Result
	if len(lang.Compile) > 0 {
		climits := lang.CompileLimits.Merge(limits)
		res, err := r.stage(ctx, stageSpec{
			id: id + "-c", uid: uid, dir: dir, argv: lang.Compile, env: lang.Env, roPaths: lang.ReadOnlyPaths, writable: true,
			limits: climits, stdout: stdout, stderr: stderr, out: out, after: &after,
		})
		if err != nil {
			return res, err
		}
		total = res
		if res.Status != sandbox.StatusSuccess {
			// A compiler that fails, times out or runs out of memory ends
			// the run with that status, attributed to the compile step.
			total.Stage = sandbox.StageCompile
			total.Limits = climits
			total.WallTime = time.Since(start)
			total.Truncated = out.Truncated()
			return total, nil
		}
		if req.Compiled != nil {
			req.Compiled(artifacts(dir, lang, req.Files))
		}
	}
	fig, err := r.openFigures(req.Images, limits)
	if err != nil {
		return sandbox.Result{}, err
	}
	defer fig.Close()
	res, err := r.stage(ctx, stageSpec{
		id: id + "-r", uid: uid, dir: dir, argv: lang.Run, env: lang.Env, roPaths: lang.ReadOnlyPaths, stdin: req.Stdin,
		limits: limits, stdout: stdout, stderr: stderr, out: out, fig: fig, after: &after,
	})
	if err != nil {
		return res, err
	}
	res.Stage = sandbox.StageRun
	res.Limits = limits
	res.CPUTime += total.CPUTime
	res.MemoryPeak = max(res.MemoryPeak, total.MemoryPeak)
	res.WallTime = time.Since(start)
	res.Truncated = out.Truncated()
	return res, nil
}

// prepareDir creates the run's directory, readable only by its uid, and
// writes the request's files into it: code reaches the sandbox as a file,
// never through argv or the environment.
func (r *Runtime) prepareDir(dir string, uid int, lang sandbox.Language, files []sandbox.File) error {
	if err := os.Mkdir(dir, 0o700); err != nil {
		return fmt.Errorf("bwrap: run dir: %w", err)
	}
	if err := os.Chown(dir, uid, uid); err != nil {
		return fmt.Errorf("bwrap: run dir: %w", err)
	}
	return r.writeFiles(dir, uid, lang, files)
}

// args builds bwrap's options. Only paths and fixed settings go here,
// nothing from the request. They reach bwrap through a pipe (--args), not
// its argv: PID 1 in the sandbox is bwrap, and its /proc/1/cmdline would
// show the host's run directory and server pid. The program's argv (the
// language's, fixed too) follows on the command line: bwrap only takes it
// from there.
func (r *Runtime) args(s stageSpec) []string {
	a := []string{"--unshare-all"}
	if r.net != nil {
		a = append(a, "--share-net") // the launcher's empty one; see netns.go
	}
	a = append(a,
		"--unshare-user", "--disable-userns",
		// The program is PID 1 of its namespace, without bwrap's reaper
		// process before it: one fork and one exit less per sandbox
		// (0.4-1 ms of CPU). When it ends, the kernel kills whatever is
		// left in the namespace, as when the reaper ended.
		"--as-pid-1",
		"--die-with-parent", "--new-session", "--clearenv",
		"--hostname", "runblock",
		"--ro-bind", r.views.of(s.uid, "/usr"), "/usr",
		"--symlink", "usr/bin", "/bin",
		"--symlink", "usr/sbin", "/sbin",
		"--symlink", "usr/lib", "/lib",
		"--symlink", "usr/lib64", "/lib64",
	)
	// A few read-only files that libraries look up, and those the
	// languages name; nothing else of /etc. A view holds only those: one
	// bind, where each bind costs bwrap a read of the whole mount table.
	// A language the runtime was not told of (Config.EtcPaths) may name
	// /etc paths the view lacks: then each comes from the host, as without
	// views (the read-only view can't take mount points of its own).
	etc, views := r.views.etc(s.uid)
	switch {
	case views && r.views.inEtc(s.roPaths):
		a = append(a, "--ro-bind", etc, "/etc")
	default:
		for _, p := range etcPaths(s.roPaths) {
			src := p
			if views && r.views.inEtc([]string{p}) {
				src = filepath.Join(etc, strings.TrimPrefix(p, "/etc/"))
			}
			a = append(a, "--ro-bind-try", src, p)
		}
	}
	a = append(a,
		"--proc", "/proc",
	)
	a = append(a, r.devArgs(s.limits.TmpBytes)...)
	a = append(a, "--size", fmt.Sprint(s.limits.TmpBytes), "--tmpfs", "/tmp")
	a = append(a, r.hidingArgs()...)
	a = append(a, r.figureBinds(s)...)
	if s.writable {
		a = append(a, "--bind", s.dir, "/box")
	} else {
		a = append(a, "--ro-bind", s.dir, "/box")
	}
	a = append(a,
		"--remount-ro", "/",
		"--chdir", "/box",
		"--setenv", "PATH", "/usr/local/bin:/usr/bin:/bin",
		"--setenv", "HOME", "/tmp",
		"--setenv", "TMPDIR", "/tmp",
		"--setenv", "LANG", "C.UTF-8",
	)
	for _, k := range slices.Sorted(maps.Keys(s.env)) {
		a = append(a, "--setenv", k, s.env[k])
	}
	a = append(a, figureEnv(s)...)
	a = append(a,
		"--seccomp", "3",
		"--json-status-fd", "4",
		"--block-fd", "5",
	)
	return a
}

// artifacts reads the files the compile step added to dir (nothing when
// they are not all plain files or total more than MaxArtifactBytes).
func artifacts(dir string, lang sandbox.Language, files []sandbox.File) []sandbox.File {
	given := map[string]bool{}
	for i, f := range files {
		if f.Name == "" && i == 0 {
			given[lang.FileName] = true
		}
		given[f.Name] = true
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []sandbox.File
	var total int64
	for _, e := range entries {
		if given[e.Name()] {
			continue
		}
		info, err := e.Info()
		if err != nil || !info.Mode().IsRegular() {
			return nil // a directory (javac packages) or a link: not cached
		}
		if total += info.Size(); total > sandbox.MaxArtifactBytes {
			return nil
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil
		}
		out = append(out, sandbox.File{Name: e.Name(), Content: b, Executable: info.Mode()&0o100 != 0})
	}
	return out
}
