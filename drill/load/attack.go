package load

import (
	"errors"
	"math"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/canarydrill/canarydrill/reports"
	"github.com/canarydrill/canarydrill/scenarios"
)

// Options configure an attack.
type Options struct {
	// URL is what every request GETs (the router).
	URL string
	// Traffic is the scenario's load; TimeScale is wall time per scenario time.
	Traffic   scenarios.Traffic
	TimeScale float64
	// Zero is the wall time of scenario time zero; the attack starts at scenario time Offset
	// and stops by itself Duration (scenario time) later, or at Stop.
	Zero     time.Time
	Offset   time.Duration
	Duration time.Duration
	// Header: Value is what testers send; TesterShare of the requests carry it (default 0.05,
	// the traffic model's share).
	Header, Value string
	TesterShare   float64
	// Window is the width of the per-window figures in scenario time (default 10s).
	Window time.Duration
	// Timeout bounds each request in wall time (default 10s).
	Timeout time.Duration
}

// Attack is vegeta attacking a URL, with its results summed as they arrive.
type Attack struct {
	o        Options
	attacker *vegeta.Attacker
	done     chan struct{}

	sent, failed atomic.Uint64

	mu      sync.Mutex
	total   vegeta.Metrics
	windows map[int]*vegeta.Metrics
}

// Start begins the attack; it ends by itself after Duration.
func Start(o Options) (*Attack, error) {
	if o.URL == "" {
		return nil, errors.New("load: no URL")
	}
	if o.TesterShare == 0 {
		o.TesterShare = 0.05
	}
	if o.Window <= 0 {
		o.Window = 10 * time.Second
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.TimeScale <= 0 {
		o.TimeScale = 1
	}
	pacer, err := Pacer(o.Traffic, o.TimeScale, o.Offset)
	if err != nil {
		return nil, err
	}
	a := &Attack{o: o, done: make(chan struct{}), windows: map[int]*vegeta.Metrics{}}
	a.attacker = vegeta.NewAttacker(vegeta.Timeout(o.Timeout), vegeta.KeepAlive(true), vegeta.HTTP2(false))
	results := a.attacker.Attack(a.targeter(), pacer, a.wall(o.Duration), "canarydrill")
	go a.collect(results)
	return a, nil
}

func (a *Attack) wall(d time.Duration) time.Duration {
	return time.Duration(float64(d) * a.o.TimeScale)
}

// targeter GETs the URL, every 1/TesterShare-th request with the testers' header.
func (a *Attack) targeter() vegeta.Targeter {
	var n atomic.Uint64
	every := uint64(math.Max(1, math.Round(1/a.o.TesterShare)))
	var tagged http.Header
	if a.o.Header != "" {
		tagged = http.Header{a.o.Header: {a.o.Value}}
	}
	return func(t *vegeta.Target) error {
		t.Method, t.URL, t.Header = http.MethodGet, a.o.URL, nil
		if tagged != nil && n.Add(1)%every == 0 {
			t.Header = tagged
		}
		return nil
	}
}

func (a *Attack) collect(results <-chan *vegeta.Result) {
	defer close(a.done)
	for r := range results {
		r.Body = nil
		a.sent.Add(1)
		if r.Code < 200 || r.Code >= 400 {
			a.failed.Add(1)
		}
		i := int(float64(r.Timestamp.Sub(a.o.Zero)) / a.o.TimeScale / float64(a.o.Window))
		a.mu.Lock()
		a.total.Add(r)
		m := a.windows[max(i, 0)]
		if m == nil {
			m = &vegeta.Metrics{}
			a.windows[max(i, 0)] = m
		}
		m.Add(r)
		a.mu.Unlock()
	}
}

// Live is what the attack has seen so far: requests answered and how many failed.
func (a *Attack) Live() (sent, failed uint64) { return a.sent.Load(), a.failed.Load() }

// Stop ends the attack; Wait returns once the requests in flight are answered.
func (a *Attack) Stop() { a.attacker.Stop() }

// Wait waits for the attack's end and returns vegeta's figures, overall and per window.
func (a *Attack) Wait() (reports.Load, []reports.Window) {
	<-a.done
	a.mu.Lock()
	defer a.mu.Unlock()
	overall := summarize(&a.total)
	idx := make([]int, 0, len(a.windows))
	for i := range a.windows {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	var out []reports.Window
	for _, i := range idx {
		out = append(out, reports.Window{At: (time.Duration(i) * a.o.Window).Seconds(), Load: summarize(a.windows[i])})
	}
	return overall, out
}

// maxErrors bounds the distinct errors a report lists.
const maxErrors = 10

func summarize(m *vegeta.Metrics) reports.Load {
	m.Close()
	l := reports.Load{
		Requests:    m.Requests,
		Rate:        round(m.Rate, 3),
		Success:     round(m.Success, 6),
		StatusCodes: m.StatusCodes,
		Latencies: reports.Latencies{
			P50: secs(m.Latencies.P50), P90: secs(m.Latencies.P90),
			P99: secs(m.Latencies.P99), Max: secs(m.Latencies.Max),
		},
	}
	if l.StatusCodes == nil {
		l.StatusCodes = map[string]int{}
	}
	if len(m.Errors) > 0 {
		l.Errors = append([]string(nil), m.Errors[:min(len(m.Errors), maxErrors)]...)
	}
	return l
}

func secs(d time.Duration) float64 { return round(d.Seconds(), 6) }

func round(x float64, digits int) float64 {
	p := math.Pow10(digits)
	return math.Round(x*p) / p
}
