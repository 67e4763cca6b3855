package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/runblock/runblock/internal/store"
)

func testMarkInterrupted(t *testing.T, s store.Store) {
	ctx := context.Background()
	for i := range 3 {
		e := store.Execution{ID: fmt.Sprintf("live-%d", i), UserID: "u", CreatedAt: base}
		mustCreate(t, s, &e)
	}
	done := store.Execution{ID: "done", UserID: "u", Status: store.StatusSuccess, CreatedAt: base,
		FinishedAt: ptr(base.Add(time.Second))}
	mustCreate(t, s, &done)
	// A run that started after the cutoff belongs to a live replica.
	young := store.Execution{ID: "young", UserID: "u", CreatedAt: base.Add(time.Hour)}
	mustCreate(t, s, &young)

	n, err := s.MarkInterrupted(ctx, base.Add(time.Minute))
	if err != nil || n != 3 {
		t.Fatalf("MarkInterrupted = %d, %v; want 3", n, err)
	}
	for i := range 3 {
		e := mustGet(t, s, "u", fmt.Sprintf("live-%d", i))
		if e.Status != store.StatusInterrupted || e.FinishedAt == nil {
			t.Errorf("%s: status %q finished %v; want interrupted with a finish time", e.ID, e.Status, e.FinishedAt)
		}
	}
	if e := mustGet(t, s, "u", "done"); e.Status != store.StatusSuccess || !sameTimePtr(e.FinishedAt, done.FinishedAt) {
		t.Errorf("finished execution touched: %+v", e)
	}
	if e := mustGet(t, s, "u", "young"); e.Status != store.StatusRunning {
		t.Errorf("run newer than the cutoff was marked: %+v", e)
	}
	if n, err := s.MarkInterrupted(ctx, base.Add(time.Minute)); err != nil || n != 0 {
		t.Errorf("second MarkInterrupted = %d, %v; want 0", n, err)
	}
}

func testPrune(t *testing.T, s store.Store) {
	ctx := context.Background()
	for i := range 10 {
		e := store.Execution{ID: fmt.Sprintf("r%02d", i), UserID: "u", CreatedAt: base.Add(time.Duration(i) * time.Hour)}
		mustCreate(t, s, &e)
	}
	cutoff := base.Add(6 * time.Hour)
	n, err := s.Prune(ctx, cutoff)
	if err != nil || n != 6 {
		t.Fatalf("Prune = %d, %v; want 6", n, err)
	}
	left := listAll(t, s, "u")
	if len(left) != 4 {
		t.Fatalf("%d executions left, want 4", len(left))
	}
	for _, e := range left {
		if e.CreatedAt.Before(cutoff) {
			t.Errorf("%s created %v survived prune before %v", e.ID, e.CreatedAt, cutoff)
		}
	}
	if n, err := s.Prune(ctx, cutoff); err != nil || n != 0 {
		t.Errorf("second Prune = %d, %v; want 0", n, err)
	}
}

func testConcurrentWriters(t *testing.T, s store.Store) {
	ctx := context.Background()
	const writers = 50
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for i := range writers {
		wg.Go(func() {
			e := store.Execution{UserID: "crowd", Language: "python", Code: fmt.Sprintf("print(%d)", i)}
			if err := s.CreateExecution(ctx, &e); err != nil {
				errs <- fmt.Errorf("create %d: %w", i, err)
				return
			}
			e.Status = store.StatusSuccess
			e.ExitCode = ptr(0)
			e.Output = fmt.Sprintf("%d\n", i)
			if err := s.FinishExecution(ctx, &e); err != nil {
				errs <- fmt.Errorf("finish %d: %w", i, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	all := listAll(t, s, "crowd")
	if len(all) != writers {
		t.Fatalf("recorded %d executions, want %d", len(all), writers)
	}
	outputs := map[string]bool{}
	for _, e := range all {
		if e.Status != store.StatusSuccess {
			t.Errorf("%s left in status %q", e.ID, e.Status)
		}
		n := strings.TrimSuffix(strings.TrimPrefix(e.Code, "print("), ")")
		if e.Output != n+"\n" {
			t.Errorf("%s: output %q does not match code %q", e.ID, e.Output, e.Code)
		}
		outputs[e.Output] = true
	}
	if len(outputs) != writers {
		t.Errorf("%d distinct outputs, want %d", len(outputs), writers)
	}
	st, err := s.UserStats(ctx, "crowd")
	if err != nil || st.TotalExecutions != writers || st.Successes != writers {
		t.Errorf("stats after concurrent writes: %+v, %v", st, err)
	}
}

// unicodeText builds text near the output cap mixing 1- to 4-byte runes,
// combining marks, right-to-left script, tabs and newlines.
func unicodeText(limit int) string {
	const chunk = "héllo wörld\tΩ≈ç√ 日本語テキスト שלום עולם e\u0301 🐍🚀👩‍💻\r\n"
	var b strings.Builder
	for b.Len()+len(chunk) <= limit {
		b.WriteString(chunk)
	}
	return b.String()
}

func testLargeUnicodeOutput(t *testing.T, s store.Store) {
	out := unicodeText(store.MaxOutputBytes)
	errOut := unicodeText(store.MaxOutputBytes / 2)
	code := unicodeText(store.MaxCodeBytes)
	e := store.Execution{ID: "big", UserID: "u", Language: "python", Code: code, CreatedAt: base}
	mustCreate(t, s, &e)
	e.Status, e.Output, e.ErrorOutput = store.StatusSuccess, out, errOut
	if err := s.FinishExecution(context.Background(), &e); err != nil {
		t.Fatal(err)
	}
	got := mustGet(t, s, "u", "big")
	if got.Output != out || got.ErrorOutput != errOut || got.Code != code {
		t.Errorf("text altered in round trip: output %d→%d bytes, stderr %d→%d, code %d→%d",
			len(out), len(got.Output), len(errOut), len(got.ErrorOutput), len(code), len(got.Code))
	}
	if got.Truncated {
		t.Error("output within the caps marked truncated")
	}
}

func testHardCaps(t *testing.T, s store.Store) {
	// A 4-byte rune straddles the cap so a byte-wise cut would split it.
	out := strings.Repeat("a", store.MaxOutputBytes-2) + strings.Repeat("🐍", 1000)
	e := store.Execution{ID: "huge", UserID: "u", Code: strings.Repeat("x", store.MaxCodeBytes*2), CreatedAt: base}
	mustCreate(t, s, &e)
	e.Status, e.Output, e.ErrorOutput = store.StatusError, out, strings.Repeat("é", store.MaxOutputBytes)
	if err := s.FinishExecution(context.Background(), &e); err != nil {
		t.Fatal(err)
	}
	got := mustGet(t, s, "u", "huge")
	for name, v := range map[string]struct {
		s   string
		max int
	}{"code": {got.Code, store.MaxCodeBytes}, "output": {got.Output, store.MaxOutputBytes},
		"error output": {got.ErrorOutput, store.MaxOutputBytes}} {
		if len(v.s) > v.max || len(v.s) < v.max-utf8.UTFMax || !utf8.ValidString(v.s) {
			t.Errorf("%s stored as %d bytes (valid UTF-8: %v), want just under %d",
				name, len(v.s), utf8.ValidString(v.s), v.max)
		}
	}
	if !got.Truncated {
		t.Error("capped output not marked truncated")
	}
}

func testUnstorableBytes(t *testing.T, s store.Store) {
	e := store.Execution{ID: "bytes", UserID: "u", Code: "print('\x00')", CreatedAt: base}
	mustCreate(t, s, &e)
	e.Status, e.Output = store.StatusSuccess, "a\x00b\xffc"
	if err := s.FinishExecution(context.Background(), &e); err != nil {
		t.Fatalf("output with NUL and invalid UTF-8 rejected: %v", err)
	}
	got := mustGet(t, s, "u", "bytes")
	if got.Output != "a\uFFFDb\uFFFDc" || got.Code != "print('\uFFFD')" {
		t.Errorf("got output %q code %q; want NUL and bad bytes replaced by U+FFFD", got.Output, got.Code)
	}
}

func testCancelledContext(t *testing.T, s store.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	e := store.Execution{UserID: "u"}
	if err := s.CreateExecution(ctx, &e); !errors.Is(err, context.Canceled) {
		t.Errorf("CreateExecution with cancelled context: err = %v", err)
	}
	if _, _, err := s.ListExecutions(ctx, "u", store.Page{}); !errors.Is(err, context.Canceled) {
		t.Errorf("ListExecutions with cancelled context: err = %v", err)
	}
}

func testPing(t *testing.T, s store.Store) {
	if err := s.Ping(context.Background()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
}

// testCodeDigest: a row may keep a prefix of its code plus the SHA-256 of
// the whole (rejected runs); the digest round-trips and must be well formed.
func testCodeDigest(t *testing.T, s store.Store) {
	const digest = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	e := store.Execution{ID: "rej", UserID: "u", Status: store.StatusRejected, Code: "import os",
		CodeSHA256: digest, ErrorOutput: "denied", CreatedAt: base, FinishedAt: ptr(base)}
	mustCreate(t, s, &e)
	got := mustGet(t, s, "u", "rej")
	assertEqual(t, e, got)
	if got.CodeSHA256 != digest {
		t.Errorf("CodeSHA256 = %q, want %q", got.CodeSHA256, digest)
	}
	plain := store.Execution{ID: "plain", UserID: "u", Code: "print(1)", CreatedAt: base}
	mustCreate(t, s, &plain)
	if got := mustGet(t, s, "u", "plain"); got.CodeSHA256 != "" {
		t.Errorf("row without a digest reads back %q", got.CodeSHA256)
	}
	for _, bad := range []string{"abc", strings.ToUpper(digest), digest[:63] + "g"} {
		b := store.Execution{ID: "bad", UserID: "u", Code: "x", CodeSHA256: bad}
		if err := s.CreateExecution(context.Background(), &b); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("digest %q: err = %v, want ErrInvalid", bad, err)
		}
	}
}
