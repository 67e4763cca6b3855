package httpapi

func (s *Server) routes() {
	s.mux.HandleFunc("POST /api/v1/code/execute", s.handleExecute)
	s.mux.HandleFunc("POST /api/v1/code/execute/stream", s.handleStream)
	s.mux.HandleFunc("POST /api/v1/code/executions/{id}/stdin", s.handleStdin)
	s.mux.HandleFunc("POST /api/v1/code/executions/{id}/cancel", s.handleCancel)
	s.mux.HandleFunc("GET /healthz", s.handleHealthz)
	s.mux.HandleFunc("GET /readyz", s.handleReadyz)
	s.mux.HandleFunc("/api/", s.handleNotFound)
}
