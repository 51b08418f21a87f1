package fakeprom

import (
	"context"
	"slices"
	"time"

	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/prometheus/prometheus/util/annotations"
	"github.com/prometheus/prometheus/util/features"
)

// defaultEvaluationInterval is Prometheus' default global
// evaluation_interval, which it also uses as the step of subqueries written
// without one ([30m:]).
const defaultEvaluationInterval = time.Minute

// newEngine mirrors the engine cmd/prometheus builds with default flags: @
// and negative offsets always on; per-step stats, delayed name removal,
// type-and-unit labels, start timestamps and query cost limits off (each is a
// feature flag). No registerer, so any number of engines can coexist.
func newEngine(o options, p parser.Parser, f features.Collector) *promql.Engine {
	return promql.NewEngine(promql.EngineOpts{
		Logger:        o.logger.With("component", "query engine"),
		MaxSamples:    o.maxSamples,
		Timeout:       o.queryTimeout,
		LookbackDelta: o.lookbackDelta,
		NoStepSubqueryIntervalFn: func(int64) int64 {
			return defaultEvaluationInterval.Milliseconds()
		},
		EnableAtModifier:     true,
		EnableNegativeOffset: true,
		FeatureRegistry:      f,
		Parser:               p,
	})
}

// Query evaluates an instant query at ts. The result is the caller's to
// keep (it is copied out of the engine's pooled buffers).
func (s *Server) Query(ctx context.Context, q string, ts time.Time) (parser.Value, annotations.Annotations, error) {
	qry, err := s.shared.engine.NewInstantQuery(ctx, s.store, nil, q, ts)
	if err != nil {
		return nil, nil, err
	}
	defer qry.Close()
	res := qry.Exec(ctx)
	if res.Err != nil {
		return nil, res.Warnings, res.Err
	}
	return detach(res.Value), res.Warnings, nil
}

// QueryRange evaluates a range query over [start, end] every step.
func (s *Server) QueryRange(ctx context.Context, q string, start, end time.Time, step time.Duration) (promql.Matrix, annotations.Annotations, error) {
	qry, err := s.shared.engine.NewRangeQuery(ctx, s.store, nil, q, start, end, step)
	if err != nil {
		return nil, nil, err
	}
	defer qry.Close()
	res := qry.Exec(ctx)
	if res.Err != nil {
		return nil, res.Warnings, res.Err
	}
	m, err := res.Matrix()
	if err != nil {
		return nil, res.Warnings, err
	}
	return detach(m).(promql.Matrix), res.Warnings, nil
}

// detach copies the point slices of a Matrix, which the engine returns to its
// pools on Close. Vectors, scalars and strings own their data already.
func detach(v parser.Value) parser.Value {
	m, ok := v.(promql.Matrix)
	if !ok {
		return v
	}
	out := make(promql.Matrix, len(m))
	for i, s := range m {
		s.Floats = slices.Clone(s.Floats)
		s.Histograms = slices.Clone(s.Histograms)
		out[i] = s
	}
	return out
}
