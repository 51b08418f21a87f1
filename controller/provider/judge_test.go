package provider

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

// rangeServer answers /api/v1/query_range with a one-series matrix per query, from series.
type rangeServer struct {
	*httptest.Server
	mu     sync.Mutex
	ranges []string
}

func newRangeServer(t *testing.T, series map[string][]float64) *rangeServer {
	t.Helper()
	s := &rangeServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		s.mu.Lock()
		s.ranges = append(s.ranges, r.Form.Get("start")+" "+r.Form.Get("end")+" "+r.Form.Get("step"))
		s.mu.Unlock()
		q := r.Form.Get("query")
		values, ok := series[q]
		w.Header().Set("Content-Type", "application/json")
		if !ok {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = fmt.Fprintf(w, `{"status":"error","errorType":"bad_data","error":"unknown query %s"}`, q)
			return
		}
		var pts []string
		for i, v := range values {
			pts = append(pts, fmt.Sprintf(`[%d,"%s"]`, 1906545600+10*i, strconv.FormatFloat(v, 'g', -1, 64)))
		}
		result := ""
		if len(pts) > 0 {
			result = `{"metric":{},"values":[` + strings.Join(pts, ",") + `]}`
		}
		_, _ = fmt.Fprintf(w, `{"status":"success","data":{"resultType":"matrix","result":[%s]}}`, result)
	}))
	t.Cleanup(s.Close)
	return s
}

func levels(seed uint64, n int, level float64) []float64 {
	r := rand.New(rand.NewPCG(seed, 7))
	out := make([]float64, n)
	for i := range out {
		out[i] = level * (1 + 0.05*r.NormFloat64())
	}
	return out
}

func judgeMetric(address string, queries ...v1alpha1.JudgeQuery) v1alpha1.Metric {
	return v1alpha1.Metric{Name: "judge", Provider: v1alpha1.MetricProvider{Judge: &v1alpha1.JudgeMetric{Address: address, Metrics: queries}}}
}

func TestJudgeProvider(t *testing.T) {
	base := levels(1, 31, 0.03)
	s := newRangeServer(t, map[string][]float64{
		"lat_canary_same":    levels(2, 31, 0.03),
		"lat_canary_doubled": levels(3, 31, 0.06),
		"lat_base":           base,
		"err_canary":         levels(4, 31, 0.01),
		"err_base":           levels(5, 31, 0.01),
		"identical":          base,
		"empty":              nil,
	})
	q := func(name, canary, baseline string) v1alpha1.JudgeQuery {
		return v1alpha1.JudgeQuery{Name: name, Canary: canary, Baseline: baseline}
	}
	cases := []struct {
		name      string
		metric    v1alpha1.Metric
		wantPhase v1alpha1.AnalysisPhase
		wantValue string
		wantMsg   string
		wantLine  map[string]string
	}{
		{name: "identical samples pass", metric: judgeMetric(s.URL, q("latency", "identical", "lat_base")),
			wantPhase: v1alpha1.AnalysisPhaseSuccessful, wantValue: "100", wantLine: map[string]string{"latency": "Pass: canary and baseline samples are identical (canary 31 samples, baseline 31 samples)"}},
		{name: "same level passes", metric: judgeMetric(s.URL, q("latency", "lat_canary_same", "lat_base"), q("errors", "err_canary", "err_base")),
			wantPhase: v1alpha1.AnalysisPhaseSuccessful, wantValue: "100"},
		{name: "doubled latency is High and fails", metric: judgeMetric(s.URL, q("latency", "lat_canary_doubled", "lat_base")),
			wantPhase: v1alpha1.AnalysisPhaseFailed, wantValue: "0", wantLine: map[string]string{"latency": "High: canary mean"}},
		{name: "one of two High is marginal with thresholds 90/50", metric: func() v1alpha1.Metric {
			m := judgeMetric(s.URL, q("latency", "lat_canary_doubled", "lat_base"), q("errors", "err_canary", "err_base"))
			m.Provider.Judge.Thresholds = v1alpha1.JudgeThresholds{Pass: 90, Marginal: 50}
			return m
		}(), wantPhase: v1alpha1.AnalysisPhaseInconclusive, wantValue: "50"},
		{name: "an increase is fine when only a decrease is bad", metric: judgeMetric(s.URL, v1alpha1.JudgeQuery{Name: "throughput", Canary: "lat_canary_doubled", Baseline: "lat_base", Direction: "decrease"}),
			wantPhase: v1alpha1.AnalysisPhaseSuccessful, wantValue: "100"},
		{name: "a critical High fails whatever the rest", metric: func() v1alpha1.Metric {
			m := judgeMetric(s.URL, v1alpha1.JudgeQuery{Name: "latency", Canary: "lat_canary_doubled", Baseline: "lat_base", Critical: true},
				q("e1", "err_canary", "err_base"), q("e2", "identical", "lat_base"), q("e3", "lat_canary_same", "lat_base"))
			m.Provider.Judge.Thresholds = v1alpha1.JudgeThresholds{Pass: 70, Marginal: 1}
			return m
		}(), wantPhase: v1alpha1.AnalysisPhaseFailed, wantValue: "0"},
		{name: "group weights", metric: func() v1alpha1.Metric {
			m := judgeMetric(s.URL,
				v1alpha1.JudgeQuery{Name: "latency", Canary: "lat_canary_doubled", Baseline: "lat_base", Group: "latency"},
				v1alpha1.JudgeQuery{Name: "errors", Canary: "err_canary", Baseline: "err_base", Group: "errors"})
			m.Provider.Judge.Groups = map[string]float64{"errors": 80, "latency": 20}
			m.Provider.Judge.Thresholds = v1alpha1.JudgeThresholds{Pass: 75, Marginal: 50}
			return m
		}(), wantPhase: v1alpha1.AnalysisPhaseSuccessful, wantValue: "80"},
		{name: "a condition over the score decides when set", metric: func() v1alpha1.Metric {
			m := judgeMetric(s.URL, q("latency", "lat_canary_doubled", "lat_base"), q("errors", "err_canary", "err_base"))
			m.SuccessCondition = "result >= 50"
			return m
		}(), wantPhase: v1alpha1.AnalysisPhaseSuccessful, wantValue: "50"},
		{name: "NoData is left out of the score", metric: judgeMetric(s.URL, q("latency", "identical", "lat_base"), q("errors", "empty", "err_base")),
			wantPhase: v1alpha1.AnalysisPhaseSuccessful, wantValue: "100", wantLine: map[string]string{"errors": "NoData: no canary samples (canary 0 samples, baseline 31 samples)"}},
		{name: "no data at all is an error", metric: judgeMetric(s.URL, q("latency", "empty", "lat_base")),
			wantPhase: v1alpha1.AnalysisPhaseError, wantMsg: "judge: no data for any metric (latency: no canary samples)"},
		{name: "a failing query is an error", metric: judgeMetric(s.URL, q("latency", "nope", "lat_base")),
			wantPhase: v1alpha1.AnalysisPhaseError, wantMsg: `judge: metric "latency": canary query: bad_data: unknown query nope`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := measure(t, newFactory(), tc.metric)
			assert.Equal(t, tc.wantPhase, got.Phase, got.Message)
			assert.Equal(t, tc.wantValue, got.Value)
			if tc.wantMsg != "" {
				assert.Equal(t, tc.wantMsg, got.Message)
			}
			for name, prefix := range tc.wantLine {
				assert.True(t, strings.HasPrefix(got.Metadata[JudgeMetricKeyPrefix+name], prefix), got.Metadata[JudgeMetricKeyPrefix+name])
			}
		})
	}
}

func TestJudgeQueriesTheWindowAtClockTime(t *testing.T) {
	s := newRangeServer(t, map[string][]float64{"c": {1, 2}, "b": {1, 2}})
	m := judgeMetric(s.URL, v1alpha1.JudgeQuery{Name: "x", Canary: "c", Baseline: "b"})
	m.Provider.Judge.Window, m.Provider.Judge.Step = "2m", "15s"
	got := measure(t, newFactory(), m)
	require.Equal(t, v1alpha1.AnalysisPhaseSuccessful, got.Phase, got.Message)
	end := virtualNow.Unix()
	want := fmt.Sprintf("%d %d 15", end-120, end)
	s.mu.Lock()
	defer s.mu.Unlock()
	assert.Equal(t, []string{want, want}, s.ranges)
}

func TestJudgeMetadataShowsQueries(t *testing.T) {
	p, err := newFactory().NewProvider(judgeMetric("http://p:9090", v1alpha1.JudgeQuery{Name: "x", Canary: "c{h=\"1\"}", Baseline: "c{h=\"2\"}"}))
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"canary/x": `c{h="1"}`, "baseline/x": `c{h="2"}`}, p.Metadata(judgeMetric("", v1alpha1.JudgeQuery{Name: "x", Canary: "c{h=\"1\"}", Baseline: "c{h=\"2\"}"})))
}

func TestValidateJudge(t *testing.T) {
	ok := v1alpha1.JudgeQuery{Name: "a", Canary: "c", Baseline: "b"}
	cases := []struct {
		name string
		cfg  v1alpha1.JudgeMetric
		want string
	}{
		{"valid", v1alpha1.JudgeMetric{Metrics: []v1alpha1.JudgeQuery{ok}}, ""},
		{"no metrics", v1alpha1.JudgeMetric{}, "judge: no metrics to compare"},
		{"no name", v1alpha1.JudgeMetric{Metrics: []v1alpha1.JudgeQuery{{Canary: "c", Baseline: "b"}}}, "judge: metrics[0]: name is required"},
		{"duplicate", v1alpha1.JudgeMetric{Metrics: []v1alpha1.JudgeQuery{ok, ok}}, "judge: metrics[1]: duplicate name 'a'"},
		{"no baseline", v1alpha1.JudgeMetric{Metrics: []v1alpha1.JudgeQuery{{Name: "a", Canary: "c"}}}, "judge: metrics[0]: canary and baseline queries are required"},
		{"direction", v1alpha1.JudgeMetric{Metrics: []v1alpha1.JudgeQuery{{Name: "a", Canary: "c", Baseline: "b", Direction: "up"}}}, `judge: metrics[0]: direction must be increase, decrease or either, not "up"`},
		{"confidence", v1alpha1.JudgeMetric{Metrics: []v1alpha1.JudgeQuery{{Name: "a", Canary: "c", Baseline: "b", Confidence: 1}}}, "judge: metrics[0]: confidence must be between 0 and 1"},
		{"tolerance", v1alpha1.JudgeMetric{Metrics: []v1alpha1.JudgeQuery{{Name: "a", Canary: "c", Baseline: "b", Tolerance: -1}}}, "judge: metrics[0]: tolerance must not be negative"},
		{"effect size", v1alpha1.JudgeMetric{Metrics: []v1alpha1.JudgeQuery{{Name: "a", Canary: "c", Baseline: "b", EffectSize: &v1alpha1.JudgeEffectSize{AllowedIncrease: -1}}}}, "judge: metrics[0]: effectSize ratios must not be negative"},
		{"weights", v1alpha1.JudgeMetric{Metrics: []v1alpha1.JudgeQuery{ok}, Groups: map[string]float64{"x": -1}}, "judge: groups[x]: weight must not be negative"},
		{"thresholds", v1alpha1.JudgeMetric{Metrics: []v1alpha1.JudgeQuery{ok}, Thresholds: v1alpha1.JudgeThresholds{Pass: 50, Marginal: 60}}, "judge: thresholds must satisfy 0 <= marginal <= pass <= 100"},
		{"window", v1alpha1.JudgeMetric{Metrics: []v1alpha1.JudgeQuery{ok}, Window: "5 minutes"}, `judge: invalid window "5 minutes": time: unknown unit " minutes" in duration "5 minutes"`},
		{"step", v1alpha1.JudgeMetric{Metrics: []v1alpha1.JudgeQuery{ok}, Step: "-1s"}, "judge: step must be positive"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := ValidateJudge(&tc.cfg)
			if tc.want == "" {
				assert.NoError(t, err)
				return
			}
			assert.EqualError(t, err, tc.want)
		})
	}
}

func TestJudgeProviderSettingsErrors(t *testing.T) {
	m := judgeMetric("not a url", v1alpha1.JudgeQuery{Name: "a", Canary: "c", Baseline: "b"})
	_, err := newFactory().NewProvider(m)
	assert.EqualError(t, err, "prometheus address is not is url format")
	m = judgeMetric("", v1alpha1.JudgeQuery{Name: "a", Canary: "c", Baseline: "b"})
	_, err = newFactory().NewProvider(m)
	assert.EqualError(t, err, "prometheus address is not configured")
}
