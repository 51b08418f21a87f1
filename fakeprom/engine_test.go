package fakeprom

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql"
	"github.com/stretchr/testify/require"
)

// vectorOf flattens an instant query result to labels -> value.
func vectorOf(t *testing.T, srv *Server, q string, ts time.Time) map[string]float64 {
	t.Helper()
	v, _, err := srv.Query(context.Background(), q, ts)
	require.NoError(t, err, q)
	out := map[string]float64{}
	switch v := v.(type) {
	case promql.Vector:
		for _, s := range v {
			require.Equal(t, ms(ts.Sub(t0)), s.T, "sample time")
			out[s.Metric.String()] = s.F
		}
	case promql.Scalar:
		out["scalar"] = v.V
	default:
		t.Fatalf("%s: unexpected result type %T", q, v)
	}
	return out
}

// The expected values are worked out by hand from Prometheus' rules (range
// windows are left-open, rate extrapolates to the window edges when the
// first sample is within 1.1 average intervals of them, counter resets add
// the value before the reset) and TestMatchesTSDB checks the engine gives
// the same answers over Prometheus' own TSDB.
func TestInstantQueries(t *testing.T) {
	srv := NewServer(demoStore(t))
	tenMin := at(10 * time.Minute)
	cases := []struct {
		name  string
		query string
		at    time.Time
		want  map[string]float64
	}{
		{
			name:  "success rate",
			query: `sum(rate(http_requests_total{app="demo-app",status!~"5.."}[1m])) / sum(rate(http_requests_total{app="demo-app"}[1m]))`,
			at:    tenMin,
			want:  map[string]float64{"{}": 0.9},
		},
		{
			name:  "rate of one series",
			query: `rate(http_requests_total{pod="p1",status="500"}[1m])`,
			at:    tenMin,
			want:  map[string]float64{`{app="demo-app", pod="p1", status="500"}`: 1},
		},
		{
			name:  "sum by status",
			query: `sum by (status) (rate(http_requests_total[1m]))`,
			at:    tenMin,
			want:  map[string]float64{`{status="200"}`: 18, `{status="500"}`: 2},
		},
		{
			// 30 samples 310..600 s rise by 290 over 290 s; extrapolated by
			// 10 s to the window start: 290 * 300/290.
			name:  "increase over 5m",
			query: `increase(http_requests_total{pod="p1",status="500"}[5m])`,
			at:    tenMin,
			want:  map[string]float64{`{app="demo-app", pod="p1", status="500"}`: 300},
		},
		{
			// Window (60 s, 120 s]: 70, 80, reset, 5, 15, 25, 35. Increase
			// 35-70+80 = 45 over 50 s, extrapolated 10 s: 45 * 60/50.
			name:  "increase across a counter reset",
			query: `increase(restarts_total[1m])`,
			at:    at(2 * time.Minute),
			want:  map[string]float64{"{}": 54},
		},
		{
			name:  "rate across a counter reset",
			query: `rate(restarts_total[1m])`,
			at:    at(2 * time.Minute),
			want:  map[string]float64{"{}": 0.9},
		},
		{
			// Rank 9 of 10 falls at the top of the 0.5 bucket (counts 5, 9).
			name:  "histogram_quantile p90",
			query: `histogram_quantile(0.9, sum by (le) (rate(http_request_duration_seconds_bucket[1m])))`,
			at:    tenMin,
			want:  map[string]float64{"{}": 0.5},
		},
		{
			// Rank 7: 0.1 + (0.5-0.1) * (7-5)/(9-5).
			name:  "histogram_quantile p70 interpolates",
			query: `histogram_quantile(0.7, sum by (le) (rate(http_request_duration_seconds_bucket[1m])))`,
			at:    tenMin,
			want:  map[string]float64{"{}": 0.3},
		},
		{
			// Rank 3 in the first bucket, which starts at 0: 0.1 * 3/5.
			name:  "histogram_quantile p30 in first bucket",
			query: `histogram_quantile(0.3, sum by (le) (rate(http_request_duration_seconds_bucket[1m])))`,
			at:    tenMin,
			want:  map[string]float64{"{}": 0.06},
		},
		{
			// Rank in the +Inf bucket: the highest finite bound.
			name:  "histogram_quantile p99 in +Inf bucket",
			query: `histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket[1m])))`,
			at:    tenMin,
			want:  map[string]float64{"{}": 0.5},
		},
		{
			name:  "before the stale marker",
			query: `up`,
			at:    at(305 * time.Second),
			want:  map[string]float64{`{__name__="up", pod="fade"}`: 1, `{__name__="up", pod="gone"}`: 1},
		},
		{
			// The marker at 310 s ends "gone" at once; "fade" lives on
			// through the 5 m lookback.
			name:  "stale marker ends the series",
			query: `up`,
			at:    at(310 * time.Second),
			want:  map[string]float64{`{__name__="up", pod="fade"}`: 1},
		},
		{
			name:  "lookback ends at 5m",
			query: `up`,
			at:    at(600 * time.Second),
			want:  map[string]float64{},
		},
		{
			name:  "lookback is left-open",
			query: `up`,
			at:    at(599*time.Second + 999*time.Millisecond),
			want:  map[string]float64{`{__name__="up", pod="fade"}`: 1},
		},
		{
			// Window (250 s, 310 s]: 260..300 s count, the marker does not.
			name:  "range functions skip the stale marker",
			query: `count_over_time(up{pod="gone"}[1m])`,
			at:    at(310 * time.Second),
			want:  map[string]float64{`{pod="gone"}`: 5},
		},
		{
			name:  "no match is an empty vector",
			query: `http_requests_total{app="nope"}`,
			at:    tenMin,
			want:  map[string]float64{},
		},
		{
			name:  "scalar",
			query: `1 + 2`,
			at:    tenMin,
			want:  map[string]float64{"scalar": 3},
		},
		{
			name:  "at modifier",
			query: `rate(http_requests_total{pod="p1",status="200"}[1m] @ 300)`,
			at:    tenMin,
			want:  map[string]float64{`{app="demo-app", pod="p1", status="200"}`: 9},
		},
		{
			name:  "negative offset",
			query: `up{pod="gone"} offset -1m`,
			at:    at(3 * time.Minute),
			want:  map[string]float64{`{__name__="up", pod="gone"}`: 1},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := vectorOf(t, srv, tc.query, tc.at)
			require.Len(t, got, len(tc.want), "%v", got)
			for k, want := range tc.want {
				require.Contains(t, got, k)
				require.InDelta(t, want, got[k], 1e-9, k)
			}
		})
	}
}

func TestSelectorMatchers(t *testing.T) {
	srv := NewServer(demoStore(t))
	cases := []struct {
		selector string
		want     int
	}{
		{`http_requests_total`, 4},
		{`http_requests_total{status="200"}`, 2},
		{`http_requests_total{status!="200"}`, 2},
		{`http_requests_total{pod=~"p[12]"}`, 4},
		{`http_requests_total{pod=~"p1|nope"}`, 2},
		{`http_requests_total{pod!~"p1"}`, 2},
		{`http_requests_total{pod!~"p.*"}`, 0},
		{`http_requests_total{status=~"5..",pod="p2"}`, 1},
		{`{__name__=~"http_.*"}`, 7},
		{`{__name__=~"http_.*",__name__!~".*bucket"}`, 4},
		{`{__name__!="http_requests_total",app="demo-app"}`, 3},
		{`{app="demo-app"}`, 7},
		{`{le!=""}`, 3},
		{`http_requests_total{le=""}`, 4}, // absent label matches ""
		{`{"http_requests_total",status="500"}`, 2},
	}
	for _, tc := range cases {
		t.Run(tc.selector, func(t *testing.T) {
			got := vectorOf(t, srv, `count(`+tc.selector+`) or vector(0)`, at(10*time.Minute))
			require.Equal(t, map[string]float64{"{}": float64(tc.want)}, got)
		})
	}
}

func TestQueryRange(t *testing.T) {
	srv := NewServer(demoStore(t))
	m, _, err := srv.QueryRange(context.Background(), `sum by (status) (rate(http_requests_total[1m]))`, at(5*time.Minute), at(10*time.Minute), time.Minute)
	require.NoError(t, err)
	require.Len(t, m, 2)
	require.Equal(t, labels.FromStrings("status", "200"), m[0].Metric)
	require.Equal(t, labels.FromStrings("status", "500"), m[1].Metric)
	for i, want := range []float64{18, 2} {
		require.Len(t, m[i].Floats, 6)
		for j, p := range m[i].Floats {
			require.Equal(t, ms(5*time.Minute+time.Duration(j)*time.Minute), p.T)
			require.InDelta(t, want, p.F, 1e-9)
		}
	}

	// The stale marker ends "gone" mid-range; "fade" runs on for 5 m.
	m, _, err = srv.QueryRange(context.Background(), `up`, at(4*time.Minute), at(11*time.Minute), time.Minute)
	require.NoError(t, err)
	require.Len(t, m, 2)
	require.Equal(t, `{__name__="up", pod="fade"}`, m[0].Metric.String())
	require.Len(t, m[0].Floats, 6) // 4m..9m
	require.Equal(t, `{__name__="up", pod="gone"}`, m[1].Metric.String())
	require.Len(t, m[1].Floats, 2) // 4m, 5m
}

func TestQueryErrors(t *testing.T) {
	srv := NewServer(demoStore(t), WithMaxSamples(10))
	_, _, err := srv.Query(context.Background(), `rate(x[1m]`, at(0))
	require.Error(t, err)
	_, _, err = srv.Query(context.Background(), `http_requests_total[10m]`, at(10*time.Minute))
	var tooMany promql.ErrTooManySamples
	require.ErrorAs(t, err, &tooMany)
}

func TestLookbackOption(t *testing.T) {
	srv := NewServer(demoStore(t), WithLookbackDelta(time.Minute))
	got := vectorOf(t, srv, `up`, at(6*time.Minute))
	require.Empty(t, got)
	got = vectorOf(t, srv, `up`, at(5*time.Minute+59*time.Second))
	require.Equal(t, map[string]float64{`{__name__="up", pod="fade"}`: 1}, got)
}

func TestNaNValuesAreKept(t *testing.T) {
	s := NewStore()
	s.AppendLabels(labels.FromStrings("__name__", "g"), 0, math.NaN())
	got := vectorOf(t, NewServer(s), `g`, at(time.Second))
	require.Len(t, got, 1)
	require.True(t, math.IsNaN(got[`{__name__="g"}`]))
}
