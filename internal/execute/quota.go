package execute

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/runblock/runblock/internal/apperr"
	"github.com/runblock/runblock/internal/ratelimit"
)

// quotaKind is one of the caller's quotas. Runs have the configured quota;
// other kinds have a multiple of it under their own limiter key.
type quotaKind struct {
	prefix string // limiter key prefix
	code   string // error code when it is used up
	noun   string // what it counts, for the message
}

var (
	runQuota = quotaKind{"user:", "rate_limited", "executions"}
	// Runs the browser reports: the server does no work for them, but each
	// one is a row in history.
	reportQuota = quotaKind{"report:", "rate_limited", "reported runs"}
	// POST /validate and rejected runs: each costs a sandboxed check, and a
	// rejection is a row in history.
	checkQuota = quotaKind{"check:", "check_rate_limited", "checks"}
)

// reportFactor sizes the report quota from the run quota.
const reportFactor = 6

// DefaultCheckFactor sizes the check quota when Config.CheckFactor is 0:
// a learner checks and gets rejected more often than they run.
const DefaultCheckFactor = 6

// limit is who's quota of kind k; false when the role is not limited.
func (s *Service) limit(who Caller, k quotaKind) (ratelimit.Limit, bool) {
	lim, ok := s.cfg.RateLimits[who.Role]
	if s.lim == nil || !ok {
		return lim, false
	}
	switch k {
	case reportQuota:
		lim.Rate *= reportFactor
	case checkQuota:
		f := s.cfg.CheckFactor
		if f <= 0 {
			f = DefaultCheckFactor
		}
		lim.Rate *= f
	}
	return lim, true
}

// checkQuota asks the limiter about who's quota of kind k; consume counts
// one. It returns nil, nil when the caller's role is not limited.
func (s *Service) checkQuota(ctx context.Context, who Caller, k quotaKind, consume bool) (*ratelimit.Decision, error) {
	lim, ok := s.limit(who, k)
	if !ok {
		return nil, nil
	}
	return s.decide(ctx, k, k.prefix+who.quotaKey(), lim, consume)
}

// AllowReport counts one browser-reported run against its own quota.
func (s *Service) AllowReport(ctx context.Context, who Caller) (*ratelimit.Decision, error) {
	return s.checkQuota(ctx, who, reportQuota, true)
}

func (s *Service) decide(ctx context.Context, k quotaKind, key string, lim ratelimit.Limit, consume bool) (*ratelimit.Decision, error) {
	var d ratelimit.Decision
	var err error
	if consume {
		d, err = s.lim.Allow(ctx, key, lim)
	} else {
		d, err = s.lim.Peek(ctx, key, lim)
	}
	if err != nil {
		if errors.Is(err, ratelimit.ErrUnavailable) && s.cfg.FailOpen {
			s.log.WarnContext(ctx, "rate limiter unavailable; admitting run (fail_open)", "err", err)
			return nil, nil
		}
		s.log.ErrorContext(ctx, "rate limiter unavailable; refusing run", "err", err)
		e := apperr.New(apperr.Busy, "rate_limiter_unavailable", "rate limiting is unavailable; try again shortly")
		e.RetryAfter, e.Err = 5*time.Second, err
		return nil, e
	}
	if !d.Allowed {
		e := apperr.New(apperr.RateLimited, k.code,
			"rate limit reached: %d %s per %s; try again in %s", d.Limit, k.noun, periodName(lim.Period), ceilSeconds(d.RetryAfter))
		e.RetryAfter = d.RetryAfter
		e.Headers = QuotaHeaders(&d)
		return nil, e
	}
	return &d, nil
}

// QuotaHeaders are the RateLimit-* headers (IETF draft) for a decision.
func QuotaHeaders(d *ratelimit.Decision) map[string]string {
	if d == nil {
		return nil
	}
	return map[string]string{
		"RateLimit-Limit":     strconv.Itoa(d.Limit),
		"RateLimit-Remaining": strconv.Itoa(d.Remaining),
		"RateLimit-Reset":     strconv.Itoa(int(math.Ceil(d.ResetAfter.Seconds()))),
	}
}

// Quota reports the caller's standing without consuming anything (GET /stats).
func (s *Service) Quota(ctx context.Context, who Caller) (ratelimit.Decision, ratelimit.Limit, bool, error) {
	lim, ok := s.limit(who, runQuota)
	if !ok {
		return ratelimit.Decision{}, ratelimit.Limit{}, false, nil
	}
	d, err := s.lim.Peek(ctx, runQuota.prefix+who.quotaKey(), lim)
	if err != nil {
		return d, lim, true, &apperr.Error{Kind: apperr.Busy, Code: "rate_limiter_unavailable", Message: "rate limiting is unavailable", RetryAfter: 5 * time.Second, Err: err}
	}
	return d, lim, true, nil
}

func periodName(p time.Duration) string {
	if p == time.Minute {
		return "minute"
	}
	return p.String()
}

func ceilSeconds(d time.Duration) string {
	return fmt.Sprintf("%ds", int(math.Ceil(d.Seconds())))
}
