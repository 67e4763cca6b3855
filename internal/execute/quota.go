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

// checkQuota asks the limiter about who's quota; consume counts one run.
// It returns nil, nil when the caller's role is not limited.
func (s *Service) checkQuota(ctx context.Context, who Caller, consume bool) (*ratelimit.Decision, error) {
	lim, ok := s.cfg.RateLimits[who.Role]
	if s.lim == nil || !ok {
		return nil, nil
	}
	return s.decide(ctx, "user:"+who.UserID, lim, consume)
}

// reportFactor sizes the quota for runs the browser reports: the server
// does no work for them, but each one is a row in history.
const reportFactor = 6

// AllowReport counts one browser-reported run against its own quota.
func (s *Service) AllowReport(ctx context.Context, who Caller) (*ratelimit.Decision, error) {
	lim, ok := s.cfg.RateLimits[who.Role]
	if s.lim == nil || !ok {
		return nil, nil
	}
	lim.Rate *= reportFactor
	return s.decide(ctx, "report:"+who.UserID, lim, true)
}

func (s *Service) decide(ctx context.Context, key string, lim ratelimit.Limit, consume bool) (*ratelimit.Decision, error) {
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
		e := apperr.New(apperr.RateLimited, "rate_limited",
			"rate limit reached: %d executions per %s; try again in %s", d.Limit, periodName(lim.Period), ceilSeconds(d.RetryAfter))
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
	lim, ok := s.cfg.RateLimits[who.Role]
	if s.lim == nil || !ok {
		return ratelimit.Decision{}, ratelimit.Limit{}, false, nil
	}
	d, err := s.lim.Peek(ctx, "user:"+who.UserID, lim)
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
