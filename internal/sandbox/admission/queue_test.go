package admission

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/runblock/runblock/internal/sandbox"
)

func TestFirstComeFirstServedAcrossUsers(t *testing.T) {
	q := mustNew(t, Config{Slots: 1})
	release := hold(t, q, Ticket{User: "first"})
	var line []*pending
	for i := range 5 {
		p := submit(q, user(i), Ticket{User: user(i)})
		if pos := p.queued(t); pos != i+1 {
			t.Fatalf("%s queued at %d, want %d", p.name, pos, i+1)
		}
		line = append(line, p)
	}
	for _, p := range line {
		release()
		release = p.granted(t)
		if s := q.Stats(); s.Running != 1 {
			t.Fatalf("running %d after granting %s", s.Running, p.name)
		}
	}
	release()
	if s := q.Stats(); s.Running != 0 || s.Waiting != 0 {
		t.Fatalf("left over: %+v", s)
	}
}

func TestUserWithTenAtOnceHoldsOneRunningOneWaiting(t *testing.T) {
	q := mustNew(t, Config{Slots: 4})
	other := submit(q, "other", Ticket{User: "other"}) // a free slot: must not be blocked by the flood
	defer other.granted(t)()

	var ps []*pending
	for i := range 10 {
		ps = append(ps, submit(q, user(i), Ticket{User: "greedy"}))
	}
	var releases []func()
	replaced := 0
	// One of the ten gets the slot at once; every other but the newest
	// waiting one is replaced.
	waitFor(t, "greedy settled", func() bool {
		s := q.Stats()
		return s.Waiting == 1 && s.Running == 2
	})
	// Nine of the ten return (one with the slot, eight replaced); the
	// newest stays in line.
	left := ps
	deadline := time.Now().Add(hang)
	for len(left) > 1 && time.Now().Before(deadline) {
		rest := left[:0]
		for _, p := range left {
			select {
			case o := <-p.done:
				switch {
				case o.err == nil:
					releases = append(releases, o.release)
				case errors.Is(o.err, ErrReplaced):
					replaced++
				default:
					t.Fatalf("%s: %v", p.name, o.err)
				}
			default:
				rest = append(rest, p)
			}
		}
		left = rest
		time.Sleep(time.Millisecond)
	}
	var survivor *pending
	if len(left) == 1 {
		survivor = left[0]
	}
	if len(releases) != 1 || replaced != 8 || survivor == nil {
		t.Fatalf("running %d, replaced %d, survivor %v; want 1, 8, one", len(releases), replaced, survivor != nil)
	}
	releases[0]()
	survivor.granted(t)()
}

func TestReplacementKeepsItsPlace(t *testing.T) {
	q := mustNew(t, Config{Slots: 1})
	release := hold(t, q, Ticket{User: "holder"})
	a1 := submit(q, "a1", Ticket{User: "a"})
	a1.queued(t)
	b := submit(q, "b", Ticket{User: "b"})
	if pos := b.queued(t); pos != 2 {
		t.Fatalf("b at %d", pos)
	}
	a2 := submit(q, "a2", Ticket{User: "a"})
	if pos := a2.queued(t); pos != 1 {
		t.Fatalf("replacing ticket at %d, want the replaced one's place 1", pos)
	}
	if o := a1.result(t); !errors.Is(o.err, ErrReplaced) {
		t.Fatalf("a1: %v", o.err)
	}
	if errors.Is(ErrReplaced, sandbox.ErrBusy) {
		t.Fatal("replaced must be told apart from busy")
	}
	release()
	a2.granted(t)()
	b.granted(t)()
}

func TestCancelLeavesAtOnceAndMovesOthersUp(t *testing.T) {
	q := mustNew(t, Config{Slots: 1})
	release := hold(t, q, Ticket{User: "holder"})
	a := submit(q, "a", Ticket{User: "a"})
	a.queued(t)
	b := submit(q, "b", Ticket{User: "b"})
	b.queued(t)
	c := submit(q, "c", Ticket{User: "c"})
	if pos := c.queued(t); pos != 3 {
		t.Fatalf("c at %d", pos)
	}
	b.cancel()
	if o := b.result(t); !errors.Is(o.err, context.Canceled) {
		t.Fatalf("cancelled b: %v", o.err)
	}
	select {
	case pos := <-c.pos:
		if pos != 2 {
			t.Fatalf("c moved to %d, want 2", pos)
		}
	case <-time.After(hang):
		t.Fatal("c never moved up")
	}
	if s := q.Stats(); s.Waiting != 2 {
		t.Fatalf("waiting %d after cancel, want 2", s.Waiting)
	}
	release()
	a.granted(t)()
	c.granted(t)()
}

func TestCancelFreesPlaceInAFullLine(t *testing.T) {
	q := mustNew(t, Config{Slots: 1, MaxWaiting: 2})
	release := hold(t, q, Ticket{User: "holder"})
	a := submit(q, "a", Ticket{User: "a"})
	a.queued(t)
	b := submit(q, "b", Ticket{User: "b"})
	b.queued(t)
	if _, err := q.Admit(context.Background(), Ticket{User: "c"}, nil); !errors.Is(err, sandbox.ErrBusy) {
		t.Fatalf("full line: %v", err)
	}
	a.cancel()
	a.result(t)
	c := submit(q, "c", Ticket{User: "c"})
	if pos := c.queued(t); pos != 2 {
		t.Fatalf("c at %d", pos)
	}
	release()
	b.granted(t)()
	c.granted(t)()
}

func TestPositionsStrictlyDecrease(t *testing.T) {
	q := mustNew(t, Config{Slots: 3, LightReserved: -1})
	var releases []func()
	for i := range 3 {
		releases = append(releases, hold(t, q, Ticket{User: "h" + user(i)}))
	}
	var ps []*pending
	seen := map[*pending][]int{}
	for i := range 30 {
		p := submit(q, user(i), Ticket{User: user(i)})
		pos := p.queued(t)
		if pos != i+1 {
			t.Fatalf("%s first at %d", p.name, pos)
		}
		seen[p] = []int{pos}
		ps = append(ps, p)
	}
	ps[7].cancel() // a departure in the middle moves those behind it too
	ps[7].result(t)
	for _, p := range ps {
		if p == ps[7] {
			continue
		}
		// Let the head of the line see that it is next before it starts.
		for seen[p][len(seen[p])-1] != 1 {
			select {
			case pos := <-p.pos:
				seen[p] = append(seen[p], pos)
			case <-time.After(hang):
				t.Fatalf("%s never reached the front: %v", p.name, seen[p])
			}
		}
		releases[0]()
		releases = append(releases[1:], p.granted(t))
	}
	for _, r := range releases {
		r()
	}
	for _, p := range ps {
		close(p.pos)
		for pos := range p.pos {
			seen[p] = append(seen[p], pos)
		}
		got := seen[p]
		for i := 1; i < len(got); i++ {
			if got[i] >= got[i-1] {
				t.Fatalf("%s: positions %v", p.name, got)
			}
		}
	}
	if got := seen[ps[29]]; len(got) < 2 {
		t.Fatalf("last in line reported only %v", got)
	}
}

func TestRefusesOnlyPastTheBound(t *testing.T) {
	q := mustNew(t, Config{Slots: 1, MaxWaiting: 3})
	release := hold(t, q, Ticket{User: "holder"})
	var ps []*pending
	for i := range 3 {
		p := submit(q, user(i), Ticket{User: user(i)})
		p.queued(t)
		ps = append(ps, p)
	}
	_, err := q.Admit(context.Background(), Ticket{User: "late"}, nil)
	var busy *BusyError
	if !errors.As(err, &busy) || !errors.Is(err, sandbox.ErrBusy) || busy.RetryAfter < minRetryAfter {
		t.Fatalf("past the bound: %v", err)
	}
	// Replacing doesn't lengthen the line, so it is never refused.
	again := submit(q, "u01 again", Ticket{User: user(1)})
	if pos := again.queued(t); pos != 2 {
		t.Fatalf("replacement at %d", pos)
	}
	if o := ps[1].result(t); !errors.Is(o.err, ErrReplaced) {
		t.Fatalf("replaced: %v", o.err)
	}
	release()
	ps[0].granted(t)()
	again.granted(t)()
	ps[2].granted(t)()
}

func TestExpiresAfterLongestWait(t *testing.T) {
	clk := newFakeClock()
	q := mustNew(t, Config{Slots: 1, MaxWait: time.Minute, Clock: clk})
	release := hold(t, q, Ticket{User: "holder"})
	defer release()
	a := submit(q, "a", Ticket{User: "a"})
	a.queued(t)
	clk.Advance(59 * time.Second)
	select {
	case o := <-a.done:
		t.Fatalf("ended early: %v", o.err)
	default:
	}
	clk.Advance(time.Second)
	var busy *BusyError
	if o := a.result(t); !errors.As(o.err, &busy) {
		t.Fatalf("after the longest wait: %v", o.err)
	}
	if s := q.Stats(); s.Waiting != 0 {
		t.Fatalf("expired ticket still waiting: %+v", s)
	}
}

func TestChecksGoFirstWhenASlotFrees(t *testing.T) {
	q := mustNew(t, Config{Slots: 2})
	r1 := hold(t, q, Ticket{User: "r1"})
	r2 := hold(t, q, Ticket{User: "r2"})
	var runs []*pending
	for i := range 5 {
		p := submit(q, user(i), Ticket{User: user(i), Kind: Run})
		p.queued(t)
		runs = append(runs, p)
	}
	check := submit(q, "check", Ticket{User: "c", Kind: Check})
	if pos := check.queued(t); pos != 1 {
		t.Fatalf("a check's place counts checks only: %d", pos)
	}
	r1()
	releaseCheck := check.granted(t) // before the five runs that came earlier
	select {
	case o := <-runs[0].done:
		t.Fatalf("a run took the slot the check was due: %v", o.err)
	default:
	}
	releaseCheck()
	runs[0].granted(t)()
	r2()
	releaseAll(t, runs[1:])
}

func TestReservedSlotForChecks(t *testing.T) {
	q := mustNew(t, Config{Slots: 4, LightReserved: 1})
	var releases []func()
	for i := range 3 {
		releases = append(releases, hold(t, q, Ticket{User: user(i), Kind: Run}))
	}
	run := submit(q, "run", Ticket{User: "r", Kind: Run})
	run.queued(t) // the fourth slot is kept for checks
	check := submit(q, "check", Ticket{User: "c", Kind: Check})
	check.granted(t)()
	probe := submit(q, "probe", Ticket{Kind: Probe})
	probe.granted(t)()
	releases[0]()
	run.granted(t)()
	for _, r := range releases[1:] {
		r()
	}
}

func TestChecksCannotStarveRuns(t *testing.T) {
	q := mustNew(t, Config{Slots: 4})
	var checks []*pending
	for i := range 10 {
		checks = append(checks, submit(q, user(i), Ticket{User: user(i), Kind: Check}))
	}
	waitFor(t, "checks settled", func() bool { s := q.Stats(); return s.Running+s.Waiting == 10 })
	if s := q.Stats(); s.Running != 2 {
		t.Fatalf("checks hold %d slots, want LightMax 2", s.Running)
	}
	r1 := hold(t, q, Ticket{User: "r1"})
	r2 := hold(t, q, Ticket{User: "r2"})
	r1()
	r2()
	releaseAll(t, checks)
}

func TestPerUserRunningCapDoesNotBlockOthers(t *testing.T) {
	q := mustNew(t, Config{Slots: 2})
	mine := hold(t, q, Ticket{User: "me"})
	again := submit(q, "again", Ticket{User: "me"})
	again.queued(t)
	hold(t, q, Ticket{User: "you"})() // behind my blocked ticket, yet a slot is free
	mine()
	again.granted(t)()
}

// Retry-After must follow how fast the line really moves: simulate a steady
// state of 4 slots whose runs take 1–3 s, then fill the line.
func TestRetryAfterFollowsDrainRate(t *testing.T) {
	for _, tc := range []struct {
		name    string
		slots   int
		minTime time.Duration
		maxTime time.Duration
	}{
		{"short runs", 4, 100 * time.Millisecond, 300 * time.Millisecond},
		{"long runs", 4, time.Second, 3 * time.Second},
		{"one slot", 1, 2 * time.Second, 6 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := newFakeClock()
			const line = 60
			q := mustNew(t, Config{Slots: tc.slots, LightReserved: -1, MaxWaiting: line, MaxWait: time.Hour, Clock: clk})
			type slot struct {
				release func()
				end     time.Time
			}
			var running []slot
			spread := tc.maxTime - tc.minTime
			seed := uint64(1)
			start := clk.Now()
			done := 0
			for done < 400 {
				for len(running) < tc.slots {
					seed = seed*6364136223846793005 + 1442695040888963407
					d := tc.minTime + time.Duration(seed>>33)%spread
					running = append(running, slot{hold(t, q, Ticket{}), clk.Now().Add(d)})
				}
				next := 0
				for i, s := range running {
					if s.end.Before(running[next].end) {
						next = i
					}
				}
				clk.Advance(running[next].end.Sub(clk.Now()))
				running[next].release()
				running = append(running[:next], running[next+1:]...)
				done++
			}
			trueRate := float64(done) / clk.Now().Sub(start).Seconds()
			for len(running) < tc.slots {
				running = append(running, slot{hold(t, q, Ticket{}), clk.Now()})
			}
			var waiters []*pending
			for i := range line {
				p := submit(q, user(i), Ticket{User: user(i)})
				p.queued(t)
				waiters = append(waiters, p)
			}
			_, err := q.Admit(context.Background(), Ticket{User: "refused"}, nil)
			var busy *BusyError
			if !errors.As(err, &busy) {
				t.Fatalf("full line: %v", err)
			}
			want := time.Duration(float64(line) / trueRate * float64(time.Second))
			if busy.RetryAfter < want/2 || busy.RetryAfter > want*2 {
				t.Fatalf("Retry-After %s, backlog drains in %s at the true rate %.2f/s", busy.RetryAfter, want, trueRate)
			}
			if r := q.Stats().DrainRate; r < trueRate/2 || r > trueRate*2 {
				t.Fatalf("drain rate %.2f/s, true %.2f/s", r, trueRate)
			}
			for _, p := range waiters {
				p.cancel()
				p.result(t)
			}
			for _, s := range running {
				s.release()
			}
		})
	}
}

// Many users arriving, cancelling and replacing at once: the counts must
// come back to zero and no ticket may be lost (run with -race).
func TestConcurrentChurnKeepsCountsRight(t *testing.T) {
	q := mustNew(t, Config{Slots: 3, MaxWaiting: 16})
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 25 {
				ctx, cancel := context.WithCancel(context.Background())
				if (i+j)%5 == 0 {
					cancel()
				}
				kind := Run
				if j%4 == 0 {
					kind = Check
				}
				rel, err := q.Admit(ctx, Ticket{User: user(i % 12), Kind: kind}, func(int, time.Duration) {
					if j%3 == 0 {
						cancel()
					}
				})
				if err == nil {
					rel()
					rel() // a second release must not free another slot
				} else if !errors.Is(err, context.Canceled) && !errors.Is(err, ErrReplaced) && !errors.Is(err, sandbox.ErrBusy) {
					t.Errorf("unexpected: %v", err)
				}
				cancel()
			}
		}()
	}
	wg.Wait()
	if s := q.Stats(); s.Running != 0 || s.Waiting != 0 {
		t.Fatalf("after churn: %+v", s)
	}
}

func TestETAFollowsMeasuredServiceTime(t *testing.T) {
	clk := newFakeClock()
	q := mustNew(t, Config{Slots: 2, LightReserved: -1, InitialRunTime: 2 * time.Second, Clock: clk})
	r1 := hold(t, q, Ticket{User: "h1"})
	r2 := hold(t, q, Ticket{User: "h2"})
	var ps []*pending
	for i := range 3 {
		p := submit(q, user(i), Ticket{User: user(i)})
		p.queued(t)
		ps = append(ps, p)
	}
	if eta := <-ps[2].eta; eta != 3*time.Second {
		t.Fatalf("third in line with 2 slots of 2 s: eta %s, want 3s", eta)
	}
	// Runs turn out to take 4 s: the estimate follows the measurement.
	clk.Advance(4 * time.Second)
	r1()
	r3 := ps[0].granted(t)
	select {
	case pos := <-ps[2].pos:
		if eta := <-ps[2].eta; pos != 2 || eta != 4*time.Second {
			t.Fatalf("second in line after a 4 s run: position %d, eta %s; want 2, 4s", pos, eta)
		}
	case <-time.After(hang):
		t.Fatal("no position update")
	}
	r2()
	r3()
	ps[1].granted(t)()
	ps[2].granted(t)()
}

func TestNoWaitingPlacesRefusesAtOnce(t *testing.T) {
	q := mustNew(t, Config{Slots: 1, MaxWaiting: -1})
	release := hold(t, q, Ticket{User: "a"})
	if _, err := q.Admit(context.Background(), Ticket{User: "b"}, nil); !errors.Is(err, sandbox.ErrBusy) {
		t.Fatalf("no waiting places: %v", err)
	}
	if _, err := q.Admit(context.Background(), Ticket{User: "a"}, nil); !errors.Is(err, sandbox.ErrBusy) {
		t.Fatalf("no waiting places, same user: %v", err)
	}
	release()
	hold(t, q, Ticket{User: "b"})()
}
