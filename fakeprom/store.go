package fakeprom

import (
	"cmp"
	"math"
	"slices"
	"sync"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/value"
)

// SeriesRef is a stable handle to one series of a Store. It stays valid for
// the life of the Store (series are never removed), so a simulator can resolve
// its label sets once and then append by ref without hashing labels again.
// The zero value is not a valid ref.
type SeriesRef uint64

// memSeries holds one series' samples in append order. One flat slice keeps
// Append allocation-free (amortised) and lets iterators walk it without
// copying or decoding.
type memSeries struct {
	lset    labels.Labels
	samples []fsample
}

// Store is an in-memory storage.Queryable built for simulations: series keyed
// by label set, samples appended in time order, an index by metric name and
// postings by label (querier.go).
// It is safe for concurrent use: appends take a write lock only for the
// length of one sample, queries snapshot slice headers under a read lock and
// then iterate without it.
type Store struct {
	mu sync.RWMutex

	series []*memSeries            // series[ref-1]
	byHash map[uint64][]SeriesRef  // labels hash -> refs (collisions resolved by labels.Equal)
	byName map[string][]*memSeries // metric name -> series sorted by labels
	names  []string                // sorted keys of byName, for name regexps and no-name selectors
	// postings maps label name -> value -> the refs of the series with that
	// label, ascending (refs only grow, so adding one is an append), as
	// Prometheus' index does: a selector with equality matchers intersects
	// their lists instead of testing every series of its metric name.
	postings map[string]map[string][]SeriesRef

	stats StoreStats
}

// StoreStats counts what a Store accepted and what it turned away, so tests
// and reports can tell a simulator bug (out-of-order appends) from quiet data.
type StoreStats struct {
	Series  int   // series created
	Samples int64 // samples stored
	// OutOfOrder counts samples older than the newest sample of their series,
	// rejected as Prometheus does without out-of-order ingestion.
	OutOfOrder int64
	// DuplicateConflict counts samples at the newest timestamp of their series
	// with a different value (Prometheus' "duplicate sample for timestamp").
	DuplicateConflict int64
	// Duplicate counts exact repeats of the newest sample, dropped silently as
	// Prometheus does.
	Duplicate int64
}

// NewStore returns an empty Store.
func NewStore() *Store {
	return &Store{
		byHash:   map[uint64][]SeriesRef{},
		byName:   map[string][]*memSeries{},
		postings: map[string]map[string][]SeriesRef{},
	}
}

// Ref returns the stable reference of the series with these labels, creating
// the series if it is new. Labels with empty values are dropped first, since
// in Prometheus an empty label value means the label is absent.
func (s *Store) Ref(lbls labels.Labels) SeriesRef {
	lbls = lbls.WithoutEmpty()
	h := lbls.Hash()

	s.mu.RLock()
	ref, ok := s.lookup(h, lbls)
	s.mu.RUnlock()
	if ok {
		return ref
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if ref, ok := s.lookup(h, lbls); ok { // created meanwhile by another goroutine
		return ref
	}
	ms := &memSeries{lset: lbls}
	s.series = append(s.series, ms)
	ref = SeriesRef(len(s.series))
	s.byHash[h] = append(s.byHash[h], ref)
	s.stats.Series++
	lbls.Range(func(l labels.Label) {
		vals := s.postings[l.Name]
		if vals == nil {
			vals = map[string][]SeriesRef{}
			s.postings[l.Name] = vals
		}
		vals[l.Value] = append(vals[l.Value], ref)
	})

	name := lbls.Get(model.MetricNameLabel)
	list, known := s.byName[name]
	if !known {
		i, _ := slices.BinarySearch(s.names, name)
		s.names = slices.Insert(s.names, i, name)
	}
	// Keep each name's list sorted so that most selects need no sort.
	i, _ := slices.BinarySearchFunc(list, lbls, func(m *memSeries, l labels.Labels) int {
		return labels.Compare(m.lset, l)
	})
	s.byName[name] = slices.Insert(list, i, ms)
	return ref
}

// lookup finds an existing series; the caller holds s.mu.
func (s *Store) lookup(h uint64, lbls labels.Labels) (SeriesRef, bool) {
	for _, ref := range s.byHash[h] {
		if labels.Equal(s.series[ref-1].lset, lbls) {
			return ref, true
		}
	}
	return 0, false
}

// Append adds one sample to the series ref (from Ref on this Store; any other
// value panics). Timestamps are Unix milliseconds. As in Prometheus without
// out-of-order ingestion, a sample older than the series' newest one is
// rejected, an exact repeat of the newest one is dropped, and a different
// value at the newest timestamp is rejected; rejections are counted in Stats.
// The stale marker, math.Float64frombits(value.StaleNaN) (see MarkStale),
// ends the series for PromQL from its timestamp on.
func (s *Store) Append(ref SeriesRef, tMillis int64, v float64) {
	s.mu.Lock()
	s.appendLocked(s.series[ref-1], tMillis, v)
	s.mu.Unlock()
}

// MarkStale appends Prometheus' stale marker (value.StaleNaN) at tMillis: the
// series ends there for PromQL, as when a scrape target disappears, instead
// of lingering for the lookback delta.
func (s *Store) MarkStale(ref SeriesRef, tMillis int64) {
	s.Append(ref, tMillis, math.Float64frombits(value.StaleNaN))
}

// AppendLabels is Append for callers that have labels rather than a ref.
func (s *Store) AppendLabels(lbls labels.Labels, tMillis int64, v float64) {
	s.Append(s.Ref(lbls), tMillis, v)
}

// appendLocked applies Prometheus' in-order append rule; the caller holds the
// write lock.
func (s *Store) appendLocked(ms *memSeries, t int64, v float64) {
	lastT, lastV, ok := ms.last()
	if o := appendable(ok, lastT, lastV, t, v); o != appendOK {
		s.count(o)
		return
	}
	ms.samples = append(ms.samples, fsample{t: t, f: v})
	s.stats.Samples++
}

// last returns the newest sample, if any.
func (ms *memSeries) last() (int64, float64, bool) {
	n := len(ms.samples)
	if n == 0 {
		return 0, 0, false
	}
	return ms.samples[n-1].t, ms.samples[n-1].f, true
}

// appendOutcome says why a sample may not be appended.
type appendOutcome int

const (
	appendOK appendOutcome = iota
	appendOutOfOrder
	appendConflict
	appendDuplicate // exact repeat: dropped, not an error for callers
)

// appendable mirrors tsdb's memSeries.appendable for in-order series: only
// the newest sample matters, values compare bit for bit (so StaleNaN equals
// StaleNaN but not another NaN).
func appendable(hasLast bool, lastT int64, lastV float64, t int64, v float64) appendOutcome {
	if !hasLast {
		return appendOK
	}
	switch cmp.Compare(t, lastT) {
	case 1:
		return appendOK
	case -1:
		return appendOutOfOrder
	}
	if math.Float64bits(lastV) != math.Float64bits(v) {
		return appendConflict
	}
	return appendDuplicate
}

func (s *Store) count(o appendOutcome) {
	switch o {
	case appendOutOfOrder:
		s.stats.OutOfOrder++
	case appendConflict:
		s.stats.DuplicateConflict++
	case appendDuplicate:
		s.stats.Duplicate++
	}
}

// Stats returns the Store's counters.
func (s *Store) Stats() StoreStats {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.stats
}

// span returns the number of series and the time range of all samples
// (math.MaxInt64, math.MinInt64 when there are none, as tsdb's empty head).
func (s *Store) span() (n int, mint, maxt int64) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	mint, maxt = math.MaxInt64, math.MinInt64
	for _, ms := range s.series {
		if len(ms.samples) == 0 {
			continue
		}
		mint = min(mint, ms.samples[0].t)
		maxt = max(maxt, ms.samples[len(ms.samples)-1].t)
	}
	return len(s.series), mint, maxt
}

// StartTime returns the oldest sample timestamp (math.MaxInt64 when empty,
// as tsdb's empty head). With Close it makes *Store a storage.Storage, so
// Prometheus components that want a whole storage (rule managers, the
// promqltest harness) can use one.
func (s *Store) StartTime() (int64, error) {
	_, mint, _ := s.span()
	return mint, nil
}

// Close does nothing: a Store holds no files or goroutines.
func (*Store) Close() error { return nil }
