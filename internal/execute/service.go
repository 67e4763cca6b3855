package execute

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/runblock/runblock/internal/apperr"
	"github.com/runblock/runblock/internal/auth"
	"github.com/runblock/runblock/internal/ratelimit"
	"github.com/runblock/runblock/internal/sandbox"
	"github.com/runblock/runblock/internal/sandbox/frontdoor"
	"github.com/runblock/runblock/internal/store"
)

// Config bounds the service.
type Config struct {
	// RateLimits per caller role; a role without an entry is not limited.
	RateLimits map[auth.Role]ratelimit.Limit
	// FailOpen admits runs when the rate limiter's backend is down
	// (default: refuse them, since quotas protect the machine).
	FailOpen      bool
	Limits        sandbox.Limits // defaults for every run
	MaxTimeout    time.Duration  // largest timeout a request may ask for
	MaxCodeBytes  int
	MaxStdinBytes int
	MaxConcurrent int
	MaxQueue      int
	QueueWait     time.Duration
	// CheckFactor sizes the check quota (POST /validate and rejected runs)
	// as a multiple of the run quota; 0 means DefaultCheckFactor.
	CheckFactor int
}

// Service runs requests in a sandbox runtime.
type Service struct {
	rt     sandbox.Runtime
	lim    ratelimit.Limiter // nil: no rate limits
	val    Validator         // nil: no policy check
	start  StarterSource     // nil: Python runs start main.py as is
	policy string
	cache  *verdictCache
	rec    Recorder // nil: no history
	langs  map[string]sandbox.Language
	cfg    Config
	door   *frontdoor.FrontDoor
	reg    *Registry // nil: runs are not registered for input and Stop
	wasm   WasmEnv   // nil: no wasm environment
	envs   map[string]Env
	log    *slog.Logger
	now    func() time.Time
}

// Caller is who asks for a run: ownership keys on UserID, quotas on
// QuotaKey (UserID when empty). Anonymous browsers each own their runs but
// share their address's quota, so dropping a session doesn't reset it.
type Caller struct {
	UserID   string
	QuotaKey string
	Role     auth.Role
}

// queueKey is whose place in the queue a run takes. The platform's backend
// runs code for many learners under one service identity: per-user places
// (1 running + 1 waiting) would turn its concurrent runs into replacements,
// so each of its runs queues as its own user.
func (c Caller) queueKey() string {
	if c.Role == auth.RoleService {
		return "service:" + NewID()
	}
	return c.UserID
}

func (c Caller) quotaKey() string {
	if c.QuotaKey != "" {
		return c.QuotaKey
	}
	return c.UserID
}

// WithLimiter enables per-user rate limits.
func (s *Service) WithLimiter(l ratelimit.Limiter) *Service { s.lim = l; return s }

// New returns a service; it rejects missing dependencies.
func New(rt sandbox.Runtime, langs map[string]sandbox.Language, cfg Config, log *slog.Logger) (*Service, error) {
	if rt == nil {
		return nil, errors.New("execute: nil runtime")
	}
	if len(langs) == 0 {
		return nil, errors.New("execute: no languages")
	}
	if cfg.MaxConcurrent < 1 || cfg.MaxCodeBytes < 1 || cfg.MaxTimeout < time.Second {
		return nil, fmt.Errorf("execute: invalid config %+v", cfg)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	// Admission belongs to the front door; a bare runtime (tests, tools)
	// gets one of its own sized from cfg.
	door, ok := rt.(*frontdoor.FrontDoor)
	if !ok {
		var err error
		door, err = frontdoor.New(frontdoor.Config{Backend: rt, Admitter: frontdoor.NewSimpleAdmitter(cfg.MaxConcurrent, cfg.MaxQueue, 4, cfg.QueueWait), Logger: log})
		if err != nil {
			return nil, err
		}
	}
	return &Service{rt: door, door: door, langs: langs, cfg: cfg, log: log, now: time.Now, cache: newVerdictCache(1024)}, nil
}

// WithRegistry registers live runs in reg, so their owners can send input
// and stop them from other requests.
func (s *Service) WithRegistry(reg *Registry) *Service { s.reg = reg; return s }

// WithRuntimeWrapper puts wrap's runtime between the service and the front
// door (a compile cache: see sandbox/compilecache); admission still
// happens at the door.
func (s *Service) WithRuntimeWrapper(wrap func(sandbox.Runtime) sandbox.Runtime) *Service {
	s.rt = wrap(s.rt)
	return s
}

// IO connects a run to its caller. Stdin, when set, replaces the request's
// stdin string (interactive input). OnStart is called once the run has a
// sandbox slot, just before the program starts. OnQueued, when set, hears
// the run's place in the queue (1 = next) and an estimated wait whenever
// they change while it waits for a slot.
type IO struct {
	Stdout, Stderr io.Writer
	Stdin          io.Reader
	OnStart        func(o Outcome) // ID, StartedAt, Quota, Warnings are set
	OnQueued       func(position int, eta time.Duration)
	// ID, when set, is the run's id (Start gives a run its id before it
	// queues, so a queued run can be found and stopped); else Run makes one.
	ID string
	// Images receives a Python run's figures in order with Stdout: after
	// the output written before each, before the output after it.
	Images func(Image)
	// Harness, when set, runs the code under tests (a submission).
	Harness Harness
}

// Outcome is a finished run.
type Outcome struct {
	ID          string
	Language    string
	Environment string
	Result      sandbox.Result
	Warnings    []string
	StartedAt   time.Time
	Limits      sandbox.Limits
	Quota       *ratelimit.Decision // the caller's quota after this run was admitted
}

// Run checks, admits and runs one request. Errors are for requests that
// could not run (apperr kinds); a program that fails is a successful Run with
// that status in the Outcome.
func (s *Service) Run(ctx context.Context, who Caller, req Request, rio IO) (Outcome, error) {
	p, err := s.prepare(req)
	if err != nil {
		return Outcome{}, err
	}
	// Refuse early without consuming quota, then take a sandbox slot (the
	// policy check needs one too), then count the run: only admitted runs
	// use up the caller's quota.
	if _, err := s.checkQuota(ctx, who, runQuota, false); err != nil {
		return Outcome{}, err
	}
	vreq, needCheck := s.policyRequest(p, rio.Stdin != nil)
	if needCheck {
		// A known rejection needs no slot.
		if res, ok := s.cache.get(vreq); ok && res.PolicyViolation {
			return Outcome{}, s.reject(ctx, who, p, res)
		}
	}
	// Fairness keys on the user, not the quota key: anonymous learners
	// behind one school address share a quota but each get their place.
	ctx, release, err := s.door.Enter(ctx, frontdoor.Ticket{User: who.queueKey(), Kind: frontdoor.KindRun}, rio.OnQueued)
	if err != nil {
		return Outcome{}, err
	}
	defer release()
	if needCheck {
		warnings, err := s.checkPolicy(ctx, who, p, vreq)
		if err != nil {
			return Outcome{}, err
		}
		p.Warnings = append(p.Warnings, warnings...)
	}
	quota, err := s.checkQuota(ctx, who, runQuota, true)
	if err != nil {
		return Outcome{}, err
	}

	id := rio.ID
	if id == "" {
		id = NewID()
	}
	o := Outcome{ID: id, Language: p.Language, Environment: p.Environment, Warnings: p.Warnings, StartedAt: s.now(), Limits: p.Limits, Quota: quota}
	stdin := rio.Stdin
	if stdin == nil && p.Stdin != nil {
		stdin = strings.NewReader(*p.Stdin)
	}
	rec := s.startRecording(ctx, who, p, o)
	if rio.OnStart != nil {
		rio.OnStart(o)
	}
	var recOut, recErr *capBuffer
	if rec != nil {
		recOut, recErr = &rec.stdout, &rec.stderr
	}
	figs := s.figures(p, rio, rec)
	sreq := sandbox.Request{
		Language: p.Lang,
		Files:    []sandbox.File{{Content: []byte(p.Code)}},
		Stdin:    stdin,
		Stdout:   figs.stdout(rec.tee(rio.Stdout, recOut)),
		Stderr:   rec.tee(rio.Stderr, recErr),
		Limits:   p.Limits,
		Images:   figs.sink(),
	}
	var res sandbox.Result
	if p.Environment == EnvWasm {
		res, err = s.wasm.Run(ctx, p.Language, p.Code, sreq)
	} else {
		res, err = s.runSandbox(ctx, p, rio.Harness, sreq)
	}
	status := string(res.Status)
	if err != nil {
		status = store.StatusError
	}
	s.finishRecording(ctx, rec, res, status)
	if err != nil {
		if errors.Is(err, sandbox.ErrBusy) {
			return o, apperr.New(apperr.Busy, "busy", "no sandbox free")
		}
		if errors.Is(err, sandbox.ErrUnavailable) {
			e := apperr.New(apperr.Busy, "environment_unavailable", "environment %s is unavailable: %v", p.Environment, err)
			e.RetryAfter = 10 * time.Second
			return o, e
		}
		var ae *apperr.Error
		if errors.As(err, &ae) {
			return o, err // already says what went wrong (a harness refusing)
		}
		return o, &apperr.Error{Kind: apperr.Internal, Code: "sandbox_failed", Message: "the sandbox failed to run the code", Err: err}
	}
	o.Result = res
	return o, nil
}

// FailureMessage explains a status that ended a run abnormally, for the
// seed's `error` field when the program itself wrote nothing to stderr.
func FailureMessage(o Outcome) string {
	r := o.Result
	// The step that ended the run may have had its own limits (a compile
	// step has more memory and its own timeout); those are the ones hit.
	lim := o.Limits
	if r.Limits != (sandbox.Limits{}) {
		lim = r.Limits
	}
	switch r.Status {
	case sandbox.StatusTimeout:
		return fmt.Sprintf("Execution timed out after %gs", lim.WallTime.Seconds())
	case sandbox.StatusMemoryLimit:
		return fmt.Sprintf("Memory limit exceeded (%d MB)", lim.MemoryBytes>>20)
	case sandbox.StatusCancelled:
		return "Execution was cancelled"
	case sandbox.StatusError:
		if r.Stage == sandbox.StageCompile {
			return "Compilation failed"
		}
		if r.Truncated && r.Signal == "SIGKILL" {
			return fmt.Sprintf("Output limit reached (%d characters); the program was stopped", lim.OutputChars)
		}
		if r.Signal != "" {
			return "Process killed by " + r.Signal
		}
		return fmt.Sprintf("Process exited with code %d", r.ExitCode)
	}
	return ""
}

// Busy reports running and waiting runs.
func (s *Service) Busy() (running, waiting int) {
	st := s.door.Admitter().Stats()
	return st.Running, st.Waiting
}

// Queue describes the admission queue (depth, drain rate) for readiness
// and metrics: what an autoscaler watches.
func (s *Service) Queue() frontdoor.AdmitStats { return s.door.Admitter().Stats() }

// NewID makes a run id (time-ordered).
func NewID() string {
	if id, err := uuid.NewV7(); err == nil {
		return id.String()
	}
	return uuid.NewString()
}

// MaxStdinBytes bounds a run's pending interactive input.
func (s *Service) MaxStdinBytes() int { return s.cfg.MaxStdinBytes }
