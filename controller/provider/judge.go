package provider

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-logr/logr"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/clock"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
	"github.com/canarydrill/canarydrill/controller/analysis/evaluate"
	"github.com/canarydrill/canarydrill/controller/provider/judge"
)

// Defaults of a judge metric's sampling.
const (
	DefaultJudgeWindow = 5 * time.Minute
	DefaultJudgeStep   = 10 * time.Second
)

// judgeProvider compares canary and baseline samples fetched from Prometheus (package judge).
type judgeProvider struct {
	api     promv1.API
	timeout time.Duration
	window  time.Duration
	step    time.Duration
	clock   clock.PassiveClock
	log     logr.Logger
}

func (f *DefaultFactory) newJudge(metric v1alpha1.Metric) (Provider, error) {
	cfg := metric.Provider.Judge
	window, step, err := ValidateJudge(cfg)
	if err != nil {
		return nil, err
	}
	promAPI, timeout, err := f.prometheusClient(&v1alpha1.PrometheusMetric{
		Address:        cfg.Address,
		Timeout:        cfg.Timeout,
		Insecure:       cfg.Insecure,
		Headers:        cfg.Headers,
		Authentication: cfg.Authentication,
	})
	if err != nil {
		return nil, err
	}
	return &judgeProvider{api: promAPI, timeout: timeout, window: window, step: step, clock: f.clock(), log: f.Log.WithName("judge")}, nil
}

// ValidateJudge checks a judge metric's own settings (not its address) and returns its window
// and step: at least one metric, unique non-empty names, both queries, a known direction,
// confidence in (0, 1), non-negative tolerance, effect sizes and weights, positive durations,
// and 0 <= marginal <= pass <= 100.
func ValidateJudge(cfg *v1alpha1.JudgeMetric) (window, step time.Duration, err error) {
	if len(cfg.Metrics) == 0 {
		return 0, 0, errors.New(errJudgeNoMetrics)
	}
	seen := map[string]bool{}
	for i, q := range cfg.Metrics {
		switch {
		case q.Name == "":
			return 0, 0, fmt.Errorf(errJudgeNoName, i)
		case seen[q.Name]:
			return 0, 0, fmt.Errorf(errJudgeDuplicate, i, q.Name)
		case q.Canary == "" || q.Baseline == "":
			return 0, 0, fmt.Errorf(errJudgeNoQuery, i)
		case q.Direction != "" && q.Direction != judge.Increase && q.Direction != judge.Decrease && q.Direction != judge.Either:
			return 0, 0, fmt.Errorf(errJudgeDirection, i, q.Direction)
		case q.Confidence < 0 || q.Confidence >= 1:
			return 0, 0, fmt.Errorf(errJudgeConfidence, i)
		case q.Tolerance < 0:
			return 0, 0, fmt.Errorf(errJudgeTolerance, i)
		case q.EffectSize != nil && (q.EffectSize.AllowedIncrease < 0 || q.EffectSize.AllowedDecrease < 0):
			return 0, 0, fmt.Errorf(errJudgeEffectSize, i)
		}
		seen[q.Name] = true
	}
	for _, g := range slices.Sorted(maps.Keys(cfg.Groups)) {
		if cfg.Groups[g] < 0 {
			return 0, 0, fmt.Errorf(errJudgeWeight, g)
		}
	}
	pass, marginal := judgeThresholds(cfg.Thresholds)
	if marginal < 0 || marginal > pass || pass > 100 {
		return 0, 0, errors.New(errJudgeThresholds)
	}
	if window, err = judgeDuration("window", cfg.Window, DefaultJudgeWindow); err != nil {
		return 0, 0, err
	}
	if step, err = judgeDuration("step", cfg.Step, DefaultJudgeStep); err != nil {
		return 0, 0, err
	}
	return window, step, nil
}

func judgeDuration(name string, d v1alpha1.DurationString, def time.Duration) (time.Duration, error) {
	if d == "" {
		return def, nil
	}
	v, err := d.Duration()
	if err != nil {
		return 0, fmt.Errorf(errJudgeDuration, name, d, err)
	}
	if v <= 0 {
		return 0, fmt.Errorf(errJudgeDurationNotPos, name)
	}
	return v, nil
}

func judgeThresholds(t v1alpha1.JudgeThresholds) (pass, marginal float64) {
	pass, marginal = t.Pass, t.Marginal
	if pass == 0 {
		pass = judge.DefaultPass
	}
	if marginal == 0 {
		marginal = judge.DefaultMarginal
	}
	return pass, marginal
}

// Type is "Judge".
func (p *judgeProvider) Type() string { return TypeJudge }

// Metadata shows each query as sent, arguments substituted.
func (p *judgeProvider) Metadata(metric v1alpha1.Metric) map[string]string {
	md := map[string]string{}
	for _, q := range metric.Provider.Judge.Metrics {
		md[JudgeCanaryKeyPrefix+q.Name] = q.Canary
		md[JudgeBaselineKeyPrefix+q.Name] = q.Baseline
	}
	return md
}

// Run fetches every query's canary and baseline samples over the window ending at the clock's
// time, classifies and scores them, and judges the score: by the metric's conditions over
// `result` (the score, a float64) when it has any, else by the thresholds. The value is the
// score; the metadata holds the score and one line per query. No data at all is an Error.
func (p *judgeProvider) Run(ctx context.Context, _ *v1alpha1.AnalysisRun, metric v1alpha1.Metric) v1alpha1.Measurement {
	now := p.clock.Now()
	started := metav1.NewTime(now)
	m := v1alpha1.Measurement{StartedAt: &started}
	cfg := metric.Provider.Judge

	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	r := promv1.Range{Start: now.Add(-p.window), End: now, Step: p.step}
	judged := make([]judge.Judged, 0, len(cfg.Metrics))
	md := map[string]string{}
	for _, q := range cfg.Metrics {
		canary, err := p.samples(ctx, q.Canary, r)
		if err != nil {
			return ErrorMeasurement(m, fmt.Errorf(errJudgeQuery, q.Name, "canary", err), p.clock.Now())
		}
		baseline, err := p.samples(ctx, q.Baseline, r)
		if err != nil {
			return ErrorMeasurement(m, fmt.Errorf(errJudgeQuery, q.Name, "baseline", err), p.clock.Now())
		}
		res, err := judge.Classify(canary, baseline, judgeConfig(q))
		if err != nil {
			return ErrorMeasurement(m, fmt.Errorf(errJudgeClassify, q.Name, err), p.clock.Now())
		}
		judged = append(judged, judge.Judged{Name: q.Name, Group: q.Group, Critical: q.Critical, Result: res})
		md[JudgeMetricKeyPrefix+q.Name] = judgeLine(res)
	}
	summary := judge.Summarize(judged, cfg.Groups)
	if summary.NoData {
		names := make([]string, len(judged))
		for i, j := range judged {
			names[i] = j.Name + ": " + j.Result.Reason
		}
		return ErrorMeasurement(m, fmt.Errorf(errJudgeNoData, strings.Join(names, "; ")), p.clock.Now())
	}
	score := strconv.FormatFloat(summary.Score, 'f', -1, 64)
	md[JudgeScoreKey] = score
	if summary.CriticalFailure != "" {
		md[judgeCriticalKey] = summary.CriticalFailure
	}
	phase, err := judgePhase(metric, summary)
	if err != nil {
		return ErrorMeasurement(m, err, p.clock.Now())
	}
	m.Value = score
	m.Metadata = md
	m.Phase = phase
	finished := metav1.NewTime(p.clock.Now())
	m.FinishedAt = &finished
	return m
}

// judgePhase is Failed on a critical failure when the metric has no conditions, else the
// conditions' verdict over the score, else the thresholds'.
func judgePhase(metric v1alpha1.Metric, s judge.Summary) (v1alpha1.AnalysisPhase, error) {
	if metric.SuccessCondition != "" || metric.FailureCondition != "" {
		return evaluate.Result(s.Score, metric)
	}
	pass, marginal := judgeThresholds(metric.Provider.Judge.Thresholds)
	switch {
	case s.CriticalFailure != "":
		return v1alpha1.AnalysisPhaseFailed, nil
	case s.Score >= pass:
		return v1alpha1.AnalysisPhaseSuccessful, nil
	case s.Score >= marginal:
		return v1alpha1.AnalysisPhaseInconclusive, nil
	}
	return v1alpha1.AnalysisPhaseFailed, nil
}

func judgeConfig(q v1alpha1.JudgeQuery) judge.Config {
	c := judge.Config{Direction: q.Direction, Confidence: q.Confidence, Tolerance: q.Tolerance}
	if q.EffectSize != nil {
		c.AllowedIncrease, c.AllowedDecrease = q.EffectSize.AllowedIncrease, q.EffectSize.AllowedDecrease
	}
	return c
}

// samples runs a range query and returns every sample of every series, in order.
func (p *judgeProvider) samples(ctx context.Context, query string, r promv1.Range) ([]float64, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	v, warnings, _, err := p.api.QueryRange(ctx, query, r, promv1.WithTimeout(p.timeout))
	if err != nil {
		return nil, err
	}
	if len(warnings) > 0 {
		p.log.Info("Prometheus returned warnings", "query", query, "warnings", strings.Join(warnings, "; "))
	}
	var out []float64
	switch v := v.(type) {
	case model.Matrix:
		for _, s := range v {
			for _, sp := range s.Values {
				out = append(out, float64(sp.Value))
			}
		}
	case model.Vector:
		for _, s := range v {
			out = append(out, float64(s.Value))
		}
	case *model.Scalar:
		out = append(out, float64(v.Value))
	default:
		//lint:ignore ST1005 Argo's wording, kept for users' greps
		return nil, errors.New(errPromTypeNotSupported)
	}
	return out, nil
}

// judgeLine is one query's result as shown in the measurement's metadata.
func judgeLine(r judge.Result) string {
	if r.Test == nil {
		return fmt.Sprintf(judgeLineReason, r.Classification, r.Reason, r.CanaryCount, r.BaselineCount)
	}
	return fmt.Sprintf(judgeLineTest, r.Classification, num(r.CanaryMean), r.CanaryCount, num(r.BaselineMean), r.BaselineCount,
		num(r.Test.Estimate), num(r.Test.Lower), num(r.Test.Upper), num(r.Test.PValue))
}

// num shows a float with four significant digits.
func num(f float64) string {
	if math.IsNaN(f) {
		return "NaN"
	}
	return strconv.FormatFloat(f, 'g', 4, 64)
}

// Resume returns the measurement unchanged: judge measurements finish in Run.
func (p *judgeProvider) Resume(_ context.Context, _ *v1alpha1.AnalysisRun, _ v1alpha1.Metric, m v1alpha1.Measurement) v1alpha1.Measurement {
	return m
}

// Terminate returns the measurement unchanged: judge measurements finish in Run.
func (p *judgeProvider) Terminate(_ context.Context, _ *v1alpha1.AnalysisRun, _ v1alpha1.Metric, m v1alpha1.Measurement) v1alpha1.Measurement {
	return m
}

// GarbageCollect has nothing to collect.
func (p *judgeProvider) GarbageCollect(context.Context, *v1alpha1.AnalysisRun, v1alpha1.Metric, int) error {
	return nil
}
