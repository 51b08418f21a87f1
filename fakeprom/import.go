package fakeprom

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
)

// ImportOptions says which recorded series Import pulls.
type ImportOptions struct {
	// Match holds series selectors (as /api/v1/series' match[]); a series
	// matching several is pulled once.
	Match []string
	// Start and End bound the samples, both inclusive.
	Start, End time.Time
	// Step, when set, resamples every series at Start, Start+Step, ... with
	// query_range (PromQL's lookback applies). Zero pulls the raw samples,
	// timestamps and all.
	Step time.Duration
	// Window is the time span of each request for raw samples (default 1 h),
	// which bounds the size of one answer.
	Window time.Duration
}

// ImportResult is what Import pulled.
type ImportResult struct {
	Series []Series
	// Warnings are the API's warnings and what could not be kept (native
	// histogram samples, which OpenMetrics text cannot carry here).
	Warnings []string
}

// Import pulls series from a Prometheus HTTP API (through client_golang's
// API client) for replay with LoadOpenMetrics: the series endpoint lists
// what matches, then raw samples come from instant queries of range
// selectors, window by window (or, with Step, from query_range). Stale
// markers are never returned by the API, so a series that ended simply
// stops, as it would in a Prometheus backfilled from the same file.
func Import(ctx context.Context, api promv1.API, opts ImportOptions) (ImportResult, error) {
	var res ImportResult
	if len(opts.Match) == 0 {
		return res, errors.New("import: no series selector")
	}
	if opts.End.Before(opts.Start) {
		return res, errors.New("import: end before start")
	}
	p := parser.NewParser(parser.Options{})
	for _, m := range opts.Match {
		if _, err := p.ParseMetricSelector(m); err != nil {
			return res, fmt.Errorf("import: selector %q: %w", m, err)
		}
	}
	listed, warnings, _, err := api.Series(ctx, opts.Match, opts.Start, opts.End)
	if err != nil {
		return res, fmt.Errorf("import: listing series: %w", err)
	}
	res.Warnings = append(res.Warnings, warnings...)
	if len(listed) == 0 {
		return res, nil
	}

	acc := newSeriesAccumulator(opts.Start, opts.End)
	if opts.Step > 0 {
		err = importResampled(ctx, api, opts, acc)
	} else {
		err = importRaw(ctx, api, opts, acc)
	}
	res.Warnings = append(res.Warnings, acc.warnings...)
	if err != nil {
		return res, err
	}
	res.Series = acc.series()
	return res, nil
}

// importRaw asks `selector[window]` at the end of each window: the answer
// is every raw sample in (end-window, end] (Prometheus 3) or
// [end-window, end] (2.x, whose repeated boundary sample the accumulator
// drops).
func importRaw(ctx context.Context, api promv1.API, opts ImportOptions, acc *seriesAccumulator) error {
	window := opts.Window
	if window <= 0 {
		window = time.Hour
	}
	startMs, endMs := opts.Start.UnixMilli(), opts.End.UnixMilli()
	for from := startMs - 1; from < endMs; {
		to := min(from+window.Milliseconds(), endMs)
		for _, m := range opts.Match {
			q := m + "[" + strconv.FormatInt(to-from, 10) + "ms]"
			v, warnings, _, err := api.Query(ctx, q, time.UnixMilli(to))
			if err != nil {
				return fmt.Errorf("import: %s at %s: %w", q, time.UnixMilli(to).UTC().Format(time.RFC3339Nano), err)
			}
			acc.warnings = append(acc.warnings, warnings...)
			if err := acc.add(v); err != nil {
				return err
			}
		}
		from = to
	}
	return nil
}

// maxRangePoints is the API's limit on points per series of a range query.
const maxRangePoints = 11_000

// importResampled asks query_range in spans within the API's point limit.
func importResampled(ctx context.Context, api promv1.API, opts ImportOptions, acc *seriesAccumulator) error {
	span := opts.Step * (maxRangePoints - 1)
	for from := opts.Start; !from.After(opts.End); from = from.Add(span + opts.Step) {
		to := from.Add(span)
		if to.After(opts.End) {
			to = opts.End
		}
		for _, m := range opts.Match {
			v, warnings, _, err := api.QueryRange(ctx, m, promv1.Range{Start: from, End: to, Step: opts.Step})
			if err != nil {
				return fmt.Errorf("import: query_range %s: %w", m, err)
			}
			acc.warnings = append(acc.warnings, warnings...)
			if err := acc.add(v); err != nil {
				return err
			}
		}
	}
	return nil
}

// seriesAccumulator gathers samples by series, in time order, each once.
type seriesAccumulator struct {
	start, end int64
	byKey      map[string]*Series
	warnings   []string
	histograms int
}

func newSeriesAccumulator(start, end time.Time) *seriesAccumulator {
	return &seriesAccumulator{start: start.UnixMilli(), end: end.UnixMilli(), byKey: map[string]*Series{}}
}

func (a *seriesAccumulator) add(v model.Value) error {
	m, ok := v.(model.Matrix)
	if !ok {
		return fmt.Errorf("import: expected a matrix, got %s", v.Type())
	}
	for _, ss := range m {
		key := ss.Metric.String()
		s, ok := a.byKey[key]
		if !ok {
			b := labels.NewScratchBuilder(len(ss.Metric))
			for name, value := range ss.Metric {
				b.Add(string(name), string(value))
			}
			b.Sort()
			s = &Series{Labels: b.Labels()}
			a.byKey[key] = s
		}
		for _, p := range ss.Values {
			t := int64(p.Timestamp)
			if t < a.start || t > a.end {
				continue
			}
			if n := len(s.Samples); n > 0 && t <= s.Samples[n-1].T {
				continue // a window's boundary sample, or a selector's repeat
			}
			s.Samples = append(s.Samples, Sample{T: t, V: float64(p.Value)})
		}
		if len(ss.Histograms) > 0 {
			if a.histograms == 0 {
				a.warnings = append(a.warnings, "native histogram samples are not imported")
			}
			a.histograms += len(ss.Histograms)
		}
	}
	return nil
}

// series returns the series with samples, sorted by labels.
func (a *seriesAccumulator) series() []Series {
	out := make([]Series, 0, len(a.byKey))
	for _, s := range a.byKey {
		if len(s.Samples) > 0 {
			out = append(out, *s)
		}
	}
	slices.SortFunc(out, func(x, y Series) int { return labels.Compare(x.Labels, y.Labels) })
	return out
}
