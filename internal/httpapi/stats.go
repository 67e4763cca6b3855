package httpapi

import (
	"math"
	"net/http"
)

// statsResponse keeps the seed's fields first; totals come from history.
type statsResponse struct {
	UserID               string  `json:"user_id"`
	ExecutionsLastMinute int     `json:"executions_last_minute"`
	RateLimit            *int    `json:"rate_limit"`
	Remaining            *int    `json:"remaining"`
	ResetInSeconds       int     `json:"reset_in_seconds"`
	PeriodSeconds        float64 `json:"period_seconds,omitempty"`
	// QuotaKey is set when the quota is not the caller's alone: anonymous
	// browsers share their address's.
	QuotaKey        string           `json:"quota_key,omitempty"`
	Role            string           `json:"role"`
	TotalExecutions int64            `json:"total_executions"`
	Successes       int64            `json:"successes"`
	SuccessRate     float64          `json:"success_rate"`
	AverageTime     float64          `json:"average_execution_time"`
	ByLanguage      map[string]int64 `json:"by_language"`
	ByEnvironment   map[string]int64 `json:"by_environment"`
	LastRunAt       *string          `json:"last_run_at"`
}

// handleStats reports the caller's own quota and totals — never anyone else's.
func (s *Server) handleStats(w http.ResponseWriter, r *http.Request) {
	who, err := s.identify(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	resp := statsResponse{UserID: who.UserID, Role: string(who.Role), ByLanguage: map[string]int64{}, ByEnvironment: map[string]int64{}}
	d, lim, limited, err := s.Exec.Quota(r.Context(), caller(who))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if limited {
		resp.ExecutionsLastMinute = d.Used
		resp.RateLimit, resp.Remaining = &d.Limit, &d.Remaining
		resp.ResetInSeconds = int(math.Ceil(d.ResetAfter.Seconds()))
		resp.PeriodSeconds = lim.Period.Seconds()
		if who.QuotaKey != "" && who.QuotaKey != who.UserID {
			resp.QuotaKey = who.QuotaKey
		}
	}
	if s.Store != nil {
		st, err := s.Store.UserStats(r.Context(), who.UserID)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		resp.TotalExecutions, resp.Successes, resp.SuccessRate = st.TotalExecutions, st.Successes, st.SuccessRate
		resp.AverageTime = st.AvgWallTime.Seconds()
		if st.ByLanguage != nil {
			resp.ByLanguage = st.ByLanguage
		}
		if st.ByEnvironment != nil {
			resp.ByEnvironment = st.ByEnvironment
		}
		if st.LastRunAt != nil {
			t := formatTime(*st.LastRunAt)
			resp.LastRunAt = &t
		}
	}
	writeJSON(w, http.StatusOK, resp)
}
