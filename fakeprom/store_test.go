package fakeprom

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/histogram"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/value"
	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/tsdb/chunkenc"
	"github.com/stretchr/testify/require"
)

type tv struct {
	T int64
	V float64
}

// samplesOf reads every series matching ms in [mint, maxt] through the
// storage.Querier interface, as the engine does.
func samplesOf(t *testing.T, q storage.Queryable, mint, maxt int64, ms ...*labels.Matcher) map[string][]tv {
	t.Helper()
	qr, err := q.Querier(mint, maxt)
	require.NoError(t, err)
	defer qr.Close()
	out := map[string][]tv{}
	ss := qr.Select(context.Background(), true, nil, ms...)
	var it chunkenc.Iterator
	for ss.Next() {
		s := ss.At()
		it = s.Iterator(it)
		var got []tv
		for it.Next() == chunkenc.ValFloat {
			ts, v := it.At()
			got = append(got, tv{ts, v})
		}
		require.NoError(t, it.Err())
		out[s.Labels().String()] = got
	}
	require.NoError(t, ss.Err())
	return out
}

func TestAppendRules(t *testing.T) {
	s := NewStore()
	lset := labels.FromStrings("__name__", "m")
	ref := s.Ref(lset)
	require.Equal(t, ref, s.Ref(lset), "refs are stable")

	s.Append(ref, 1000, 1)
	s.Append(ref, 2000, 2)
	s.Append(ref, 1500, 9) // older than the newest: rejected
	s.Append(ref, 2000, 2) // exact duplicate: dropped
	s.Append(ref, 2000, 3) // same time, other value: rejected
	s.Append(ref, 3000, 3)
	s.MarkStale(ref, 4000)
	s.MarkStale(ref, 4000) // a repeated marker is an exact duplicate
	s.Append(ref, 4000, math.NaN())
	s.AppendLabels(lset, 5000, 5)

	got := samplesOf(t, s, math.MinInt64, math.MaxInt64, labels.MustNewMatcher(labels.MatchEqual, "__name__", "m"))
	samples := got[`{__name__="m"}`]
	require.Len(t, samples, 5)
	require.Equal(t, []tv{{1000, 1}, {2000, 2}, {3000, 3}}, samples[:3])
	require.True(t, value.IsStaleNaN(samples[3].V))
	require.Equal(t, tv{5000, 5}, samples[4])

	require.Equal(t, StoreStats{Series: 1, Samples: 5, OutOfOrder: 1, DuplicateConflict: 2, Duplicate: 2}, s.Stats())
}

func TestRefDropsEmptyLabels(t *testing.T) {
	s := NewStore()
	a := s.Ref(labels.FromStrings("__name__", "m", "pod", ""))
	b := s.Ref(labels.FromStrings("__name__", "m"))
	require.Equal(t, a, b)
	require.Equal(t, 1, s.Stats().Series)
}

func TestSelectTrimsAndSorts(t *testing.T) {
	s := NewStore()
	// Created out of label order, and with a label name ("A") that sorts
	// before __name__.
	for _, lset := range []labels.Labels{
		labels.FromStrings("__name__", "b", "x", "2"),
		labels.FromStrings("__name__", "a", "x", "1"),
		labels.FromStrings("__name__", "b", "x", "1"),
		labels.FromStrings("__name__", "a", "A", "z"),
		labels.FromStrings("__name__", "late"),
	} {
		ref := s.Ref(lset)
		start := int64(0)
		if lset.Get("__name__") == "late" {
			start = 100
		}
		for ts := start; ts <= 100; ts += 10 {
			s.Append(ref, ts, float64(ts))
		}
	}

	q, err := s.Querier(20, 40)
	require.NoError(t, err)
	ss := q.Select(context.Background(), true, nil, labels.MustNewMatcher(labels.MatchRegexp, "__name__", "a|b|late"))
	var names []string
	for ss.Next() {
		names = append(names, ss.At().Labels().String())
	}
	require.Equal(t, []string{
		`{A="z", __name__="a"}`,
		`{__name__="a", x="1"}`,
		`{__name__="b", x="1"}`,
		`{__name__="b", x="2"}`,
	}, names, "sorted by labels; the series without samples in range left out")

	got := samplesOf(t, s, 20, 40, labels.MustNewMatcher(labels.MatchEqual, "__name__", "b"), labels.MustNewMatcher(labels.MatchEqual, "x", "2"))
	require.Equal(t, map[string][]tv{`{__name__="b", x="2"}`: {{20, 20}, {30, 30}, {40, 40}}}, got)

	// Hints narrow the range further, as with tsdb.
	ss = q.Select(context.Background(), false, &storage.SelectHints{Start: 35, End: 40}, labels.MustNewMatcher(labels.MatchEqual, "__name__", "late"))
	require.False(t, ss.Next())
	ss = q.Select(context.Background(), false, &storage.SelectHints{Start: 25, End: 30, Limit: 1}, labels.MustNewMatcher(labels.MatchRegexp, "x", ".+"))
	require.True(t, ss.Next())
	require.Equal(t, `{__name__="a", x="1"}`, ss.At().Labels().String())
	it := ss.At().Iterator(nil)
	require.Equal(t, chunkenc.ValFloat, it.Next())
	require.Equal(t, int64(30), it.AtT())
	require.Equal(t, chunkenc.ValNone, it.Next())
	require.False(t, ss.Next(), "limit 1")
}

func TestIteratorSeek(t *testing.T) {
	s := NewStore()
	ref := s.Ref(labels.FromStrings("__name__", "m"))
	for ts := int64(0); ts <= 100; ts += 10 {
		s.Append(ref, ts, float64(ts)/10)
	}
	q, _ := s.Querier(0, 100)
	ss := q.Select(context.Background(), false, nil, labels.MustNewMatcher(labels.MatchEqual, "__name__", "m"))
	require.True(t, ss.Next())
	it := ss.At().Iterator(nil)

	require.Equal(t, chunkenc.ValFloat, it.Seek(25)) // before the first Next
	ts, v := it.At()
	require.Equal(t, int64(30), ts)
	require.Equal(t, 3.0, v)
	require.Equal(t, chunkenc.ValFloat, it.Seek(0), "never backwards")
	require.Equal(t, int64(30), it.AtT())
	require.Equal(t, chunkenc.ValFloat, it.Seek(30))
	require.Equal(t, int64(30), it.AtT())
	require.Equal(t, chunkenc.ValFloat, it.Next())
	require.Equal(t, int64(40), it.AtT())
	require.Equal(t, chunkenc.ValFloat, it.Seek(100))
	require.Equal(t, int64(100), it.AtT())
	require.Equal(t, chunkenc.ValNone, it.Seek(101))
	require.Equal(t, chunkenc.ValNone, it.Next())

	// Reused for another series, it starts over.
	it2 := ss.At().Iterator(it)
	require.Equal(t, chunkenc.ValFloat, it2.Next())
	require.Equal(t, int64(0), it2.AtT())
}

func TestLabelNamesAndValues(t *testing.T) {
	s := demoStore(t)
	q, err := s.Querier(math.MinInt64, math.MaxInt64)
	require.NoError(t, err)
	ctx := context.Background()

	names, _, err := q.LabelNames(ctx, nil)
	require.NoError(t, err)
	require.Equal(t, []string{"__name__", "app", "le", "pod", "status"}, names)

	vals, _, err := q.LabelValues(ctx, "pod", nil, labels.MustNewMatcher(labels.MatchEqual, "__name__", "up"))
	require.NoError(t, err)
	require.Equal(t, []string{"fade", "gone"}, vals)

	vals, _, err = q.LabelValues(ctx, "status", &storage.LabelHints{Limit: 1})
	require.NoError(t, err)
	require.Equal(t, []string{"200"}, vals)

	// Only series with samples in the querier's range count.
	q, err = s.Querier(ms(11*time.Minute), ms(12*time.Minute))
	require.NoError(t, err)
	vals, _, err = q.LabelValues(ctx, "pod", nil, labels.MustNewMatcher(labels.MatchEqual, "__name__", "up"))
	require.NoError(t, err)
	require.Empty(t, vals)
}

func TestAppenders(t *testing.T) {
	s := NewStore()
	lset := labels.FromStrings("__name__", "m")

	app := s.Appender(context.Background())
	ref, err := app.Append(0, lset, 1000, 1)
	require.NoError(t, err)
	_, err = app.Append(ref, lset, 2000, 2)
	require.NoError(t, err)
	_, err = app.Append(ref, lset, 1500, 9)
	require.ErrorIs(t, err, storage.ErrOutOfOrderSample, "checked against the batch too")
	_, err = app.Append(ref, lset, 2000, 3)
	require.ErrorIs(t, err, storage.ErrDuplicateSampleForTimestamp)
	_, err = app.AppendHistogram(ref, lset, 3000, &histogram.Histogram{}, nil)
	require.Error(t, err)
	require.Empty(t, samplesOf(t, s, 0, 10_000), "nothing visible before Commit")
	require.NoError(t, app.Commit())
	require.Equal(t, map[string][]tv{`{__name__="m"}`: {{1000, 1}, {2000, 2}}}, samplesOf(t, s, 0, 10_000))

	app2 := s.AppenderV2(context.Background())
	_, err = app2.Append(0, lset, 0, 1000, 7, nil, nil, storage.AOptions{})
	require.ErrorIs(t, err, storage.ErrOutOfOrderSample, "checked against stored samples")
	_, err = app2.Append(0, lset, 0, 3000, 3, nil, nil, storage.AOptions{})
	require.NoError(t, err)
	require.NoError(t, app2.Rollback())
	require.Len(t, samplesOf(t, s, 0, 10_000)[`{__name__="m"}`], 2, "rolled back")
}

// Queries run while a writer appends: the race detector checks that
// snapshots taken under the read lock need no lock afterwards.
func TestConcurrentAppendAndQuery(t *testing.T) {
	s := NewStore()
	srv := NewServer(s)
	ref := s.Ref(labels.FromStrings("__name__", "c_total"))
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := int64(0); i < 20_000; i++ {
			s.Append(ref, i*10, float64(i))
		}
	})
	for range 4 {
		wg.Go(func() {
			for i := 0; i < 50; i++ {
				if _, _, err := srv.Query(context.Background(), `rate(c_total[1m])`, time.UnixMilli(int64(i)*2000)); err != nil {
					t.Error(err) // not require: FailNow must run on the test goroutine
				}
			}
		})
	}
	wg.Wait()
	require.Equal(t, int64(20_000), s.Stats().Samples)
}

// TestPostingsMatchScan checks the postings index against the definition it
// replaces: every series of the Store tested against every matcher, sorted by
// labels. The labels include one sorting before __name__ and ones that some
// series lack; the matchers mix equalities (indexed) with the other types and
// with empty values (not indexed).
func TestPostingsMatchScan(t *testing.T) {
	s := NewStore()
	rnd := rand.New(rand.NewPCG(1, 2))
	pick := func(vals ...string) string { return vals[rnd.IntN(len(vals))] }
	var all []labels.Labels
	for range 500 {
		lset := labels.FromStrings(
			"__name__", pick("a", "b", "c"),
			"A", pick("", "x", "y"),
			"app", pick("p", "q", "r", "s"),
			"pod", pick("", "1", "2", "3"),
			"status", pick("200", "500", "503"),
		)
		ref := s.Ref(lset)
		if rnd.IntN(10) > 0 { // some series have no sample in range
			s.Append(ref, 10, 1)
		}
		all = append(all, lset.WithoutEmpty())
	}
	mint, maxt := int64(0), int64(20)
	matcher := func() *labels.Matcher {
		name := pick("__name__", "A", "app", "pod", "status", "missing")
		val := pick("", "a", "b", "x", "p", "q", "1", "200", "5..", "p|q")
		typ := []labels.MatchType{labels.MatchEqual, labels.MatchEqual, labels.MatchNotEqual, labels.MatchRegexp, labels.MatchNotRegexp}[rnd.IntN(5)]
		return labels.MustNewMatcher(typ, name, val)
	}
	for range 2000 {
		ms := make([]*labels.Matcher, 1+rnd.IntN(4))
		for i := range ms {
			ms[i] = matcher()
		}
		var want []labels.Labels
		seen := map[string]bool{}
		for _, lset := range all {
			if matchesAll(lset, ms) && !seen[lset.String()] {
				seen[lset.String()] = true
				ref := s.Ref(lset)
				if len(s.series[ref-1].samples) > 0 {
					want = append(want, lset)
				}
			}
		}
		slices.SortFunc(want, labels.Compare)
		var got []labels.Labels
		for _, sr := range s.selectSeries(mint, maxt, ms) {
			got = append(got, sr.lset)
		}
		require.Equal(t, want, got, "%v", ms)

		var each []labels.Labels
		s.eachMatching(mint, maxt, ms, func(m *memSeries) { each = append(each, m.lset) })
		slices.SortFunc(each, labels.Compare)
		require.Equal(t, want, each, "eachMatching %v", ms)
	}
}
