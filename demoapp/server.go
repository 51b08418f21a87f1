package demoapp

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Config is how the service behaves when healthy.
type Config struct {
	// Text is what "/" answers, as hashicorp/http-echo's -text.
	Text string
	// Version is reported in the demoapp_info metric.
	Version string
	// P50 and P99 shape the log-normal latency of healthy requests.
	P50, P99 time.Duration
	// ErrorRate is the healthy fraction of 500s.
	ErrorRate float64
	// MemoryLimit is the working set at which a leaking process exits like an OOM-killed one.
	MemoryLimit int64
	// Seed seeds the request outcome draws.
	Seed uint64
}

// Server is the demo service. Handler serves users and /metrics; Admin serves the fault knobs.
type Server struct {
	cfg Config
	reg *prometheus.Registry

	requests     *prometheus.CounterVec
	durationS    prometheus.Histogram
	durationMS   prometheus.Histogram
	paymentsRecv prometheus.Counter
	paymentsDone prometheus.Counter

	mu     sync.Mutex
	faults Faults
	rng    *rand.Rand
	leak   [][]byte
	leaked int64

	sleep func(time.Duration)
	// OOM is called when the leaked memory passes the limit; a process exits with 137.
	OOM func()
}

// msBuckets are client_golang's default buckets in milliseconds.
var msBuckets = func() []float64 {
	out := make([]float64, len(prometheus.DefBuckets))
	for i, b := range prometheus.DefBuckets {
		out[i] = b * 1000
	}
	return out
}()

// New builds a server with its own metrics registry.
func New(cfg Config) *Server {
	s := &Server{
		cfg:   cfg,
		reg:   prometheus.NewRegistry(),
		rng:   rand.New(rand.NewPCG(cfg.Seed, 0x64656d6f)),
		sleep: time.Sleep,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "http_requests_total", Help: "HTTP requests by status code.",
		}, []string{"status"}),
		durationS: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "http_request_duration_seconds", Help: "Request latency in seconds.", Buckets: prometheus.DefBuckets,
		}),
		durationMS: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "http_request_duration_milliseconds", Help: "Request latency in milliseconds.", Buckets: msBuckets,
		}),
		paymentsRecv: prometheus.NewCounter(prometheus.CounterOpts{Name: "payments_received_total", Help: "Payments received."}),
		paymentsDone: prometheus.NewCounter(prometheus.CounterOpts{Name: "payments_completed_total", Help: "Payments completed."}),
	}
	info := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "demoapp_info", Help: "The running version."}, []string{"version"})
	info.WithLabelValues(cfg.Version).Set(1)
	s.reg.MustRegister(s.requests, s.durationS, s.durationMS, s.paymentsRecv, s.paymentsDone, info,
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), collectors.NewGoCollector())
	return s
}

// SetFaults switches the fault knobs.
func (s *Server) SetFaults(f Faults) error {
	if err := f.Validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = f
	return nil
}

// Faults returns the current knobs.
func (s *Server) Faults() Faults {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faults
}

// Handler serves "/" (the service) and "/metrics".
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("/", s.serve)
	return mux
}

// Admin serves GET/PUT /faults (JSON Faults) and /healthz; bind it to 127.0.0.1 only.
func (s *Server) Admin() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok\n") })
	mux.HandleFunc("/faults", func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet:
		case http.MethodPut, http.MethodPost:
			var f Faults
			dec := json.NewDecoder(io.LimitReader(r.Body, 1<<16))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&f); err != nil {
				http.Error(w, "bad faults: "+err.Error(), http.StatusBadRequest)
				return
			}
			if err := s.SetFaults(f); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
		default:
			http.Error(w, "use GET or PUT", http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(s.Faults())
	})
	return mux
}

// outcome is what one request will do, drawn under the lock.
type outcome struct {
	latency  time.Duration
	code     int
	lostSale bool
}

func (s *Server) draw() outcome {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.faults
	o := outcome{code: http.StatusOK}
	sigma := (math.Log(s.cfg.P99.Seconds()) - math.Log(s.cfg.P50.Seconds())) / 2.3263478740408408
	base := math.Exp(math.Log(s.cfg.P50.Seconds()) + sigma*s.rng.NormFloat64())
	if f.LatencyFactor > 0 {
		base *= f.LatencyFactor
	}
	o.latency = time.Duration(base*float64(time.Second)) + f.LatencyAdd.Duration
	switch {
	case s.rng.Float64() < f.ErrorRate:
		o.code = f.ErrorCode
		if o.code == 0 {
			o.code = http.StatusInternalServerError
		}
	case s.rng.Float64() < s.cfg.ErrorRate:
		o.code = http.StatusInternalServerError
	default:
		o.lostSale = s.rng.Float64() < f.BusinessFailure
	}
	return o
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	o := s.draw()
	s.sleep(o.latency)
	s.requests.WithLabelValues(strconv.Itoa(o.code)).Inc()
	s.durationS.Observe(o.latency.Seconds())
	s.durationMS.Observe(float64(o.latency) / float64(time.Millisecond))
	if o.code >= 400 {
		http.Error(w, http.StatusText(o.code), o.code)
		return
	}
	// Every successful request is a payment; a business failure answers 200 and loses it.
	s.paymentsRecv.Inc()
	if !o.lostSale {
		s.paymentsDone.Inc()
	}
	fmt.Fprintln(w, s.cfg.Text)
}

// Leak allocates what the leak rate asks for over dt and reports whether the limit is passed.
// The memory is touched so that it counts in the working set.
func (s *Server) Leak(dt time.Duration) bool {
	s.mu.Lock()
	n := int64(float64(s.faults.LeakBytesPerSecond) * dt.Seconds())
	if n > 0 {
		b := make([]byte, n)
		for i := 0; i < len(b); i += 4096 {
			b[i] = 1
		}
		s.leak = append(s.leak, b)
		s.leaked += n
	}
	over := s.cfg.MemoryLimit > 0 && s.leaked > s.cfg.MemoryLimit
	s.mu.Unlock()
	if over && s.OOM != nil {
		s.OOM()
	}
	return over
}

// Leaked is how many bytes the leak holds.
func (s *Server) Leaked() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.leaked
}
