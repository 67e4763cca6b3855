package main

import (
	"log/slog"

	"github.com/runblock/runblock/internal/execute"
	"github.com/runblock/runblock/internal/exercise"
	"github.com/runblock/runblock/internal/store"
)

// newExercises grades submissions through the execute service and records
// them when the store keeps submissions (both engines do).
func newExercises(exec *execute.Service, st store.Store, log *slog.Logger) (*exercise.Service, error) {
	var rec exercise.Recorder
	if subs, ok := st.(store.Submissions); ok {
		rec = subs
	}
	return exercise.New(exec, rec, log)
}
