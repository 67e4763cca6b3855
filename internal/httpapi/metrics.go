package httpapi

import (
	"net/http"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/runblock/runblock/internal/execute"
)

// metrics are what an operator watches: runs by outcome and how long they
// take, the queue, open streams, and HTTP answers. One registry per server
// (no package globals) so tests can run several servers in one process.
type metrics struct {
	reg      *prometheus.Registry
	runs     *prometheus.CounterVec
	duration *prometheus.HistogramVec
	streams  prometheus.Gauge
	requests *prometheus.CounterVec
}

func newMetrics(exec *execute.Service) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "runblock_runs_total", Help: "Finished runs by language and status.",
		}, []string{"language", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "runblock_run_duration_seconds", Help: "Wall time of finished runs.",
			Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"language"}),
		streams: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "runblock_open_streams", Help: "Server-Sent Event streams currently open.",
		}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "runblock_http_responses_total", Help: "HTTP responses by status code.",
		}, []string{"code"}),
	}
	m.reg.MustRegister(m.runs, m.duration, m.streams, m.requests,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "runblock_runs_running", Help: "Runs executing now."},
			func() float64 { r, _ := exec.Busy(); return float64(r) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "runblock_runs_waiting", Help: "Runs waiting for a sandbox."},
			func() float64 { _, w := exec.Busy(); return float64(w) }),
		// What an autoscaler needs next to the depth: how fast the line moves.
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "runblock_queue_slots", Help: "Runs and checks allowed at once."},
			func() float64 { return float64(exec.Queue().Slots) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "runblock_queue_drain_rate", Help: "Runs finished per second with every slot busy (measured)."},
			func() float64 { return exec.Queue().DrainRate }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "runblock_queue_retry_after_seconds", Help: "Retry-After a run refused now would get."},
			func() float64 { return exec.Queue().RetryAfter.Seconds() }),
	)
	return m
}

// wasm counts the wasm environment's compiles: a cache hit must not add
// to runblock_wasm_compiles_total.
func (m *metrics) wasm(w WasmModules) {
	m.reg.MustRegister(
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "runblock_wasm_compiles_total", Help: "wasm modules compiled in the sandbox."},
			func() float64 { n, _ := w.Stats(); return float64(n) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "runblock_wasm_cache_hits_total", Help: "wasm compiles answered by the module cache."},
			func() float64 { _, h := w.Stats(); return float64(h) }),
	)
}

func (m *metrics) observe(o execute.Outcome) {
	m.runs.WithLabelValues(o.Language, string(o.Result.Status)).Inc()
	m.duration.WithLabelValues(o.Language).Observe(o.Result.WallTime.Seconds())
}

func (m *metrics) response(code int) { m.requests.WithLabelValues(strconv.Itoa(code)).Inc() }

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}
