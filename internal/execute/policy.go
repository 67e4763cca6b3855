package execute

import (
	"context"
	"crypto/sha256"
	"errors"
	"sync"
	"time"

	"github.com/runblock/runblock/internal/apperr"
	"github.com/runblock/runblock/internal/ratelimit"
	"github.com/runblock/runblock/internal/sandbox/frontdoor"
	"github.com/runblock/runblock/internal/validate"
)

// Validator checks code against a policy before it may run.
type Validator interface {
	Validate(ctx context.Context, req validate.Request) (validate.Result, error)
}

// RejectedError is a policy violation: the answer is the validation result
// itself (422), and the run never starts.
type RejectedError struct{ Result validate.Result }

func (e *RejectedError) Error() string {
	if e.Result.Error != nil {
		return *e.Result.Error
	}
	return "code rejected by policy"
}

// WithValidator applies policy (by name; "" = the validator's default) to
// every run before it is admitted.
func (s *Service) WithValidator(v Validator, policy string) *Service {
	s.val, s.policy = v, policy
	if st, ok := v.(StarterSource); ok {
		s.start = st
	}
	return s
}

// WithStarter gives Python runs their start script without a policy check
// (execute_policy "off"), so that they still start as every Python run
// does (with -S; see guarded) rather than paying site's imports.
func (s *Service) WithStarter(st StarterSource) *Service {
	s.start = st
	return s
}

// policyRequest is the check a run needs; false when it needs none.
func (s *Service) policyRequest(p Prepared, interactive bool) (validate.Request, bool) {
	// Only Python has a policy; for compiled languages the check would be a
	// syntax check that the compile step repeats anyway (with its own,
	// larger limits, so a hostile #include fails there as a compile error).
	if s.val == nil || p.Language != "python" {
		return validate.Request{}, false
	}
	// An image's Python has its own modules (rclpy...) that the policy,
	// written for the server's Python, would refuse; the container is the
	// boundary there, as the sandbox is here.
	if p.runtime != nil {
		return validate.Request{}, false
	}
	return validate.Request{Code: p.Code, Language: p.Language, Policy: s.policy, HasStdin: interactive || p.Stdin != nil}, true
}

// checkPolicy returns the warnings to pass on, or a RejectedError (already
// charged to the caller's check quota and recorded). The caller holds a
// sandbox slot: a check costs a sandboxed Python start, like a small run.
func (s *Service) checkPolicy(ctx context.Context, who Caller, p Prepared, req validate.Request) ([]string, error) {
	res, cached := s.cache.get(req)
	if !cached {
		// A caller who has used up the check quota gets no new checks
		// until it refills, whatever the code: otherwise rejected code
		// could keep the checkers busy for free.
		if _, err := s.checkQuota(ctx, who, checkQuota, false); err != nil {
			return nil, err
		}
		var verr error
		res, verr = s.val.Validate(ctx, req)
		if verr != nil {
			return nil, ValidationError(verr)
		}
		s.cache.put(req, res)
	}
	if res.PolicyViolation {
		return nil, s.reject(ctx, who, p, res)
	}
	return res.Warnings, nil
}

// reject charges a policy rejection to the caller's check quota and keeps
// it in history. Over the quota it is answered 429 and not recorded, so a
// flood of rejected code grows neither the database nor anyone's work.
func (s *Service) reject(ctx context.Context, who Caller, p Prepared, res validate.Result) error {
	if _, err := s.checkQuota(ctx, who, checkQuota, true); err != nil {
		return err
	}
	rej := &RejectedError{Result: res}
	s.recordRejected(ctx, who, p, rej.Error())
	return rej
}

// Check answers POST /validate with v. Every answered check counts against
// the caller's check quota; a verdict not in the cache is worked out holding
// a slot of the same bounded queue as runs, so a flood of checks waits or is
// refused (503, not charged) instead of crowding runs out. The decision is
// for the RateLimit-* headers (nil when the caller's role is not limited).
func (s *Service) Check(ctx context.Context, who Caller, v Validator, req validate.Request) (validate.Result, *ratelimit.Decision, error) {
	// Refuse a caller over the quota before it waits for anything.
	if _, err := s.checkQuota(ctx, who, checkQuota, false); err != nil {
		return validate.Result{}, nil, err
	}
	res, cached := s.cache.get(req)
	if !cached {
		var release func()
		var err error
		ctx, release, err = s.door.Enter(ctx, frontdoor.Ticket{User: who.queueKey(), Kind: frontdoor.KindCheck}, nil)
		if err != nil {
			return validate.Result{}, nil, err
		}
		defer release()
	}
	quota, err := s.checkQuota(ctx, who, checkQuota, true)
	if err != nil {
		return validate.Result{}, nil, err
	}
	if cached {
		return res, quota, nil
	}
	res, err = v.Validate(ctx, req)
	if err != nil {
		return validate.Result{}, quota, ValidationError(err)
	}
	s.cache.put(req, res)
	return res, quota, nil
}

// ValidationError classifies a validator failure for clients.
func ValidationError(err error) error {
	switch {
	case errors.Is(err, validate.ErrUnsupportedLanguage):
		return &apperr.Error{Kind: apperr.Invalid, Code: "unknown_language", Message: err.Error()}
	case errors.Is(err, validate.ErrUnknownPolicy):
		return &apperr.Error{Kind: apperr.Invalid, Code: "unknown_policy", Message: err.Error()}
	case errors.Is(err, validate.ErrTooLarge):
		return &apperr.Error{Kind: apperr.TooLarge, Code: "code_too_large", Message: err.Error()}
	case errors.Is(err, context.Canceled):
		return &apperr.Error{Kind: apperr.Busy, Code: "cancelled", Message: "request ended during validation", Err: err}
	}
	// The checker itself failed (it runs in a sandbox with tight limits; a
	// hostile #include can exhaust them): no verdict, so no run.
	return &apperr.Error{Kind: apperr.Busy, Code: "validation_unavailable", Message: "the code could not be checked; try again", RetryAfter: time.Second, Err: err}
}

// verdictCache remembers recent verdicts: learners press Run on the same
// code again and again, and a check costs a sandboxed Python start.
type verdictCache struct {
	mu    sync.Mutex
	m     map[[32]byte]validate.Result
	order [][32]byte
	max   int
}

func newVerdictCache(max int) *verdictCache {
	return &verdictCache{m: map[[32]byte]validate.Result{}, max: max}
}

func cacheKey(r validate.Request) [32]byte {
	h := sha256.New()
	flag := "0"
	if r.HasStdin {
		flag = "1"
	}
	for _, part := range []string{r.Language, r.Policy, flag, r.Code} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	var k [32]byte
	copy(k[:], h.Sum(nil))
	return k
}

func (c *verdictCache) get(r validate.Request) (validate.Result, bool) {
	if c == nil {
		return validate.Result{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	res, ok := c.m[cacheKey(r)]
	return res, ok
}

func (c *verdictCache) put(r validate.Request, res validate.Result) {
	if c == nil || c.max <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	k := cacheKey(r)
	if _, ok := c.m[k]; ok {
		return
	}
	if len(c.order) >= c.max {
		delete(c.m, c.order[0])
		c.order = c.order[1:]
	}
	c.m[k] = res
	c.order = append(c.order, k)
}
