package httpapi

func (s *Server) routes() {
	s.mux.HandleFunc("POST /api/v1/code/execute", s.handleExecute)
	s.mux.HandleFunc("POST /api/v1/code/execute/stream", s.handleStream)
	s.mux.HandleFunc("POST /api/v1/code/validate", s.handleValidate)
	s.mux.HandleFunc("POST /api/v1/code/executions/{id}/stdin", s.handleStdin)
	s.mux.HandleFunc("POST /api/v1/code/executions/{id}/cancel", s.handleCancel)
	s.mux.HandleFunc("GET /api/v1/code/stats", s.handleStats)
	if s.Environments != nil {
		s.mux.HandleFunc("GET /api/v1/code/environments", s.handleEnvironments)
	}
	if s.Store != nil {
		s.mux.HandleFunc("GET /api/v1/code/executions", s.handleListExecutions)
		s.mux.HandleFunc("POST /api/v1/code/executions", s.handleReportExecution)
		s.mux.HandleFunc("GET /api/v1/code/executions/{id}", s.handleGetExecution)
	}
	if s.Content != nil {
		s.mux.HandleFunc("GET /api/v1/code/content", s.handleListContent)
		s.mux.HandleFunc("GET /api/v1/code/code-blocks/{content_id...}", s.handleCodeBlocks)
	}
	s.mux.Handle("GET /metrics", s.metrics.handler())
	s.mux.HandleFunc("GET /healthz", s.handleHealthz)
	s.mux.HandleFunc("GET /readyz", s.handleReadyz)
	s.mux.HandleFunc("/api/", s.handleNotFound)
}
