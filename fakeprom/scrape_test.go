package fakeprom

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/stretchr/testify/require"
	clocktesting "k8s.io/utils/clock/testing"
)

// exposition is a target whose body and content type tests change.
type exposition struct {
	mu          sync.Mutex
	body        string
	contentType string
	status      int
}

func (e *exposition) set(status int, contentType, body string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.status, e.contentType, e.body = status, contentType, body
}

func (e *exposition) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.contentType != "" {
		w.Header().Set("Content-Type", e.contentType)
	}
	w.WriteHeader(e.status)
	_, _ = w.Write([]byte(e.body))
}

const textFormat = "text/plain; version=0.0.4; charset=utf-8"

// scrapeFixture is a Scraper on a fake clock over one test target.
type scrapeFixture struct {
	clock  *clocktesting.FakeClock
	store  *Store
	srv    *Server
	target *exposition
	url    string
	host   string
	sc     *Scraper
}

func newScrapeFixture(t *testing.T, opts ...ScrapeOption) *scrapeFixture {
	t.Helper()
	f := &scrapeFixture{clock: clocktesting.NewFakeClock(time.Unix(1_700_000_000, 0)), store: NewStore(), target: &exposition{status: 200, contentType: textFormat}}
	ts := httptest.NewServer(f.target)
	t.Cleanup(ts.Close)
	f.url = ts.URL + "/metrics"
	u, err := url.Parse(ts.URL)
	require.NoError(t, err)
	f.host = u.Host
	f.srv = NewServer(f.store)
	f.sc = NewScraper(f.store, f.clock, append([]ScrapeOption{WithScrapeInterval(10 * time.Second)}, opts...)...)
	require.NoError(t, f.sc.SetTargets([]Target{{URL: f.url, Labels: labels.FromStrings("job", "demo")}}))
	return f
}

// round scrapes once at the fake clock's time and then moves it on 10 s.
func (f *scrapeFixture) round() {
	f.sc.ScrapeOnce(context.Background())
	f.clock.Step(10 * time.Second)
}

// at queries q at the fake clock's time minus back.
func (f *scrapeFixture) at(t *testing.T, q string, back time.Duration) map[string]float64 {
	t.Helper()
	return vectorOfAt(t, f.srv, q, f.clock.Now().Add(-back).UnixMilli())
}

func TestScrapeAddsTargetAndReportSeries(t *testing.T) {
	f := newScrapeFixture(t)
	f.target.set(200, textFormat, "# TYPE http_requests_total counter\nhttp_requests_total{status=\"200\"} 10\nhttp_requests_total{status=\"500\"} 1\n# TYPE mem gauge\nmem 5e8\n")
	f.round()

	inst := f.host
	require.Equal(t, map[string]float64{
		`{instance="` + inst + `", job="demo", status="200"}`: 10,
		`{instance="` + inst + `", job="demo", status="500"}`: 1,
	}, f.at(t, `http_requests_total * 1`, 0))
	for q, want := range map[string]float64{
		`up`: 1, `scrape_samples_scraped`: 3, `scrape_samples_post_metric_relabeling`: 3,
		`scrape_series_added`: 3, `scrape_duration_seconds`: 0, // a fake clock does not move during the scrape
	} {
		require.Equal(t, map[string]float64{`{instance="` + inst + `", job="demo"}`: want}, f.at(t, q+" * 1", 0), q)
	}

	// Same series again: none added.
	f.round()
	require.Equal(t, map[string]float64{`{instance="` + inst + `", job="demo"}`: 0}, f.at(t, "scrape_series_added * 1", 0))
}

func TestScrapeHonorLabels(t *testing.T) {
	body := "m{job=\"app\",exported_job=\"x\",instance=\"pod-1\"} 1\n"
	for _, tc := range []struct {
		honor bool
		want  string
	}{
		// The target's labels win; scraped ones move to exported_*, past an
		// existing exported_job, shortest names first.
		{false, `{__name__="m", exported_exported_job="app", exported_instance="pod-1", exported_job="x", instance="HOST", job="demo"}`},
		{true, `{__name__="m", exported_job="x", instance="pod-1", job="app"}`},
	} {
		f := newScrapeFixture(t, WithHonorLabels(tc.honor))
		f.target.set(200, textFormat, body)
		f.round()
		got := f.at(t, `m`, 0)
		want := map[string]float64{labelsWithHost(tc.want, f.host): 1}
		require.Equal(t, want, got, "honor_labels=%v", tc.honor)
	}
}

func labelsWithHost(s, host string) string { return strings.ReplaceAll(s, "HOST", host) }

func TestScrapeStaleness(t *testing.T) {
	f := newScrapeFixture(t)
	f.target.set(200, textFormat, "a 1\nb 1\n")
	f.round()
	f.target.set(200, textFormat, "a 2\n")
	f.round()
	// b vanished at the second scrape: ended there, not lingering for 5 m.
	require.Equal(t, map[string]float64{`{__name__="a", instance="` + f.host + `", job="demo"}`: 2}, f.at(t, `{job="demo", __name__=~"a|b"}`, 5*time.Second))

	// A failed scrape: up 0 and every series ends.
	f.target.set(500, textFormat, "")
	f.round()
	require.Empty(t, f.at(t, `{job="demo", __name__=~"a|b"}`, 5*time.Second))
	require.Equal(t, map[string]float64{`{instance="` + f.host + `", job="demo"}`: 0}, f.at(t, "up * 1", 10*time.Second))

	// Back again, then the target goes away: everything, up too, ends at
	// the next scrape time.
	f.target.set(200, textFormat, "a 3\n")
	f.round()
	require.NoError(t, f.sc.SetTargets(nil))
	f.round()
	require.Empty(t, f.at(t, `{job="demo"}`, 5*time.Second))
	require.NotEmpty(t, f.at(t, `{job="demo"}`, 15*time.Second))
}

func TestScrapeTimestampsAndFormats(t *testing.T) {
	f := newScrapeFixture(t)
	// OpenMetrics, with an exposed timestamp (honoured: not tracked for staleness).
	f.target.set(200, "application/openmetrics-text; version=1.0.0; charset=utf-8", "# TYPE c counter\nc_total 7 1699999990.5\n# TYPE g gauge\ng 1\n# EOF\n")
	f.round()
	require.Equal(t, map[string]float64{`{instance="` + f.host + `", job="demo"}`: 1699999990.5}, f.at(t, `timestamp(c_total)`, 10*time.Second))

	// An unknown content type fails the scrape, as in Prometheus 3.
	f.target.set(200, "application/json", `{"a":1}`)
	f.round()
	require.Equal(t, map[string]float64{`{instance="` + f.host + `", job="demo"}`: 0}, f.at(t, "up * 1", 10*time.Second))
}

func TestScrapeLimits(t *testing.T) {
	f := newScrapeFixture(t, WithSampleLimit(2))
	f.target.set(200, textFormat, "a 1\nb 1\nc 1\n")
	f.round()
	require.Empty(t, f.at(t, `{__name__=~"a|b|c"}`, 10*time.Second), "nothing of a scrape over the limit is kept")
	require.Equal(t, map[string]float64{`{instance="` + f.host + `", job="demo"}`: 0}, f.at(t, "up * 1", 10*time.Second))
	require.Equal(t, map[string]float64{`{instance="` + f.host + `", job="demo"}`: 3}, f.at(t, "scrape_samples_scraped * 1", 10*time.Second))

	f = newScrapeFixture(t, WithBodySizeLimit(5))
	f.target.set(200, textFormat, "abcdef 1\n")
	f.round()
	require.Equal(t, map[string]float64{`{instance="` + f.host + `", job="demo"}`: 0}, f.at(t, "up * 1", 10*time.Second))
}

// Run scrapes at every tick of the injected clock and stops with its context.
func TestScrapeRun(t *testing.T) {
	f := newScrapeFixture(t)
	f.target.set(200, textFormat, "a 1\n")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		f.sc.Run(ctx)
		close(done)
	}()
	up := f.store.Ref(labels.FromStrings("__name__", "up", "instance", f.host, "job", "demo"))
	scrapes := func() int { // samples of up so far
		f.store.mu.RLock()
		defer f.store.mu.RUnlock()
		return len(f.store.series[up-1].samples)
	}
	require.Eventually(t, func() bool { return scrapes() == 1 }, 10*time.Second, time.Millisecond)
	for i := 2; i <= 4; i++ {
		require.Eventually(t, func() bool { return f.clock.HasWaiters() }, 10*time.Second, time.Millisecond)
		f.clock.Step(10 * time.Second)
		require.Eventually(t, func() bool { return scrapes() == i }, 10*time.Second, time.Millisecond)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not stop")
	}
}
