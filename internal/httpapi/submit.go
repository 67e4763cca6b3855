package httpapi

import (
	"net/http"

	"github.com/runblock/runblock/internal/apperr"
	"github.com/runblock/runblock/internal/auth"
	"github.com/runblock/runblock/internal/content"
	"github.com/runblock/runblock/internal/execute"
	"github.com/runblock/runblock/internal/exercise"
	"github.com/runblock/runblock/internal/store"
)

// submitRequest is POST /submit's body.
type submitRequest struct {
	ContentID   string `json:"content_id"`
	CodeBlockID string `json:"code_block_id"`
	Code        string `json:"code"`
}

// submitResponse is a graded submission. Hidden tests appear by name and
// message only; their code never leaves the server.
type submitResponse struct {
	ID            string                `json:"id"`
	ContentID     string                `json:"content_id"`
	CodeBlockID   string                `json:"code_block_id"`
	Status        string                `json:"status"`
	Passed        int                   `json:"passed"`
	Failed        int                   `json:"failed"`
	Total         int                   `json:"total"`
	Tests         []exercise.TestResult `json:"tests"`
	Message       *string               `json:"message"`
	Output        string                `json:"output"`
	Error         *string               `json:"error"`
	ExecutionTime float64               `json:"execution_time"`
	CPUTime       float64               `json:"cpu_time"`
	Solved        bool                  `json:"solved"`
}

// submission looks up the block a submission names.
func (s *Server) submission(r *http.Request, req submitRequest) (content.Block, error) {
	if s.Exercises == nil || s.Content == nil {
		return content.Block{}, apperr.New(apperr.NotFound, "not_found", "exercises are not enabled on this server")
	}
	if req.ContentID == "" || req.CodeBlockID == "" {
		return content.Block{}, apperr.New(apperr.Invalid, "invalid_reference", "content_id and code_block_id are required")
	}
	b, ok := s.Content.Current().Block(req.ContentID, req.CodeBlockID)
	if !ok {
		return b, apperr.New(apperr.NotFound, "code_block_not_found", "no code block %q in lesson %q", req.CodeBlockID, req.ContentID)
	}
	if !b.HasTests() {
		return b, apperr.New(apperr.Invalid, "no_tests", "code block %q has no tests to submit against; use /execute to run it", req.CodeBlockID)
	}
	return b, nil
}

func (s *Server) handleSubmit(w http.ResponseWriter, r *http.Request) {
	var req submitRequest
	who, ok := s.identifyAndDecode(w, r, &req)
	if !ok {
		return
	}
	block, err := s.submission(r, req)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	col := newCollector()
	v, err := s.Exercises.Submit(r.Context(), caller(who), req.ContentID, block, req.Code, exercise.Events{
		Stdout: col.stream(0), Stderr: col.stream(1),
		OnStart: func(o execute.Outcome) { col.limit(outputBound(o.Limits)) },
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.metrics.observe(v.Outcome)
	setHeaders(w, execute.QuotaHeaders(v.Outcome.Quota))
	stdout, stderr, _ := col.text()
	writeJSON(w, http.StatusOK, s.submitJSON(r, who, req, v, stdout, stderr))
}

func (s *Server) submitJSON(r *http.Request, who auth.Identity, req submitRequest, v exercise.Verdict, stdout, stderr string) submitResponse {
	resp := submitResponse{ID: v.ID, ContentID: req.ContentID, CodeBlockID: req.CodeBlockID, Status: v.Status,
		Passed: v.Passed(), Total: len(v.Tests), Tests: v.Tests, Output: stdout,
		ExecutionTime: v.Outcome.Result.WallTime.Seconds(), CPUTime: v.Outcome.Result.CPUTime.Seconds()}
	resp.Failed = resp.Total - resp.Passed
	if resp.Tests == nil {
		resp.Tests = []exercise.TestResult{}
	}
	if v.Message != "" {
		resp.Message = &v.Message
	}
	if stderr != "" {
		resp.Error = &stderr
	}
	resp.Solved = v.Status == store.VerdictPassed
	if !resp.Solved {
		// Solved once stays solved: an earlier pass still counts.
		if solved, err := s.solved(r, who, req.ContentID); err == nil {
			resp.Solved = solved[req.CodeBlockID]
		}
	}
	return resp
}

// solved is the caller's solved blocks of a lesson (nil without a store
// that keeps submissions).
func (s *Server) solved(r *http.Request, who auth.Identity, contentID string) (map[string]bool, error) {
	subs, ok := s.Store.(store.Submissions)
	if !ok || s.Exercises == nil {
		return nil, nil
	}
	return subs.SolvedBlocks(r.Context(), who.UserID, contentID)
}

// exerciseStatsJSON is one block's aggregates for authors.
type exerciseStatsJSON struct {
	CodeBlockID           string            `json:"code_block_id"`
	Attempts              int64             `json:"attempts"`
	Users                 int64             `json:"users"`
	Solvers               int64             `json:"solvers"`
	SolveRate             float64           `json:"solve_rate"`
	MedianAttemptsToSolve float64           `json:"median_attempts_to_solve"`
	MostFailed            []testFailureJSON `json:"most_failed_tests"`
}

type testFailureJSON struct {
	Name     string `json:"name"`
	Failures int64  `json:"failures"`
}

// handleExerciseStats: per exercise block of a lesson, attempts, solve
// rate, median attempts to solve and the most-failed tests. Authors and
// services only.
func (s *Server) handleExerciseStats(w http.ResponseWriter, r *http.Request) {
	who, err := s.identify(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if who.Role != auth.RoleAuthor && who.Role != auth.RoleService {
		s.writeError(w, r, apperr.New(apperr.Forbidden, "forbidden", "exercise statistics are for authors"))
		return
	}
	id := r.PathValue("content_id")
	lesson, ok := s.Content.Current().Lesson(id)
	if !ok {
		s.writeError(w, r, errNoLesson(id))
		return
	}
	subs, ok := s.Store.(store.Submissions)
	if !ok {
		s.writeError(w, r, apperr.New(apperr.NotFound, "not_found", "this server keeps no submissions"))
		return
	}
	all, err := subs.ExerciseStats(r.Context(), lesson.ID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := []exerciseStatsJSON{}
	for _, b := range lesson.Blocks {
		if !b.HasTests() {
			continue
		}
		st := all[b.ID]
		j := exerciseStatsJSON{CodeBlockID: b.ID, Attempts: st.Attempts, Users: st.Users, Solvers: st.Solvers,
			SolveRate: st.SolveRate, MedianAttemptsToSolve: st.MedianAttemptsToSolve, MostFailed: []testFailureJSON{}}
		for _, f := range st.MostFailed {
			j.MostFailed = append(j.MostFailed, testFailureJSON{Name: f.Name, Failures: f.Failures})
		}
		out = append(out, j)
	}
	writeJSON(w, http.StatusOK, map[string]any{"content_id": lesson.ID, "exercises": out})
}
