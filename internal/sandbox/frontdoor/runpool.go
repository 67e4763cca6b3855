package frontdoor

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/runblock/runblock/internal/sandbox"
)

// RunPoolOptions configure warm sandboxes for runs.
type RunPoolOptions struct {
	// Languages with a warm form (their run argv names their file; the
	// interpreter must be Python: Boot starts the program).
	Languages []string
	// Boot starts warm sandboxes of runs without a wrapper: a Python
	// script taking --runblock-warm=MODS before the program's file, as the
	// wrappers do (validate.StartScript). It is removed from /box at Go.
	Boot sandbox.File
	// Budget bounds the idle warm sandboxes of all pools together; the
	// backend must have that many uids beyond the admitted runs'.
	Budget int
	// PlainSize is the pool size for programs that import none of the
	// preloaded libraries; LibSize for each library flavour.
	PlainSize, LibSize int
	// LibMemory is allowed on top of the memory limit while a flavour
	// imports its libraries, before the accounting restarts at Go.
	LibMemory int64
	// Wrappers name run-time guards that start the program themselves and
	// understand --runblock-warm= (validate.GuardFileName and its .pyc).
	Wrappers []string
	// MaxAge retires an idle warm sandbox; IdleAfter drops a pool not used
	// for that long (it comes back at its next use).
	MaxAge, IdleAfter time.Duration
	// Held names languages (compiled or not, without a Python warm form)
	// whose runs take sandboxes set up ahead and held before anything in
	// them starts (sandbox.Prestarter's Hold): a compile step's and the
	// run's, HeldSize of each kind (default 1). HeldBudget bounds their
	// idle ones together (default 1), apart from Budget: a few kinds of
	// held runs, each used once, would otherwise take Python's warm
	// sandboxes one by one; the backend must have that many more uids.
	Held       []string
	HeldSize   int
	HeldBudget int
	// WaitForWarm makes a run wait for its pool instead of starting cold
	// (for tests of the warm path; a server starts cold).
	WaitForWarm bool
}

// EnableRunPool keeps sandboxes for runs started ahead. The backend must
// be a sandbox.Prestarter.
func (f *FrontDoor) EnableRunPool(o RunPoolOptions) error {
	pre, ok := f.backend.(sandbox.Prestarter)
	if !ok {
		return fmt.Errorf("frontdoor: runtime %T can't prestart sandboxes", f.backend)
	}
	if o.Budget < 1 {
		return errors.New("frontdoor: run pool budget must be at least 1")
	}
	if len(o.Languages) > 0 && (o.Boot.Name == "" || len(o.Boot.Content) == 0) {
		return errors.New("frontdoor: run pool needs a boot script")
	}
	if o.PlainSize <= 0 {
		o.PlainSize = o.Budget
	}
	if o.LibSize <= 0 {
		o.LibSize = 1
	}
	if o.HeldSize <= 0 {
		o.HeldSize = 1
	}
	if o.HeldBudget <= 0 {
		o.HeldBudget = 1
	}
	if o.MaxAge <= 0 {
		o.MaxAge = 10 * time.Minute
	}
	if o.IdleAfter <= 0 {
		o.IdleAfter = 30 * time.Minute
	}
	if o.LibMemory <= 0 {
		o.LibMemory = 256 << 20
	}
	ctx, stop := context.WithCancel(context.Background())
	rp := &runPool{opts: o, pre: pre, log: f.log, budget: make(chan struct{}, o.Budget), heldBudget: make(chan struct{}, o.HeldBudget), pools: map[[32]byte]*runKeyPool{}, ctx: ctx, stop: stop}
	f.mu.Lock()
	f.runPool = rp
	f.mu.Unlock()
	return nil
}

// runPool holds warm sandboxes per kind of run: the same argv, support
// files (guard), limits and preloaded libraries.
type runPool struct {
	opts   RunPoolOptions
	pre    sandbox.Prestarter
	log    logger
	budget chan struct{} // one token per idle warm sandbox
	// heldBudget is budget for held sandboxes.
	heldBudget chan struct{}
	mu         sync.Mutex
	pools      map[[32]byte]*runKeyPool
	ctx        context.Context
	stop       context.CancelFunc
	wg         sync.WaitGroup
}

type runKeyPool struct {
	held     bool // Hold, not Prestart
	budget   chan struct{}
	space    chan struct{} // one per sandbox being started or ready
	tmpl     sandbox.Request
	extra    int64
	ready    chan *heldEntry
	lastUsed time.Time
	ctx      context.Context
	stop     context.CancelFunc
	health   *refillHealth
}

type heldEntry struct {
	h    sandbox.Held
	born time.Time
}

// warmForm is what a run needs from a warm sandbox, and the files it adds.
type warmForm struct {
	key   [32]byte
	tmpl  sandbox.Request
	extra int64
	files []sandbox.File // the program's own, written at Go
	drop  []string       // the boot script, removed at Go
	held  bool           // set up and held (Hold), not started (Prestart)
}

// form works out req's warm form; false when it has none.
func (rp *runPool) form(req sandbox.Request) (warmForm, bool) {
	if slices.Contains(rp.opts.Held, req.Language.Name) {
		return heldForm(req), true
	}
	return rp.pythonForm(req)
}

// heldForm: every file is written at Go, so the sandboxes differ only in
// the language's steps (a compile cache's hit has none), limits and
// figure channel.
func heldForm(req sandbox.Request) warmForm {
	lim := req.Limits
	lim.WallTime = 0 // set at Go
	tmpl := sandbox.Request{Language: req.Language, Limits: lim}
	if req.Images != nil {
		tmpl.Images = discardImage
	}
	return warmForm{key: formKey(tmpl, 0, true), tmpl: tmpl, files: req.Files, held: true}
}

// pythonForm is the form of a Python run: the interpreter started ahead.
func (rp *runPool) pythonForm(req sandbox.Request) (warmForm, bool) {
	lang := req.Language
	if !slices.Contains(rp.opts.Languages, lang.Name) || len(lang.Compile) > 0 {
		return warmForm{}, false
	}
	i := slices.Index(lang.Run, lang.FileName)
	if i < 1 {
		return warmForm{}, false
	}
	var own, support []sandbox.File
	var code []byte
	for j, f := range req.Files {
		if f.Name == "" && j == 0 {
			f.Name = lang.FileName
		}
		if f.Name == lang.FileName {
			own = append(own, f)
			code = f.Content
			continue
		}
		support = append(support, f)
	}
	if len(own) != 1 {
		return warmForm{}, false
	}
	mods := preloads(code)
	flag := "--runblock-warm=" + mods
	argv := slices.Clone(lang.Run[:i])
	var drop []string
	if slices.Contains(rp.opts.Wrappers, lang.Run[i-1]) {
		argv = append(argv, flag)
	} else {
		argv = append(argv, rp.opts.Boot.Name, flag)
		support = append(support, rp.opts.Boot)
		// Python has read it by the time the sandbox is ready; the program
		// sees /box as a cold run does.
		drop = []string{rp.opts.Boot.Name}
	}
	argv = append(argv, lang.Run[i:]...)
	wl := lang
	wl.Run = argv
	lim := req.Limits
	lim.WallTime = 0 // set at Go
	extra := int64(0)
	if mods != "" {
		extra = rp.opts.LibMemory
	}
	tmpl := sandbox.Request{Language: wl, Files: support, Limits: lim}
	if req.Images != nil {
		// Only whether it is set counts at Prestart (the figure channel is
		// opened then, for sitecustomize); the run's own sink is given at Go.
		tmpl.Images = discardImage
	}
	return warmForm{key: formKey(tmpl, extra, false), tmpl: tmpl, extra: extra, files: own, drop: drop}, true
}

func discardImage(sandbox.Image) {}

func formKey(r sandbox.Request, extra int64, held bool) [32]byte {
	h := sha256.New()
	put := func(s string) {
		_ = binary.Write(h, binary.LittleEndian, int64(len(s)))
		h.Write([]byte(s))
	}
	lang := r.Language
	put(fmt.Sprintf("held=%t", held))
	put(lang.Name)
	put(lang.FileName)
	for _, argv := range [][]string{lang.Compile, lang.Run, lang.ReadOnlyPaths} {
		put(fmt.Sprint(len(argv)))
		for _, a := range argv {
			put(a)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(lang.Env)) {
		put(k)
		put(lang.Env[k])
	}
	put(fmt.Sprintf("%+v", lang.CompileLimits))
	for _, f := range r.Files {
		put(f.Name)
		put(string(f.Content))
	}
	put(fmt.Sprintf("%+v %d figures=%t", r.Limits, extra, r.Images != nil))
	var k [32]byte
	copy(k[:], h.Sum(nil))
	return k
}

// run serves req from a warm sandbox; ok is false when it should start
// cold (no warm form, or none ready). Held sandboxes are for learners'
// runs: a probe (a language's hello at start-up, with limits of its own)
// would leave a pool of its kind behind that only takes budget from the
// pools runs use.
func (rp *runPool) run(ctx context.Context, req sandbox.Request, kind Kind) (sandbox.Result, bool, error) {
	wf, ok := rp.form(req)
	if !ok || (wf.held && kind != KindRun) {
		return sandbox.Result{}, false, nil
	}
	p := rp.pool(wf)
	e := p.take(rp.opts.MaxAge)
	if e == nil && rp.opts.WaitForWarm {
		e = p.wait(ctx, rp.opts.MaxAge)
	}
	if e == nil {
		return sandbox.Result{}, false, nil
	}
	res, err := e.h.Go(ctx, sandbox.HeldRun{
		Drop: wf.drop, Files: wf.files, Stdin: req.Stdin, Stdout: req.Stdout, Stderr: req.Stderr,
		Images: req.Images, Compiled: req.Compiled, Wall: req.Limits.WallTime,
	})
	p.ran()
	return res, true, err
}

// Prewarm starts the pool that req's kind of run would use, if it has a
// warm form; true when it has one.
func (f *FrontDoor) Prewarm(req sandbox.Request) bool {
	f.mu.Lock()
	rp := f.runPool
	f.mu.Unlock()
	if rp == nil {
		return false
	}
	wf, ok := rp.form(req)
	if ok {
		rp.pool(wf)
	}
	return ok
}

// pool returns the pool for wf's form, starting it at its first use.
func (rp *runPool) pool(wf warmForm) *runKeyPool {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	if p, ok := rp.pools[wf.key]; ok {
		p.lastUsed = time.Now()
		return p
	}
	size := rp.opts.PlainSize
	name := "python runs"
	switch {
	case wf.held:
		size = rp.opts.HeldSize
		name = "held " + wf.tmpl.Language.Name + " runs"
		if len(wf.tmpl.Language.Compile) > 0 {
			name += " with their compile step"
		}
	case wf.extra > 0:
		size = rp.opts.LibSize
		name = "python runs with libraries"
	}
	ctx, stop := context.WithCancel(rp.ctx)
	budget := rp.budget
	if wf.held {
		budget = rp.heldBudget
	}
	p := &runKeyPool{held: wf.held, budget: budget, space: make(chan struct{}, size), tmpl: wf.tmpl, extra: wf.extra, ready: make(chan *heldEntry, size), lastUsed: time.Now(), ctx: ctx, stop: stop,
		health: &refillHealth{log: rp.log, name: name}}
	rp.pools[wf.key] = p
	// Two starters refill a pool, so that a burst is made up sooner.
	for i := 0; i < min(size, 2); i++ {
		rp.wg.Add(1)
		go rp.fill(wf.key, p)
	}
	return p
}

// fill keeps p full while it is used, within the shared budget.
func (rp *runPool) fill(key [32]byte, p *runKeyPool) {
	defer rp.wg.Done()
	defer p.drain()
	defer p.stop() // one starter ending (pool dropped, server closing) ends both
	for {
		// Room in this pool first, then a token of the shared budget.
		select {
		case p.space <- struct{}{}:
		case <-p.ctx.Done():
			return
		}
		select {
		case p.budget <- struct{}{}:
		case <-p.ctx.Done():
			<-p.space
			return
		case <-time.After(200 * time.Millisecond):
			<-p.space
			// The budget is held by idle sandboxes of other kinds: take
			// one back from a pool used less recently than this one.
			rp.reclaim(p)
			continue
		}
		h, err := p.start(rp.pre)
		if err != nil {
			p.releaseToken()
			if p.ctx.Err() != nil {
				return
			}
			if !p.health.failed(p.ctx, err) {
				return
			}
			continue
		}
		e := &heldEntry{h: h, born: time.Now()}
		select {
		case p.ready <- e:
		case <-p.ctx.Done():
			h.Close()
			p.releaseToken()
			return
		}
		if rp.idle(key, p) {
			return
		}
	}
}

func (p *runKeyPool) start(pre sandbox.Prestarter) (sandbox.Held, error) {
	if p.held {
		return pre.Hold(p.ctx, p.tmpl)
	}
	return pre.Prestart(p.ctx, p.tmpl, p.extra)
}

// reclaim closes one idle sandbox of the least recently used other pool
// of p's budget, if that pool was used less recently than p, freeing its
// budget token.
func (rp *runPool) reclaim(p *runKeyPool) {
	rp.mu.Lock()
	var victim *runKeyPool
	for _, q := range rp.pools {
		if q != p && q.budget == p.budget && len(q.ready) > 0 && q.lastUsed.Before(p.lastUsed) && (victim == nil || q.lastUsed.Before(victim.lastUsed)) {
			victim = q
		}
	}
	rp.mu.Unlock()
	if victim == nil {
		return
	}
	select {
	case e := <-victim.ready:
		e.h.Close()
		victim.releaseToken()
	default:
	}
}

// idle drops p when it has not been used for IdleAfter.
func (rp *runPool) idle(key [32]byte, p *runKeyPool) bool {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	if time.Since(p.lastUsed) < rp.opts.IdleAfter {
		return false
	}
	delete(rp.pools, key)
	p.stop()
	return true
}

// take returns a live warm sandbox or nil; the budget token goes back at
// once, since a taken sandbox runs under its run's admission slot.
func (p *runKeyPool) take(maxAge time.Duration) *heldEntry {
	for {
		select {
		case e := <-p.ready:
			if ok := p.usable(e, maxAge); ok {
				return e
			}
		default:
			return nil
		}
	}
}

func (p *runKeyPool) wait(ctx context.Context, maxAge time.Duration) *heldEntry {
	for {
		select {
		case e := <-p.ready:
			if p.usable(e, maxAge) {
				return e
			}
		case <-ctx.Done():
			return nil
		}
	}
}

func (p *runKeyPool) usable(e *heldEntry, maxAge time.Duration) bool {
	<-p.budget
	select {
	case <-e.h.Done():
		e.h.Close()
		<-p.space
		p.health.died()
		return false
	default:
	}
	if time.Since(e.born) > maxAge {
		e.h.Close()
		<-p.space
		return false
	}
	p.health.ok()
	if !p.held {
		<-p.space
	}
	return true
}

// ran ends a run on one of p's sandboxes. A held pool refills only now:
// setting two sandboxes up takes a core for a while, which on a small host
// is the run's own (its compiler's) time. A learner's next run comes after
// this one; a burst of runs starts cold beyond the pool anyway.
func (p *runKeyPool) ran() {
	if p.held {
		<-p.space
	}
}

// releaseToken gives back a sandbox's place in its pool and its budget token.
func (p *runKeyPool) releaseToken() {
	<-p.space
	<-p.budget
}

// drain closes the idle sandboxes of a stopped pool.
func (p *runKeyPool) drain() {
	for {
		select {
		case e := <-p.ready:
			e.h.Close()
			p.releaseToken()
		default:
			return
		}
	}
}

func (rp *runPool) close() {
	rp.stop()
	rp.wg.Wait()
}
