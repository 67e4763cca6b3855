package bwrap

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/runblock/runblock/internal/sandbox"
)

// pair is a run set up ahead and held at bwrap's block fd: the compile
// step's sandbox (if the language has one) and the run's, both with
// namespaces, mounts, seccomp and cgroup in place and nothing of theirs
// started. It is what Run would build, minus the wait for bwrap's set-up.
// Its uid, cgroups, /tmp and run directory are for one run only.
type pair struct {
	ahead   // its uid and run directory
	lang    sandbox.Language
	limits  sandbox.Limits // WallTime: the default, for a Go without one
	comp    *proc          // nil without a compile step
	run     *proc
	out     *sandbox.OutputCap
	stdout  *lateWriter
	stderr  *lateWriter
	exited  chan struct{}
	endOnce sync.Once
	once    sync.Once
	used    bool
}

// Hold implements sandbox.Prestarter. Like Prestart it never waits for a
// uid: a pool refills only when capacity is free.
func (r *Runtime) Hold(ctx context.Context, req sandbox.Request) (sandbox.Held, error) {
	lang := req.Language
	if len(lang.Run) == 0 {
		return nil, errors.New("bwrap: language has no run command")
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	limits := req.Limits.Merge(r.cfg.Defaults)
	ab, err := r.setUpAhead(lang, nil)
	if err != nil {
		return nil, err
	}
	p := &pair{ahead: ab, lang: lang, limits: limits, stdout: newLateWriter(), stderr: newLateWriter(), exited: make(chan struct{})}
	id := ab.id
	p.out = sandbox.NewOutputCap(limits.OutputChars)
	if err := p.launch(id, req.Images); err != nil {
		p.Close()
		return nil, err
	}
	return p, nil
}

// launch starts both sandboxes held. The limits they start with are the
// run's own: nothing runs in them before Go, which only restarts the
// accounting. bwrap writes nothing before its block fd unless it fails,
// and that output goes nowhere (the late writers are not attached yet).
func (p *pair) launch(id string, images sandbox.ImageSink) error {
	r, lang := p.r, p.lang
	if len(lang.Compile) > 0 {
		pr, err := r.launch(stageSpec{
			id: id + "-c", uid: p.uid, dir: p.dir, argv: lang.Compile, env: lang.Env, roPaths: lang.ReadOnlyPaths, writable: true,
			limits: lang.CompileLimits.Merge(p.limits), stdout: p.stdout, stderr: p.stderr, out: p.out,
		})
		if err != nil {
			return err
		}
		p.comp = pr
		// A compiler reads no input, as in Run.
		pr.inW.Close()
		go p.watch(pr)
	}
	fig, err := r.openFigures(images, p.limits)
	if err != nil {
		return err
	}
	pr, err := r.launch(stageSpec{
		id: id + "-r", uid: p.uid, dir: p.dir, argv: lang.Run, env: lang.Env, roPaths: lang.ReadOnlyPaths,
		limits: p.limits, stdout: p.stdout, stderr: p.stderr, out: p.out, fig: fig,
	})
	if err != nil {
		fig.Close()
		return err
	}
	p.run = pr
	go p.watch(pr)
	return nil
}

// watch notes a held sandbox that ended before Go (its output reached
// EOF): it is not handed out.
func (p *pair) watch(pr *proc) {
	pr.readers.Wait()
	p.endOnce.Do(func() { close(p.exited) })
}

func (p *pair) Done() <-chan struct{} { return p.exited }

// Go implements sandbox.Held: the steps of Run, on sandboxes set up ahead.
func (p *pair) Go(ctx context.Context, run sandbox.HeldRun) (sandbox.Result, error) {
	if p.used {
		return sandbox.Result{}, errors.New("bwrap: a held sandbox runs once")
	}
	p.used = true
	start := time.Now()
	if len(run.Drop) > 0 {
		p.Close()
		return sandbox.Result{}, errors.New("bwrap: a held sandbox has no start-up files to drop")
	}
	if err := p.r.writeFiles(p.dir, p.uid, p.lang, run.Files); err != nil {
		p.Close()
		return sandbox.Result{}, err
	}
	limits := p.limits
	if run.Wall > 0 {
		limits.WallTime = run.Wall
	}
	climits := p.lang.CompileLimits.Merge(limits)
	// Every proc is rebased before any is released: what bwrap's set-up
	// took is not the learner's.
	for _, s := range []struct {
		pr  *proc
		lim sandbox.Limits
	}{{p.comp, climits}, {p.run, limits}} {
		if s.pr == nil {
			continue
		}
		if err := s.pr.rebase(s.lim, false); err != nil {
			p.Close()
			return sandbox.Result{}, err
		}
	}
	p.stdout.attach(p.out.Writer(run.Stdout))
	p.stderr.attach(p.out.Writer(run.Stderr))
	// Every process is dead and the stats are read when Go returns:
	// removing the cgroups and directory need not hold up the answer.
	defer func() { go p.Close() }()
	var comp sandbox.Result
	if p.comp != nil {
		pr := p.comp
		t := time.Now()
		pr.release()
		comp = pr.await(ctx, climits.WallTime, t, p.out)
		if comp.Status != sandbox.StatusSuccess {
			// As in Run: a compiler that fails, times out or runs out of
			// memory ends the run, attributed to the compile step.
			comp.Stage = sandbox.StageCompile
			comp.Limits = climits
			comp.WallTime = time.Since(start)
			comp.Truncated = p.out.Truncated()
			return comp, nil
		}
		if run.Compiled != nil {
			run.Compiled(artifacts(p.dir, p.lang, run.Files))
		}
	}
	pr := p.run
	pr.fig.SetSink(run.Images)
	go pumpStdin(pr.inW, run.Stdin)
	t := time.Now()
	pr.release()
	res := pr.await(ctx, limits.WallTime, t, p.out)
	res.Stage = sandbox.StageRun
	res.Limits = limits
	res.CPUTime += comp.CPUTime
	res.MemoryPeak = max(res.MemoryPeak, comp.MemoryPeak)
	res.WallTime = time.Since(start)
	res.Truncated = p.out.Truncated()
	return res, nil
}

// Close implements sandbox.Held.
func (p *pair) Close() {
	p.once.Do(func() {
		for _, pr := range []*proc{p.comp, p.run} {
			if pr != nil {
				pr.close()
			}
		}
		p.free()
	})
}
