package fakeprom

import (
	"cmp"
	"context"
	"slices"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/util/annotations"
)

// Interfaces the PromQL engine and web/api/v1 need from a Store.
var (
	_ storage.Queryable               = (*Store)(nil)
	_ storage.SampleAndChunkQueryable = (*Store)(nil)
	_ storage.Storage                 = (*Store)(nil)
)

// Querier returns a querier over samples in [mint, maxt] (inclusive, ms).
func (s *Store) Querier(mint, maxt int64) (storage.Querier, error) {
	return &querier{s: s, mint: mint, maxt: maxt}, nil
}

// ChunkQuerier serves the same data as Querier, encoded into chunks on the
// fly; only remote read uses it, so it favours brevity over speed.
func (s *Store) ChunkQuerier(mint, maxt int64) (storage.ChunkQuerier, error) {
	return &chunkQuerier{querier{s: s, mint: mint, maxt: maxt}}, nil
}

type querier struct {
	s          *Store
	mint, maxt int64
}

// Select returns the series matching all matchers that have at least one
// sample in the time range, trimmed to it. Like tsdb, the hints' Start/End
// (when given) narrow the range. Series always come out sorted by labels,
// whether or not sortSeries asks for it, so answers never depend on map
// order.
func (q *querier) Select(_ context.Context, _ bool, hints *storage.SelectHints, ms ...*labels.Matcher) storage.SeriesSet {
	mint, maxt := q.mint, q.maxt
	if hints != nil {
		mint, maxt = hints.Start, hints.End
	}
	out := q.s.selectSeries(mint, maxt, ms)
	if hints != nil && hints.Limit > 0 && len(out) > hints.Limit {
		out = out[:hints.Limit]
	}
	return &seriesSet{series: out, i: -1}
}

// LabelValues returns the sorted distinct non-empty values of name among the
// series matching ms that have samples in the querier's range.
func (q *querier) LabelValues(_ context.Context, name string, hints *storage.LabelHints, ms ...*labels.Matcher) ([]string, annotations.Annotations, error) {
	set := map[string]struct{}{}
	q.s.eachMatching(q.mint, q.maxt, ms, func(m *memSeries) {
		if v := m.lset.Get(name); v != "" {
			set[v] = struct{}{}
		}
	})
	vals, _ := hints.ApplyLimit(sortedKeys(set))
	return vals, nil, nil
}

// LabelNames returns the sorted label names of the series matching ms that
// have samples in the querier's range.
func (q *querier) LabelNames(_ context.Context, hints *storage.LabelHints, ms ...*labels.Matcher) ([]string, annotations.Annotations, error) {
	set := map[string]struct{}{}
	q.s.eachMatching(q.mint, q.maxt, ms, func(m *memSeries) {
		m.lset.Range(func(l labels.Label) { set[l.Name] = struct{}{} })
	})
	names, _ := hints.ApplyLimit(sortedKeys(set))
	return names, nil, nil
}

func (*querier) Close() error { return nil }

type chunkQuerier struct{ querier }

func (q *chunkQuerier) Select(ctx context.Context, sortSeries bool, hints *storage.SelectHints, ms ...*labels.Matcher) storage.ChunkSeriesSet {
	return storage.NewSeriesSetToChunkSet(q.querier.Select(ctx, sortSeries, hints, ms...))
}

// selectSeries snapshots the matching series' samples within [mint, maxt].
// The returned windows alias the store's arrays: appends only ever write past
// a window's end (or into a new array), so reading them needs no lock.
func (s *Store) selectSeries(mint, maxt int64, ms []*labels.Matcher) []series {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []series
	sorted := s.eachSelected(ms, func(m *memSeries) {
		lo, hi := sampleRange(m.samples, mint, maxt)
		if lo == hi {
			return
		}
		out = append(out, series{lset: m.lset, samples: m.samples[lo:hi:hi]})
	})
	if !sorted {
		slices.SortFunc(out, func(a, b series) int { return labels.Compare(a.lset, b.lset) })
	}
	return out
}

// eachMatching calls f for every series matching ms with a sample in
// [mint, maxt], under the read lock, in no particular order.
func (s *Store) eachMatching(mint, maxt int64, ms []*labels.Matcher, f func(*memSeries)) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	s.eachSelected(ms, func(m *memSeries) {
		if lo, hi := sampleRange(m.samples, mint, maxt); lo < hi {
			f(m)
		}
	})
}

// eachSelected calls f with every series that matches ms, whatever its
// samples, and reports whether the series came in label order. The caller
// holds the read lock.
//
// With an equality matcher on a label other than __name__ (the analysis
// queries' {app="x"}), the candidates are the intersection of the equality
// matchers' postings: a handful of series rather than every series of the
// name, which is what a thousand Rollouts' queries spend their time on
// otherwise. Without one, they are the by-name lists, already sorted.
func (s *Store) eachSelected(ms []*labels.Matcher, f func(*memSeries)) (sorted bool) {
	// Selectors have a few matchers: room for them on the stack, so that a
	// selection allocates only its result.
	var listsBuf [8][]SeriesRef
	var restBuf [8]*labels.Matcher
	lists, rest := listsBuf[:0], restBuf[:0]
	byLabel := false
	for _, m := range ms {
		// An empty value also matches series without the label, which
		// postings do not list: such a matcher is checked per series.
		if m.Type != labels.MatchEqual || m.Value == "" {
			rest = append(rest, m)
			continue
		}
		list := s.postings[m.Name][m.Value]
		if len(list) == 0 {
			return true // nothing has this label value
		}
		lists = append(lists, list)
		byLabel = byLabel || m.Name != model.MetricNameLabel
	}
	if !byLabel {
		return s.eachByName(ms, f)
	}
	// The equality matchers hold for every ref of the intersection; only
	// the others are left to check.
	intersect(lists, func(ref SeriesRef) {
		if m := s.series[ref-1]; matchesAll(m.lset, rest) {
			f(m)
		}
	})
	return false
}

// eachByName calls f with every series of the names that pass ms' __name__
// matchers that matches all of ms, in label order within a name. It
// reports whether the whole walk was in label order: one list is, several
// are not, since label names sorting before "__name__" (upper case ones)
// interleave them.
func (s *Store) eachByName(ms []*labels.Matcher, f func(*memSeries)) (sorted bool) {
	lists := s.candidates(ms)
	for _, list := range lists {
		for _, m := range list {
			if matchesAll(m.lset, ms) {
				f(m)
			}
		}
	}
	return len(lists) <= 1
}

// intersect calls yield with the refs in every list, ascending. It walks the
// shortest list and finds each ref in the others by binary search from where
// the last one was found, so the cost follows the smallest list, not the
// largest. It reorders and reslices lists (the caller's scratch), never the
// postings.
func intersect(lists [][]SeriesRef, yield func(SeriesRef)) {
	slices.SortFunc(lists, func(a, b []SeriesRef) int { return cmp.Compare(len(a), len(b)) })
next:
	for _, ref := range lists[0] {
		for i, l := range lists[1:] {
			j, found := slices.BinarySearch(l, ref)
			lists[i+1] = l[j:]
			if !found {
				continue next
			}
		}
		yield(ref)
	}
}

// candidates narrows the search by metric name: one list for an equality on
// __name__ (the common case), else the lists of every name that passes the
// __name__ matchers. The caller holds the read lock.
func (s *Store) candidates(ms []*labels.Matcher) [][]*memSeries {
	var nameMatchers []*labels.Matcher
	for _, m := range ms {
		if m.Name != model.MetricNameLabel {
			continue
		}
		if m.Type == labels.MatchEqual {
			return [][]*memSeries{s.byName[m.Value]}
		}
		nameMatchers = append(nameMatchers, m)
	}
	var lists [][]*memSeries
	for _, name := range s.names {
		if matchesValue(name, nameMatchers) {
			lists = append(lists, s.byName[name])
		}
	}
	return lists
}

func matchesAll(lset labels.Labels, ms []*labels.Matcher) bool {
	for _, m := range ms {
		if !m.Matches(lset.Get(m.Name)) {
			return false
		}
	}
	return true
}

func matchesValue(v string, ms []*labels.Matcher) bool {
	for _, m := range ms {
		if !m.Matches(v) {
			return false
		}
	}
	return true
}

// sampleRange returns the index range [lo, hi) of samples within [mint, maxt].
func sampleRange(samples []fsample, mint, maxt int64) (lo, hi int) {
	if mint > maxt {
		return 0, 0
	}
	lo, _ = slices.BinarySearchFunc(samples, mint, cmpT)
	hi, found := slices.BinarySearchFunc(samples[lo:], maxt, cmpT)
	hi += lo
	if found {
		hi++
	}
	return lo, hi
}

func cmpT(s fsample, t int64) int { return cmp.Compare(s.t, t) }

func sortedKeys(set map[string]struct{}) []string {
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
