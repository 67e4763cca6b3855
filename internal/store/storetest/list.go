package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/runblock/runblock/internal/store"
)

func testListPagination(t *testing.T, s store.Store) {
	ctx := context.Background()
	const n = 23
	for i := range n {
		// Every third pair shares a timestamp so the id tie-break is
		// exercised; ids are zero-padded so their order is predictable.
		at := base.Add(time.Duration(i/2) * time.Second)
		e := store.Execution{ID: fmt.Sprintf("run-%03d", i), UserID: "pager", Code: "x", CreatedAt: at}
		mustCreate(t, s, &e)
	}
	other := store.Execution{ID: "zz-other", UserID: "someone-else", CreatedAt: base.Add(time.Hour)}
	mustCreate(t, s, &other)

	seen := map[string]bool{}
	var all []store.Execution
	cursor := ""
	for page := 0; ; page++ {
		if page > n {
			t.Fatal("pagination does not terminate")
		}
		items, next, err := s.ListExecutions(ctx, "pager", store.Page{Limit: 5, Before: cursor})
		if err != nil {
			t.Fatalf("page %d: %v", page, err)
		}
		if len(items) > 5 {
			t.Fatalf("page %d has %d items, limit 5", page, len(items))
		}
		if next != "" && len(items) != 5 {
			t.Fatalf("page %d is short (%d) but has a next cursor", page, len(items))
		}
		for _, e := range items {
			if seen[e.ID] {
				t.Fatalf("duplicate %s on page %d", e.ID, page)
			}
			seen[e.ID] = true
			all = append(all, e)
		}
		if next == "" {
			break
		}
		cursor = next
	}
	if len(all) != n {
		t.Fatalf("listed %d executions, want %d", len(all), n)
	}
	for i, e := range all {
		// Newest first, ties broken by id descending: the inverse of
		// insertion order here.
		want := fmt.Sprintf("run-%03d", n-1-i)
		if e.ID != want {
			t.Fatalf("position %d: got %s, want %s", i, e.ID, want)
		}
		if e.UserID != "pager" {
			t.Fatalf("listed another user's execution %s", e.ID)
		}
	}

	items, next, err := s.ListExecutions(ctx, "pager", store.Page{})
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != store.DefaultPageLimit || next == "" {
		t.Errorf("default page: %d items, next=%q; want %d and a cursor", len(items), next, store.DefaultPageLimit)
	}
	items, next, err = s.ListExecutions(ctx, "nobody", store.Page{Limit: 10})
	if err != nil || len(items) != 0 || next != "" {
		t.Errorf("empty user: %d items, next=%q, err=%v", len(items), next, err)
	}
}

func testListInvalidCursor(t *testing.T, s store.Store) {
	for _, c := range []string{"not base64!", "bm9jb2xvbg", "YWJjOg"} {
		_, _, err := s.ListExecutions(context.Background(), "u", store.Page{Before: c})
		if !errors.Is(err, store.ErrInvalidCursor) {
			t.Errorf("cursor %q: err = %v, want ErrInvalidCursor", c, err)
		}
	}
}

// listAll walks every page for userID.
func listAll(t *testing.T, s store.Store, userID string) []store.Execution {
	t.Helper()
	var all []store.Execution
	cursor := ""
	for {
		items, next, err := s.ListExecutions(context.Background(), userID,
			store.Page{Limit: store.MaxPageLimit, Before: cursor})
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, items...)
		if next == "" {
			return all
		}
		cursor = next
	}
}
