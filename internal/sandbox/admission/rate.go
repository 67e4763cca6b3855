package admission

import "time"

// serviceTime is a moving average of how long a class's tickets hold their
// slot. The drain rate is derived from it (capacity / service time) rather
// than by counting completions per wall-clock second: those drop to zero
// whenever the server idles, which is exactly when a burst arrives and
// needs an honest estimate. Under load both are the same number.
type serviceTime struct {
	avg     time.Duration
	samples int
}

func (s *serviceTime) add(d time.Duration) {
	s.samples++
	if s.samples == 1 {
		s.avg = d
		return
	}
	s.avg = time.Duration(ewmaAlpha*float64(d) + (1-ewmaAlpha)*float64(s.avg))
}

// drainRate is tickets finished per second with capacity slots busy.
func (s *serviceTime) drainRate(capacity int) float64 {
	avg := max(s.avg, time.Millisecond)
	return float64(capacity) / avg.Seconds()
}

// wait is how long until n tickets ahead have drained at rate per second.
func wait(n int, rate float64) time.Duration {
	if rate <= 0 {
		return maxRetryAfter
	}
	return time.Duration(float64(n) / rate * float64(time.Second))
}

func clampRetry(d time.Duration) time.Duration {
	return min(max(d, minRetryAfter), maxRetryAfter)
}
