package fakeprom

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/stretchr/testify/require"
)

// diffStart is the first sample time of the differential data (ms), on a
// 2 h block boundary.
const diffStart = int64(1_699_999_200_000)

var diffSpec = genSpec{
	seed:     42,
	start:    diffStart,
	duration: 3 * time.Hour,
	step:     10 * time.Second,
	services: []string{"checkout", "payments"},
	pods:     3,
	faultAt:  time.Hour,
	endPod:   2*time.Hour + 20*time.Minute,
}

// diffInstants are the instant-query times, as offsets from diffStart, each
// plus 500 ms so that no range boundary meets a sample (see generate):
// before and after the fault and the OOM kill, around the end of the ended
// pod's lookback, the end of the data and after it.
var diffInstants = []time.Duration{
	30 * time.Minute, 61 * time.Minute, 77 * time.Minute, 78 * time.Minute, 95 * time.Minute,
	2*time.Hour + 22*time.Minute, 2*time.Hour + 27*time.Minute,
	3 * time.Hour, 3*time.Hour + 4*time.Minute, 3*time.Hour + 6*time.Minute,
}

// diffRanges are the range-query windows: the data from 31 m (once no
// window of the corpus reaches back to the series' start, see
// diffZeroPoint) to past its end at 1 m, and the OOM kill at a step that is
// no divisor of the scrape interval.
var diffRanges = []struct{ start, end, step time.Duration }{
	{31 * time.Minute, 3*time.Hour + 10*time.Minute, time.Minute},
	{70 * time.Minute, 90 * time.Minute, 7 * time.Second},
}

// edgeSeries is scraped exactly on the 10 s grid for one hour, to show the
// left-open range difference.
func edgeSeries() Series {
	s := Series{Labels: labels.FromStrings("__name__", "edge_total", "job", "edge")}
	for i := range 361 {
		s.Samples = append(s.Samples, Sample{diffStart + int64(i)*10_000, float64(i * 3)})
	}
	return s
}

// TestDifferentialPrometheus loads one generated OpenMetrics file into
// fakeprom and, through promtool, into Debian's Prometheus, then asks both
// the same queries over the HTTP API and compares the answers.
func TestDifferentialPrometheus(t *testing.T) {
	prom := findPrometheus(t)
	t.Logf("oracle: Prometheus %s (%s)", prom.version, prom.prometheus)

	dir := t.TempDir()
	file := filepath.Join(dir, "data.om")
	f, err := os.Create(file)
	require.NoError(t, err)
	require.NoError(t, WriteOpenMetrics(f, append(generate(diffSpec), edgeSeries())))
	require.NoError(t, f.Close())

	store := NewStore()
	f, err = os.Open(file)
	require.NoError(t, err)
	require.NoError(t, store.LoadOpenMetrics(f))
	f.Close()
	require.Zero(t, store.Stats().OutOfOrder)

	blocks := filepath.Join(dir, "tsdb")
	prom.backfill(t, file, blocks)
	base := prom.start(t, blocks)

	fake := NewServer(store).RoundTripper()
	real := &http.Transport{ResponseHeaderTimeout: 30 * time.Second}
	t.Cleanup(real.CloseIdleConnections)

	ask := func(path string, params url.Values) (want, got apiResp) {
		t.Helper()
		want, err := call(real, base, path, params)
		require.NoError(t, err)
		got, err = call(fake, "http://fakeprom", path, params)
		require.NoError(t, err)
		return want, got
	}

	t.Run("queries", func(t *testing.T) {
		diffQueries(t, prom, ask)
	})
	t.Run("endpoints", func(t *testing.T) {
		diffEndpoints(t, prom, real, base, fake)
	})
	t.Run("import", func(t *testing.T) {
		// Pulling a recording back out of Prometheus gives the samples
		// that went in, exactly.
		c, err := api.NewClient(api.Config{Address: base, RoundTripper: real})
		require.NoError(t, err)
		start := time.UnixMilli(diffStart)
		res, err := Import(context.Background(), promv1.NewAPI(c), ImportOptions{
			Match: []string{`{service="checkout"}`}, Start: start, End: start.Add(diffSpec.duration + time.Minute), Window: 25 * time.Minute,
		})
		require.NoError(t, err)
		var want, got bytes.Buffer
		require.NoError(t, WriteOpenMetrics(&want, seriesMatching(generate(diffSpec), func(s Series) bool { return s.Labels.Get("service") == "checkout" })))
		require.NoError(t, WriteOpenMetrics(&got, res.Series))
		require.Equal(t, want.String(), got.String())
	})
}

// diffQueries asks the corpus at every instant and over every range.
func diffQueries(t *testing.T, prom realProm, ask func(string, url.Values) (apiResp, apiResp)) {
	at := func(d time.Duration) string { return seconds(diffStart + d.Milliseconds()) }
	cases := diffCorpus()
	require.GreaterOrEqual(t, len(cases), 60)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var diffs []string
			failed := 0 // evaluations that ended in c.errorType
			check := func(what, path string, params url.Values) {
				want, got := ask(path, params)
				if d := diffResults(want, got, c.ordered); d != "" {
					diffs = append(diffs, what+": "+d)
				}
				if got.ErrorType == c.errorType && c.errorType != "" {
					failed++
				}
			}
			if c.at != nil {
				for _, d := range c.at {
					check("at "+d.String(), "/api/v1/query", url.Values{"query": {c.query}, "time": {at(d)}})
				}
			} else {
				for _, d := range diffInstants {
					check("at "+d.String(), "/api/v1/query", url.Values{"query": {c.query}, "time": {at(d + 500*time.Millisecond)}})
				}
				for _, r := range diffRanges {
					check("range "+r.start.String()+".."+r.end.String(), "/api/v1/query_range", url.Values{"query": {c.query},
						"start": {at(r.start + 500*time.Millisecond)}, "end": {at(r.end + 500*time.Millisecond)}, "step": {r.step.String()}})
				}
			}
			if c.errorType != "" && failed == 0 {
				t.Errorf("%s: no evaluation failed with %s", c.query, c.errorType)
			}
			switch {
			case c.differs == "" || prom.major >= 3:
				for _, d := range diffs {
					t.Errorf("%s\n  %s", c.query, d)
				}
			case len(diffs) == 0:
				t.Errorf("%s: expected the documented difference (%s), but the answers agree", c.query, c.differs)
			default:
				t.Logf("known difference from Prometheus %s: %s\n  first: %s", prom.version, c.differs, diffs[0])
			}
		})
	}
}

func seconds(ms int64) string {
	return strconv.FormatFloat(float64(ms)/1000, 'f', 3, 64)
}
