package admission

import (
	"errors"
	"time"
)

// Config sizes the queue. Zero fields take the defaults below.
type Config struct {
	Slots      int           // tickets holding a slot at once (required)
	MaxWaiting int           // waiting tickets per class; default 256, negative: none (refuse when full)
	MaxWait    time.Duration // longest a ticket may wait; default 2 min
	// Per user and class; default 1 running + 1 waiting.
	PerUserRunning int
	PerUserWaiting int
	// LightReserved slots are kept from the heavy class for checks and
	// probes even when no check waits: default 0 (checks already go first
	// whenever a slot frees, so a reserve only buys latency for idle slots).
	LightReserved int
	// LightMax caps the slots checks and probes hold: default Slots/2 (at least 1).
	LightMax int
	// Service times assumed before any ticket has finished, per class:
	// default 1 s for runs and 100 ms for checks.
	InitialRunTime   time.Duration
	InitialCheckTime time.Duration
	Clock            Clock // default: the real clock
}

const (
	// Retry-After stays within these bounds whatever the estimate says:
	// under a second clients would hammer the server, and past five minutes
	// a learner has given up anyway.
	minRetryAfter = time.Second
	maxRetryAfter = 5 * time.Minute
	// A refusal up front needs an estimate built from a few finished
	// tickets, not the initial guess.
	minSamples = 8
	// Weight of the newest service time in the moving average: recent
	// enough to follow a class switching from hello-world to 1 s loops,
	// smooth enough that one memory bomb killed at once doesn't swing it.
	ewmaAlpha = 0.2
)

func (c Config) withDefaults() (Config, error) {
	if c.Slots < 1 {
		return c, errors.New("admission: Slots must be at least 1")
	}
	switch {
	case c.MaxWaiting == 0:
		c.MaxWaiting = 256
	case c.MaxWaiting < 0:
		c.MaxWaiting = 0
	}
	if c.MaxWait == 0 {
		c.MaxWait = 2 * time.Minute
	}
	if c.PerUserRunning == 0 {
		c.PerUserRunning = 1
	}
	if c.PerUserWaiting == 0 {
		c.PerUserWaiting = 1
	}
	c.LightReserved = max(c.LightReserved, 0)
	if c.LightReserved >= c.Slots {
		c.LightReserved = c.Slots - 1
	}
	if c.LightMax <= 0 {
		c.LightMax = max(1, c.Slots/2)
	}
	c.LightMax = min(c.LightMax, c.Slots)
	if c.InitialRunTime <= 0 {
		c.InitialRunTime = time.Second
	}
	if c.InitialCheckTime <= 0 {
		c.InitialCheckTime = 100 * time.Millisecond
	}
	if c.Clock == nil {
		c.Clock = realClock{}
	}
	if c.PerUserRunning < 0 || c.PerUserWaiting < 0 || c.MaxWait < 0 {
		return c, errors.New("admission: negative limit")
	}
	return c, nil
}
