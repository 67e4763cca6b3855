package content

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// waitFor polls cond; the generous deadline only bounds a hung test; no
// timing is asserted.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestWatchPicksUpChanges(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "one.md", "# One\n")
	writeFile(t, dir, "two.md", "# Two\n")
	lib, err := NewLibrary(dir, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { lib.Watch(ctx, 10*time.Millisecond); close(done) }()
	t.Cleanup(func() { cancel(); <-done })

	title := func(id string) string {
		l, _ := lib.Current().Lesson(id)
		return l.Title
	}
	writeFile(t, dir, "one.md", "# One, revised\n")
	waitFor(t, "modified file", func() bool { return title("one") == "One, revised" })

	// Same size, new content: only the modification time tells.
	writeFile(t, dir, "two.md", "# Owt\n")
	future := time.Now().Add(time.Hour)
	if err := os.Chtimes(filepath.Join(dir, "two.md"), future, future); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "same-size edit", func() bool { return title("two") == "Owt" })

	writeFile(t, dir, "sub/three.md", "# Three\n")
	waitFor(t, "added file", func() bool { return title("sub/three") == "Three" })

	if err := os.Remove(filepath.Join(dir, "one.md")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "deleted file", func() bool { _, ok := lib.Current().Lesson("one"); return !ok })

	writeFile(t, dir, ".swap.md", "# Editor temp file\n")
	writeFile(t, dir, "four.md", "# Four\n")
	waitFor(t, "file after a dotfile", func() bool { return title("four") == "Four" })
	if _, ok := lib.Current().Lesson(".swap"); ok {
		t.Error("dotfile loaded")
	}
}

func TestWatchStopsWithContext(t *testing.T) {
	lib, err := NewLibrary(t.TempDir(), nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { lib.Watch(ctx, time.Millisecond); close(done) }()
	cancel()
	<-done
}

func TestReloadKeepsCatalogOnError(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "lessons")
	writeFile(t, dir, "a.md", "# A\n\n```py {runnable}\n```\n")
	lib, err := NewLibrary(dir, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if probs := lib.Current().Problems(); len(probs) != 1 || probs[0].Line != 3 {
		t.Errorf("initial problems = %v", probs)
	}
	before := lib.Current()
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := lib.Reload(); err == nil {
		t.Fatal("Reload of a removed directory succeeded")
	}
	if lib.Current() != before {
		t.Error("failed reload replaced the catalog")
	}
	if _, err := NewLibrary(dir, nil, Options{}); err == nil {
		t.Error("NewLibrary of a missing directory succeeded")
	}
}

func TestConcurrentReadsDuringReload(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "a.md", "# A\n\n```py {runnable id=x}\nprint(1)\n```\n")
	lib, err := NewLibrary(dir, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for ctx.Err() == nil {
				cat := lib.Current()
				for _, s := range cat.Lessons() {
					l, ok := cat.Lesson(s.ID)
					// Within one snapshot, the index and the lesson agree.
					if !ok || len(l.Blocks) != s.Blocks {
						t.Errorf("snapshot inconsistent for %s: %v %d/%d", s.ID, ok, len(l.Blocks), s.Blocks)
						return
					}
				}
			}
		})
	}
	for i := range 50 {
		body := "# A\n"
		if i%2 == 0 {
			body += "\n```py {runnable id=x}\nprint(1)\n```\n"
		}
		writeFile(t, dir, "a.md", body)
		if _, err := lib.Reload(); err != nil {
			t.Fatal(err)
		}
	}
	cancel()
	wg.Wait()
}
