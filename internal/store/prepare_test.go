package store

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestCursorRoundTrip(t *testing.T) {
	e := Execution{ID: "abc:def", CreatedAt: time.Date(2025, 1, 2, 3, 4, 5, 678901000, time.UTC)}
	c, ok, err := DecodeCursor(EncodeCursor(e))
	if err != nil || !ok {
		t.Fatalf("DecodeCursor: ok=%v err=%v", ok, err)
	}
	if c.ID != e.ID || !c.CreatedAt.Equal(e.CreatedAt) {
		t.Errorf("cursor = %+v, want id %q at %v", c, e.ID, e.CreatedAt)
	}
	if _, ok, err := DecodeCursor(""); ok || err != nil {
		t.Errorf("empty cursor: ok=%v err=%v", ok, err)
	}
	for _, bad := range []string{"%%%", "MTIz", "eDp5", "MTIzOg"} { // "123", "x:y", "123:"
		if _, _, err := DecodeCursor(bad); !errors.Is(err, ErrInvalidCursor) {
			t.Errorf("DecodeCursor(%q) err = %v, want ErrInvalidCursor", bad, err)
		}
	}
}

func TestCleanText(t *testing.T) {
	tests := []struct {
		in   string
		max  int
		want string
	}{
		{"hello", 10, "hello"},
		{"hello", 3, "hel"},
		{"héllo", 2, "h"}, // é is 2 bytes starting at 1: cut before it
		{"🐍🐍", 5, "🐍"},
		{"a\x00b", 10, "a\uFFFDb"},
		{"a\xffb", 10, "a\uFFFDb"},
		{"", 0, ""},
	}
	for _, tt := range tests {
		got := cleanText(tt.in, tt.max)
		if got != tt.want || !utf8.ValidString(got) || len(got) > tt.max {
			t.Errorf("cleanText(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
		}
	}
}

func TestPrepareCreate(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 123456789, time.FixedZone("X", 3600))
	e := Execution{UserID: "u", Status: StatusSuccess, Output: strings.Repeat("x", MaxOutputBytes+1)}
	if err := PrepareCreate(&e, now); err != nil {
		t.Fatal(err)
	}
	if e.ID == "" || e.FinishedAt == nil || !e.Truncated || len(e.Output) != MaxOutputBytes {
		t.Errorf("finished create not completed: %+v", e)
	}
	if e.CreatedAt.Location() != time.UTC || e.CreatedAt.Nanosecond()%1000 != 0 {
		t.Errorf("CreatedAt %v not UTC microseconds", e.CreatedAt)
	}
	long := Execution{UserID: strings.Repeat("u", MaxKeyBytes+1)}
	if err := PrepareCreate(&long, now); !errors.Is(err, ErrInvalid) {
		t.Errorf("oversized user id: err = %v", err)
	}
}

func TestPageLimit(t *testing.T) {
	for in, want := range map[int]int{-1: DefaultPageLimit, 0: DefaultPageLimit, 7: 7, MaxPageLimit + 1: MaxPageLimit} {
		if got := PageLimit(in); got != want {
			t.Errorf("PageLimit(%d) = %d, want %d", in, got, want)
		}
	}
}
