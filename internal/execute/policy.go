package execute

import (
	"context"
	"crypto/sha256"
	"errors"
	"sync"
	"time"

	"github.com/runblock/runblock/internal/apperr"
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
	return s
}

// checkPolicy returns the warnings to pass on, or a RejectedError.
func (s *Service) checkPolicy(ctx context.Context, p Prepared, interactive bool) ([]string, error) {
	// Only Python has a policy; for compiled languages the check would be a
	// syntax check that the compile step repeats anyway (with its own,
	// larger limits, so a hostile #include fails there as a compile error).
	if s.val == nil || p.Language != "python" {
		return nil, nil
	}
	req := validate.Request{Code: p.Code, Language: p.Language, Policy: s.policy, HasStdin: interactive || p.Stdin != nil}
	res, cached := s.cache.get(req)
	if !cached {
		var verr error
		res, verr = s.val.Validate(ctx, req)
		if verr != nil {
			return nil, ValidationError(verr)
		}
		s.cache.put(req, res)
	}
	if res.PolicyViolation {
		return nil, &RejectedError{Result: res}
	}
	return res.Warnings, nil
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
