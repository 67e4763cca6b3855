package httpapi

import (
	"net/http"
	"slices"

	"github.com/runblock/runblock/internal/apperr"
	"github.com/runblock/runblock/internal/auth"
	"github.com/runblock/runblock/internal/content"
	"github.com/runblock/runblock/internal/store"
)

type blockStatsJSON struct {
	Runs           int64   `json:"runs"`
	Successes      int64   `json:"successes"`
	Users          int64   `json:"users,omitempty"`
	LastRunAt      *string `json:"last_run_at"`
	MedianExecTime float64 `json:"median_execution_time"`
}

type blockJSON struct {
	ID          string          `json:"id"`
	Language    string          `json:"language"`
	Environment string          `json:"environment"`
	Title       string          `json:"title"`
	Code        string          `json:"code"`
	Position    int             `json:"position"`
	Line        int             `json:"line"`
	Timeout     int             `json:"timeout,omitempty"`
	Stdin       string          `json:"stdin,omitempty"`
	Mine        *blockStatsJSON `json:"my_stats,omitempty"`
	Aggregate   *blockStatsJSON `json:"aggregate,omitempty"`
	// Exercises only: the visible tests as examples, how many are hidden
	// (never their code), and whether the caller has passed them all once.
	Exercise    bool        `json:"exercise,omitempty"`
	Tests       []testsJSON `json:"tests,omitempty"`
	HiddenTests int         `json:"hidden_tests,omitempty"`
	Solved      *bool       `json:"solved,omitempty"`
}

// testsJSON is a visible tests fence: Python test code, or an
// expected-output case (stdin, expected output, how it is compared).
type testsJSON struct {
	Name     string `json:"name"`
	Kind     string `json:"kind"`
	Code     string `json:"code,omitempty"`
	Stdin    string `json:"stdin,omitempty"`
	Expected string `json:"expected,omitempty"`
	Match    string `json:"match,omitempty"`
}

func visibleTestsJSON(b content.Block) ([]testsJSON, int) {
	var out []testsJSON
	hidden := 0
	for _, t := range b.Tests {
		if t.Hidden {
			hidden++
			continue
		}
		j := testsJSON{Name: t.Name, Kind: t.Kind}
		if t.Kind == content.TestsPython {
			j.Code = t.Code
		} else {
			j.Stdin, j.Expected, j.Match = t.Stdin, t.Code, t.Match
		}
		out = append(out, j)
	}
	return out, hidden
}

func toBlockStats(b store.BlockStats, withUsers bool) *blockStatsJSON {
	j := &blockStatsJSON{Runs: b.Runs, Successes: b.Successes, MedianExecTime: b.MedianWallTime.Seconds()}
	if withUsers {
		j.Users = b.Users
	}
	if b.LastRunAt != nil {
		t := formatTime(*b.LastRunAt)
		j.LastRunAt = &t
	}
	return j
}

func (s *Server) handleListContent(w http.ResponseWriter, r *http.Request) {
	if _, err := s.identify(r); err != nil {
		s.writeError(w, r, err)
		return
	}
	lessons := s.Content.Current().Lessons()
	out := make([]map[string]any, 0, len(lessons))
	for _, l := range lessons {
		out = append(out, map[string]any{"id": l.ID, "title": l.Title, "description": l.Description, "blocks": l.Blocks})
	}
	writeJSON(w, http.StatusOK, map[string]any{"lessons": out})
}

// handleCodeBlocks returns a lesson's runnable blocks, with the caller's own
// progress; authors and services also get aggregates over all learners.
func (s *Server) handleCodeBlocks(w http.ResponseWriter, r *http.Request) {
	who, err := s.identify(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	id := r.PathValue("content_id")
	lesson, ok := s.Content.Current().Lesson(id)
	if !ok {
		s.writeError(w, r, errNoLesson(id))
		return
	}
	blocks, err := s.lessonBlocks(r, who, lesson)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"content_id": lesson.ID, "title": lesson.Title, "code_blocks": blocks})
}

// handleLesson returns a lesson for the page: its prose rendered to
// sanitized HTML, where each runnable block is an empty placeholder, and
// the blocks themselves as handleCodeBlocks returns them.
func (s *Server) handleLesson(w http.ResponseWriter, r *http.Request) {
	who, err := s.identify(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	id := r.PathValue("content_id")
	// One snapshot for both, so the HTML and the blocks agree even when a
	// reload happens in between.
	cat := s.Content.Current()
	lesson, ok := cat.Lesson(id)
	if !ok {
		s.writeError(w, r, errNoLesson(id))
		return
	}
	html, _, err := cat.LessonHTML(id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	blocks, err := s.lessonBlocks(r, who, lesson)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, lessonJSON{ID: lesson.ID, Title: lesson.Title, Description: lesson.Description,
		HTML: html, CodeBlocks: blocks})
}

type lessonJSON struct {
	ID          string      `json:"id"`
	Title       string      `json:"title"`
	Description string      `json:"description"`
	HTML        string      `json:"html"`
	CodeBlocks  []blockJSON `json:"code_blocks"`
}

func errNoLesson(id string) error {
	return apperr.New(apperr.NotFound, "content_not_found", "no lesson %q", id)
}

// lessonBlocks is the JSON of a lesson's blocks with the caller's stats.
func (s *Server) lessonBlocks(r *http.Request, who auth.Identity, lesson content.Lesson) ([]blockJSON, error) {
	var mine, all map[string]store.BlockStats
	var err error
	if s.Store != nil {
		if mine, err = s.Store.UserBlockStats(r.Context(), who.UserID, lesson.ID); err != nil {
			return nil, err
		}
		if who.Role == auth.RoleAuthor || who.Role == auth.RoleService {
			if all, err = s.Store.BlockStats(r.Context(), lesson.ID); err != nil {
				return nil, err
			}
		}
	}
	var solved map[string]bool
	if slices.ContainsFunc(lesson.Blocks, content.Block.HasTests) {
		if solved, err = s.solved(r, who, lesson.ID); err != nil {
			return nil, err
		}
	}
	blocks := make([]blockJSON, 0, len(lesson.Blocks))
	for _, b := range lesson.Blocks {
		j := toBlockJSON(b)
		if b.HasTests() {
			j.Exercise = true
			j.Tests, j.HiddenTests = visibleTestsJSON(b)
			if solved != nil {
				j.Solved = ptr(solved[b.ID])
			}
		}
		if st, ok := mine[b.ID]; ok {
			j.Mine = toBlockStats(st, false)
		} else if s.Store != nil {
			j.Mine = &blockStatsJSON{}
		}
		if all != nil {
			st := all[b.ID]
			j.Aggregate = toBlockStats(st, true)
		}
		blocks = append(blocks, j)
	}
	return blocks, nil
}

func toBlockJSON(b content.Block) blockJSON {
	return blockJSON{ID: b.ID, Language: b.Language, Environment: b.Environment, Title: b.Title, Code: b.Code,
		Position: b.Position, Line: b.Line, Timeout: b.Timeout, Stdin: b.Stdin}
}

func (s *Server) handleEnvironments(w http.ResponseWriter, r *http.Request) {
	if _, err := s.identify(r); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"environments": s.Environments.Environments(r.Context())})
}
