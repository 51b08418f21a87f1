package fakeprom

import (
	"context"
	"math"
	"math/rand/v2"
	"path"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/value"
	"github.com/prometheus/prometheus/promql/promqltest"
	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/util/teststorage"
	"github.com/stretchr/testify/require"
)

// floatOnlyTests are Prometheus' own PromQL acceptance files that use no
// native histograms or start timestamps, which the store does not keep.
var floatOnlyTests = map[string]bool{
	"at_modifier.test":         true,
	"collision.test":           true,
	"duration_expression.test": true,
	"fill-modifier.test":       true,
	"literals.test":            true,
	"name_label_dropping.test": true,
	"selectors.test":           true,
	"staleness.test":           true,
	"trig_functions.test":      true,
	"type_and_unit.test":       true,
	"unquoted_utf8_names.test": true,
}

// onlyFiles runs the subtests RunBuiltinTestsWithStorage starts for the
// files in allow and skips the rest.
type onlyFiles struct {
	*testing.T
	allow map[string]bool
}

func (o onlyFiles) Run(name string, f func(*testing.T)) bool {
	if !o.allow[path.Base(name)] {
		return true
	}
	return o.T.Run(name, f)
}

// TestPrometheusAcceptance runs Prometheus' promqltest files over a Store.
func TestPrometheusAcceptance(t *testing.T) {
	ng := promqltest.NewTestEngine(t, false, 0, promqltest.DefaultMaxSamplesPerQuery)
	promqltest.RunBuiltinTestsWithStorage(onlyFiles{t, floatOnlyTests}, ng, func(testing.TB) storage.Storage {
		return NewStore()
	})
}

// TestMatchesTSDB loads the same irregular data (jitter, gaps, resets, stale
// markers, rejected out-of-order samples) into a Store and into Prometheus'
// TSDB and checks that the engine answers every query identically over both.
func TestMatchesTSDB(t *testing.T) {
	db := teststorage.New(t)
	store := NewStore()
	// One commit per sample, so that tsdb checks order against the stored
	// series as the Store does (within a batch it defers the check).
	appendTSDB := func(lset labels.Labels, ts int64, v float64) error {
		app := db.Appender(context.Background())
		if _, err := app.Append(0, lset, ts, v); err != nil {
			_ = app.Rollback()
			return err
		}
		return app.Commit()
	}

	rng := rand.New(rand.NewPCG(1, 2))
	const n = 360 // one hour of ~10 s scrapes
	for i, lset := range []labels.Labels{
		labels.FromStrings("__name__", "req_total", "pod", "a", "status", "200"),
		labels.FromStrings("__name__", "req_total", "pod", "a", "status", "500"),
		labels.FromStrings("__name__", "req_total", "pod", "b", "status", "200"),
		labels.FromStrings("__name__", "req_total", "pod", "b", "status", "500"),
		labels.FromStrings("__name__", "lat_bucket", "le", "0.1"),
		labels.FromStrings("__name__", "lat_bucket", "le", "1"),
		labels.FromStrings("__name__", "lat_bucket", "le", "+Inf"),
		labels.FromStrings("__name__", "mem_bytes", "pod", "a"),
	} {
		ref := store.Ref(lset)
		var v float64
		ts := int64(0)
		for j := range n {
			ts += 10_000 + rng.Int64N(2_000) - 1_000
			switch {
			case j%97 == 96 && i < 4: // a restart: the counter resets
				v = 0
			case i == 7:
				v = 1e8 + rng.Float64()*1e6
			default:
				v += float64(i+1) * rng.Float64() * 10
			}
			x := v
			switch {
			case j%50 == 25 && i%2 == 0: // a gap longer than the lookback
				ts += 6 * 60_000
			case j == n/2 && i == 3: // the series ends and comes back
				x = math.Float64frombits(value.StaleNaN)
			}
			require.NoError(t, appendTSDB(lset, ts, x))
			store.Append(ref, ts, x)
			if j%40 == 0 { // older than the newest: both must reject it
				require.ErrorIs(t, appendTSDB(lset, ts-5_000, 1), storage.ErrOutOfOrderSample)
				store.Append(ref, ts-5_000, 1)
			}
		}
	}
	require.Equal(t, int64(8*9), store.Stats().OutOfOrder)

	queries := []string{
		`req_total`,
		`req_total{status!~"5.."}`,
		`rate(req_total[1m])`,
		`increase(req_total[5m])`,
		`irate(req_total[2m])`,
		`resets(req_total[10m])`,
		`sum(rate(req_total{status!~"5.."}[1m])) / sum(rate(req_total[1m]))`,
		`sum by (pod) (rate(req_total[5m]))`,
		`histogram_quantile(0.9, sum by (le) (rate(lat_bucket[5m])))`,
		`avg_over_time(mem_bytes[5m])`,
		`max_over_time(mem_bytes[10m]) - min_over_time(mem_bytes[10m])`,
		`deriv(mem_bytes[10m])`,
		`last_over_time(req_total[10m])`,
		`count_over_time({__name__=~".+"}[3m])`,
		`absent(req_total{pod="c"})`,
		`rate(req_total[5m] offset 3m)`,
		`max_over_time(rate(req_total[1m])[10m:30s])`,
		`timestamp(req_total)`,
	}
	srvStore := NewServer(store)
	srvTSDB := NewServer(NewStore()) // its engine, pointed at the TSDB below
	for _, q := range queries {
		answered := 0
		for ts := time.Duration(0); ts <= 70*time.Minute; ts += 97 * time.Second {
			want := instant(t, srvTSDB, db, q, at(ts))
			got := instant(t, srvStore, store, q, at(ts))
			require.Equal(t, want, got, "%s at %v", q, ts)
			if want != "" {
				answered++
			}
		}
		require.Greater(t, answered, 10, "%s: too few non-empty answers to compare", q)
		want := rangeQuery(t, srvTSDB, db, q)
		got := rangeQuery(t, srvStore, store, q)
		require.Equal(t, want, got, "%s over the hour", q)
	}
}

// instant and rangeQuery render results as text so that NaNs compare equal.
// An instant vector's order is unspecified (tsdb gives series in creation
// order, the Store by labels), so its lines are sorted.
func instant(t *testing.T, srv *Server, q storage.Queryable, qs string, ts time.Time) string {
	t.Helper()
	qry, err := srv.Engine().NewInstantQuery(context.Background(), q, nil, qs, ts)
	require.NoError(t, err)
	defer qry.Close()
	res := qry.Exec(context.Background())
	require.NoError(t, res.Err)
	lines := strings.Split(res.Value.String(), "\n")
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

func rangeQuery(t *testing.T, srv *Server, q storage.Queryable, qs string) string {
	t.Helper()
	qry, err := srv.Engine().NewRangeQuery(context.Background(), q, nil, qs, at(0), at(70*time.Minute), 20*time.Second)
	require.NoError(t, err)
	defer qry.Close()
	res := qry.Exec(context.Background())
	require.NoError(t, res.Err)
	return res.Value.String()
}
