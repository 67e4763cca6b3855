package httpapi

import (
	"net/http"
	"slices"
)

// CORS lets the learning platform's pages call the API from their own
// origins. Only listed origins are echoed back; "*" is honoured only
// without credentials (config validation enforces that).
type CORS struct {
	AllowedOrigins   []string
	AllowCredentials bool
}

func (c CORS) allowed(origin string) bool {
	return origin != "" && (slices.Contains(c.AllowedOrigins, origin) || slices.Contains(c.AllowedOrigins, "*"))
}

// apply sets the CORS headers; it reports true when the request was a
// preflight and has been answered.
func (c CORS) apply(w http.ResponseWriter, r *http.Request) bool {
	origin := r.Header.Get("Origin")
	h := w.Header()
	h.Add("Vary", "Origin")
	if !c.allowed(origin) {
		return false
	}
	if slices.Contains(c.AllowedOrigins, "*") && !c.AllowCredentials {
		h.Set("Access-Control-Allow-Origin", "*")
	} else {
		h.Set("Access-Control-Allow-Origin", origin)
	}
	if c.AllowCredentials {
		h.Set("Access-Control-Allow-Credentials", "true")
	}
	h.Set("Access-Control-Expose-Headers", "Retry-After, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, X-Request-ID")
	if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
		h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
		h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, X-Request-ID")
		h.Set("Access-Control-Max-Age", "600")
		w.WriteHeader(http.StatusNoContent)
		return true
	}
	return false
}
