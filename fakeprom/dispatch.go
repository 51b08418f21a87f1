package fakeprom

import (
	"context"
	"errors"
	"time"

	"github.com/prometheus/prometheus/model/exemplar"
	"github.com/prometheus/prometheus/model/histogram"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/util/annotations"
)

// The shared HTTP API (see shared) reaches a Server's Store through these
// dispatchers, which find the Server in the request context.

type serverCtxKey struct{}

func withServer(ctx context.Context, s *Server) context.Context {
	return context.WithValue(ctx, serverCtxKey{}, s)
}

// errNoServer means a request reached the shared API without passing
// through a Server's Handler; it cannot happen through exported API.
var errNoServer = errors.New("fakeprom: request not routed through a Server")

func serverFrom(ctx context.Context) (*Server, error) {
	if s, ok := ctx.Value(serverCtxKey{}).(*Server); ok {
		return s, nil
	}
	return nil, errNoServer
}

// dispatchEngine runs each query on the engine of the request's Server over
// that Server's Store, ignoring the Queryable the API passes, so that the
// query path does not depend on the engine threading the context to Select.
type dispatchEngine struct{}

func (dispatchEngine) NewInstantQuery(ctx context.Context, _ storage.Queryable, opts promql.QueryOpts, qs string, ts time.Time) (promql.Query, error) {
	s, err := serverFrom(ctx)
	if err != nil {
		return nil, err
	}
	return s.shared.engine.NewInstantQuery(ctx, s.store, opts, qs, ts)
}

func (dispatchEngine) NewRangeQuery(ctx context.Context, _ storage.Queryable, opts promql.QueryOpts, qs string, start, end time.Time, step time.Duration) (promql.Query, error) {
	s, err := serverFrom(ctx)
	if err != nil {
		return nil, err
	}
	return s.shared.engine.NewRangeQuery(ctx, s.store, opts, qs, start, end, step)
}

// dispatchQueryable serves /series, /labels, /label/<name>/values and remote
// read: web/api/v1 opens the querier without a context but passes the
// request's context to every Select, LabelValues and LabelNames.
type dispatchQueryable struct{}

func (dispatchQueryable) Querier(mint, maxt int64) (storage.Querier, error) {
	return dispatchQuerier{mint: mint, maxt: maxt}, nil
}

func (dispatchQueryable) ChunkQuerier(mint, maxt int64) (storage.ChunkQuerier, error) {
	return dispatchChunkQuerier{dispatchQuerier{mint: mint, maxt: maxt}}, nil
}

type dispatchQuerier struct{ mint, maxt int64 }

func (d dispatchQuerier) resolve(ctx context.Context) (*querier, error) {
	s, err := serverFrom(ctx)
	if err != nil {
		return nil, err
	}
	return &querier{s: s.store, mint: d.mint, maxt: d.maxt}, nil
}

func (d dispatchQuerier) Select(ctx context.Context, sortSeries bool, hints *storage.SelectHints, ms ...*labels.Matcher) storage.SeriesSet {
	q, err := d.resolve(ctx)
	if err != nil {
		return storage.ErrSeriesSet(err)
	}
	return q.Select(ctx, sortSeries, hints, ms...)
}

func (d dispatchQuerier) LabelValues(ctx context.Context, name string, hints *storage.LabelHints, ms ...*labels.Matcher) ([]string, annotations.Annotations, error) {
	q, err := d.resolve(ctx)
	if err != nil {
		return nil, nil, err
	}
	return q.LabelValues(ctx, name, hints, ms...)
}

func (d dispatchQuerier) LabelNames(ctx context.Context, hints *storage.LabelHints, ms ...*labels.Matcher) ([]string, annotations.Annotations, error) {
	q, err := d.resolve(ctx)
	if err != nil {
		return nil, nil, err
	}
	return q.LabelNames(ctx, hints, ms...)
}

func (dispatchQuerier) Close() error { return nil }

type dispatchChunkQuerier struct{ dispatchQuerier }

func (d dispatchChunkQuerier) Select(ctx context.Context, sortSeries bool, hints *storage.SelectHints, ms ...*labels.Matcher) storage.ChunkSeriesSet {
	return storage.NewSeriesSetToChunkSet(d.dispatchQuerier.Select(ctx, sortSeries, hints, ms...))
}

// dispatchAppendable feeds the remote-write receiver: its handler asks for
// an appender with the request's context.
type dispatchAppendable struct{}

func (dispatchAppendable) AppenderV2(ctx context.Context) storage.AppenderV2 {
	s, err := serverFrom(ctx)
	if err != nil {
		return failingAppender{err}
	}
	return s.store.AppenderV2(ctx)
}

// failingAppender refuses every sample of an unrouted request.
type failingAppender struct{ err error }

func (f failingAppender) Append(storage.SeriesRef, labels.Labels, int64, int64, float64, *histogram.Histogram, *histogram.FloatHistogram, storage.AppendV2Options) (storage.SeriesRef, error) {
	return 0, f.err
}
func (f failingAppender) AppendExemplars(storage.SeriesRef, labels.Labels, []exemplar.Exemplar) (storage.SeriesRef, error) {
	return 0, f.err
}
func (f failingAppender) Commit() error { return f.err }
func (failingAppender) Rollback() error { return nil }
