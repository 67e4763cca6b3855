package bwrap_test

import (
	"context"
	"testing"

	"github.com/runblock/runblock/internal/lang"
	"github.com/runblock/runblock/internal/sandbox/bwrap"
	"github.com/runblock/runblock/internal/sandbox/sandboxtest"
)

// TestLanguages runs every built-in language's programs in the real sandbox
// with the seed's limits (128 MB, 64 pids, 10,000 characters).
func TestLanguages(t *testing.T) {
	rt, err := bwrap.New(context.Background(), bwrap.Config{})
	if err != nil {
		t.Fatal(err)
	}
	sandboxtest.RunLanguages(t, rt, lang.Builtins(), sandboxtest.LanguagePrograms)
}
