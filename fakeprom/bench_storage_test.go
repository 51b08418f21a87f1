package fakeprom

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/tsdb"
)

// headQueryable serves a TSDB head as storage.Queryable, as a Prometheus
// whose data is all in its head would query it.
type headQueryable struct{ h *tsdb.Head }

func (q headQueryable) Querier(mint, maxt int64) (storage.Querier, error) {
	return tsdb.NewBlockQuerier(tsdb.NewRangeHead(q.h, mint, maxt), mint, maxt)
}

// newBenchHead is Prometheus' in-memory head with default options and a
// temporary chunk directory (no WAL).
func newBenchHead(b *testing.B) *tsdb.Head {
	b.Helper()
	opts := tsdb.DefaultHeadOptions()
	opts.ChunkDirRoot = b.TempDir()
	h, err := tsdb.NewHead(nil, nil, nil, nil, opts, nil)
	if err != nil {
		b.Fatal(err)
	}
	if err := h.Init(math.MinInt64); err != nil {
		b.Fatal(err)
	}
	return h
}

// appendToHead appends in scrape order, one commit per scrape.
func appendToHead(b *testing.B, h *tsdb.Head, series []Series) {
	b.Helper()
	ctx := context.Background()
	refs := make([]storage.SeriesRef, len(series))
	for j := range series[0].Samples {
		app := h.Appender(ctx)
		for i, s := range series {
			if j >= len(s.Samples) {
				continue
			}
			ref, err := app.Append(refs[i], s.Labels, s.Samples[j].T, s.Samples[j].V)
			if err != nil {
				b.Fatal(err)
			}
			refs[i] = ref
		}
		if err := app.Commit(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStorage runs the seed's queries with the same engine over the
// Store and over Prometheus' TSDB head holding the same 1,000 series x 6 h:
// the storage choice of issue 5.
func BenchmarkStorage(b *testing.B) {
	series := benchSeries()
	store := NewStore()
	for _, s := range series {
		ref := store.Ref(s.Labels)
		for _, smp := range s.Samples {
			store.Append(ref, smp.T, smp.V)
		}
	}
	head := newBenchHead(b)
	b.Cleanup(func() { head.Close() })
	appendToHead(b, head, series)

	srv := NewServer(store)
	ctx := context.Background()
	for _, q := range seedQueries {
		for _, st := range []struct {
			name string
			q    storage.Queryable
		}{{"store", store}, {"tsdb-head", headQueryable{head}}} {
			b.Run(q.name+"/"+st.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					var res interface{ Close() }
					if q.rangeQuery {
						qry, err := srv.Engine().NewRangeQuery(ctx, st.q, nil, q.query, benchEnd.Add(-time.Hour), benchEnd, time.Minute)
						if err != nil {
							b.Fatal(err)
						}
						if r := qry.Exec(ctx); r.Err != nil {
							b.Fatal(r.Err)
						}
						res = qry
					} else {
						qry, err := srv.Engine().NewInstantQuery(ctx, st.q, nil, q.query, benchEnd)
						if err != nil {
							b.Fatal(err)
						}
						if r := qry.Exec(ctx); r.Err != nil {
							b.Fatal(r.Err)
						}
						res = qry
					}
					res.Close()
				}
			})
		}
	}
}
