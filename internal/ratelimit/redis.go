package ratelimit

import (
	"context"
	"fmt"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
)

// redisSlack covers the script's float rounding (observed: a few µs; the
// stored TAT keeps 10 µs) so 8.9999 units left are reported as 9.
const redisSlack = 20 * time.Microsecond

// Redis is the Limiter shared by all replicas. The GCRA step runs as one
// Lua script (redis_rate), so concurrent replicas cannot over-admit.
type Redis struct {
	client  redis.UniversalClient
	limiter *redis_rate.Limiter
	prefix  string
}

// NewRedis stores state under keys "rate:"+prefix+key; give each
// deployment (and each test) its own prefix.
func NewRedis(client redis.UniversalClient, prefix string) *Redis {
	return &Redis{client: client, limiter: redis_rate.NewLimiter(client), prefix: prefix}
}

// Allow implements Limiter.
func (r *Redis) Allow(ctx context.Context, key string, l Limit) (Decision, error) {
	res, err := r.run(ctx, key, l, 1)
	if err != nil {
		return Decision{}, err
	}
	return decide(l, res.Allowed > 0, res.ResetAfter, redisSlack), nil
}

// Peek implements Limiter. With cost 0 the script computes the same TAT and
// at most rewrites the stored one unchanged, so nothing is consumed.
func (r *Redis) Peek(ctx context.Context, key string, l Limit) (Decision, error) {
	res, err := r.run(ctx, key, l, 0)
	if err != nil {
		return Decision{}, err
	}
	return peekDecision(l, res.ResetAfter, redisSlack), nil
}

// Ping is for /readyz.
func (r *Redis) Ping(ctx context.Context) error {
	if err := r.client.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("%w: ping: %w", ErrUnavailable, err)
	}
	return nil
}

func (r *Redis) run(ctx context.Context, key string, l Limit, cost int) (*redis_rate.Result, error) {
	if err := l.Validate(); err != nil {
		return nil, err
	}
	rl := redis_rate.Limit{Rate: l.Rate, Burst: l.Rate, Period: l.Period}
	res, err := r.limiter.AllowN(ctx, r.prefix+key, rl, cost)
	if err != nil {
		// The cause stays wrapped so callers can still tell their own
		// cancellation (context.Canceled) from an outage.
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return res, nil
}
