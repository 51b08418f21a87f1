package demoapp

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newTest(t *testing.T) (*Server, *httptest.Server) {
	t.Helper()
	s := New(Config{Text: "Version 2", Version: "v2", P50: 20 * time.Millisecond, P99: 150 * time.Millisecond, MemoryLimit: 1 << 20, Seed: 1})
	var slept time.Duration
	s.sleep = func(d time.Duration) { slept += d }
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return s, srv
}

func hit(t *testing.T, url string, n int) map[int]int {
	t.Helper()
	codes := map[int]int{}
	for i := 0; i < n; i++ {
		resp, err := http.Get(url)
		require.NoError(t, err)
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		codes[resp.StatusCode]++
	}
	return codes
}

func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	require.NoError(t, err)
	return fams
}

func counter(fams map[string]*dto.MetricFamily, name, status string) float64 {
	f := fams[name]
	if f == nil {
		return 0
	}
	for _, m := range f.Metric {
		if status == "" {
			return m.GetCounter().GetValue()
		}
		for _, l := range m.Label {
			if l.GetName() == "status" && l.GetValue() == status {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

func TestHealthyAnswersAndCounts(t *testing.T) {
	s, srv := newTest(t)
	s.cfg.ErrorRate = 0
	codes := hit(t, srv.URL, 50)
	assert.Equal(t, map[int]int{200: 50}, codes)
	fams := scrape(t, srv.URL)
	assert.Equal(t, 50.0, counter(fams, "http_requests_total", "200"))
	assert.Equal(t, 50.0, counter(fams, "payments_received_total", ""))
	assert.Equal(t, 50.0, counter(fams, "payments_completed_total", ""))
	require.Contains(t, fams, "http_request_duration_seconds")
	require.Contains(t, fams, "http_request_duration_milliseconds")
	assert.Equal(t, uint64(50), fams["http_request_duration_milliseconds"].Metric[0].GetHistogram().GetSampleCount())
	require.Contains(t, fams, "process_resident_memory_bytes")
}

func TestErrorFault(t *testing.T) {
	s, srv := newTest(t)
	require.NoError(t, s.SetFaults(Faults{ErrorRate: 1, ErrorCode: 503}))
	assert.Equal(t, map[int]int{503: 20}, hit(t, srv.URL, 20))
	assert.Equal(t, 20.0, counter(scrape(t, srv.URL), "http_requests_total", "503"))
}

func TestLatencyFaultShowsInTheHistogram(t *testing.T) {
	s, srv := newTest(t)
	require.NoError(t, s.SetFaults(Faults{LatencyAdd: Duration{2 * time.Second}}))
	hit(t, srv.URL, 10)
	h := scrape(t, srv.URL)["http_request_duration_seconds"].Metric[0].GetHistogram()
	assert.GreaterOrEqual(t, h.GetSampleSum(), 20.0, "ten requests of at least 2 s")
	for _, b := range h.Bucket {
		if b.GetUpperBound() < 2 {
			assert.Zero(t, b.GetCumulativeCount(), "nothing faster than the added latency")
		}
	}
}

func TestBusinessFailureIsSilent(t *testing.T) {
	s, srv := newTest(t)
	s.cfg.ErrorRate = 0
	require.NoError(t, s.SetFaults(Faults{BusinessFailure: 1}))
	assert.Equal(t, map[int]int{200: 30}, hit(t, srv.URL, 30), "every request still answers 200")
	fams := scrape(t, srv.URL)
	assert.Equal(t, 30.0, counter(fams, "payments_received_total", ""))
	assert.Equal(t, 0.0, counter(fams, "payments_completed_total", ""))
}

func TestLeakEndsInOOM(t *testing.T) {
	s, _ := newTest(t)
	oom := false
	s.OOM = func() { oom = true }
	require.NoError(t, s.SetFaults(Faults{LeakBytesPerSecond: 512 << 10}))
	assert.False(t, s.Leak(time.Second))
	assert.Equal(t, int64(512<<10), s.Leaked())
	assert.True(t, s.Leak(2*time.Second), "1.5 MiB is over the 1 MiB limit")
	assert.True(t, oom)
}

func TestAdminKnobs(t *testing.T) {
	s, _ := newTest(t)
	adm := httptest.NewServer(s.Admin())
	defer adm.Close()
	req, _ := http.NewRequest(http.MethodPut, adm.URL+"/faults", strings.NewReader(`{"errorRate":0.5,"latencyAdd":"100ms"}`))
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, 0.5, s.Faults().ErrorRate)
	assert.Equal(t, 100*time.Millisecond, s.Faults().LatencyAdd.Duration)

	for _, body := range []string{`{"errorRate":2}`, `{"eroRate":1}`, `{"latencyAdd":"soon"}`} {
		req, _ := http.NewRequest(http.MethodPut, adm.URL+"/faults", strings.NewReader(body))
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode, body)
	}
	assert.Equal(t, 0.5, s.Faults().ErrorRate, "a rejected change leaves the knobs alone")
}
