package fakeprom

import (
	"context"
	"errors"

	"github.com/prometheus/prometheus/model/exemplar"
	"github.com/prometheus/prometheus/model/histogram"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/metadata"
	"github.com/prometheus/prometheus/storage"
)

// So that Prometheus' own producers (scrape loops, remote-write and OTLP
// receivers, rule managers) can write into a Store.
var (
	_ storage.Appendable   = (*Store)(nil)
	_ storage.AppendableV2 = (*Store)(nil)
)

// errHistogram rejects native histograms: the store keeps floats only.
var errHistogram = errors.New("fakeprom: native histograms are not supported")

// Appender returns a transactional appender (storage.Appender): samples are
// checked on Append, as tsdb's head does, and land in the Store on Commit.
func (s *Store) Appender(context.Context) storage.Appender {
	return &appenderV1{batch: batch{s: s}}
}

// AppenderV2 returns a transactional appender (storage.AppenderV2).
func (s *Store) AppenderV2(context.Context) storage.AppenderV2 {
	return &appenderV2{batch: batch{s: s}}
}

// batch holds the samples of one appender transaction.
type batch struct {
	s       *Store
	pending []pendingSample
	// last maps a series to its newest pending sample, so that in-batch order
	// is checked the same way as order against stored samples.
	last map[SeriesRef]int
}

type pendingSample struct {
	ref SeriesRef
	t   int64
	v   float64
}

// add validates one float sample and queues it. It returns a storage error
// for samples Prometheus would reject; exact duplicates are dropped quietly.
func (b *batch) add(ref storage.SeriesRef, lset labels.Labels, t int64, v float64) (storage.SeriesRef, error) {
	r := b.resolve(ref, lset)
	var o appendOutcome
	if i, ok := b.last[r]; ok {
		o = appendable(true, b.pending[i].t, b.pending[i].v, t, v)
	} else {
		b.s.mu.RLock()
		lastT, lastV, ok := b.s.series[r-1].last()
		b.s.mu.RUnlock()
		o = appendable(ok, lastT, lastV, t, v)
	}
	switch o {
	case appendOutOfOrder:
		return storage.SeriesRef(r), storage.ErrOutOfOrderSample
	case appendConflict:
		return storage.SeriesRef(r), storage.ErrDuplicateSampleForTimestamp
	case appendDuplicate:
		return storage.SeriesRef(r), nil
	}
	if b.last == nil {
		b.last = map[SeriesRef]int{}
	}
	b.last[r] = len(b.pending)
	b.pending = append(b.pending, pendingSample{ref: r, t: t, v: v})
	return storage.SeriesRef(r), nil
}

// resolve trusts a ref handed out by this store and otherwise looks the
// labels up (creating the series).
func (b *batch) resolve(ref storage.SeriesRef, lset labels.Labels) SeriesRef {
	b.s.mu.RLock()
	n := len(b.s.series)
	b.s.mu.RUnlock()
	if ref > 0 && ref <= storage.SeriesRef(n) {
		return SeriesRef(ref)
	}
	return b.s.Ref(lset)
}

func (b *batch) Commit() error {
	b.s.mu.Lock()
	for _, p := range b.pending {
		b.s.appendLocked(b.s.series[p.ref-1], p.t, p.v)
	}
	b.s.mu.Unlock()
	b.pending, b.last = nil, nil
	return nil
}

func (b *batch) Rollback() error {
	b.pending, b.last = nil, nil
	return nil
}

type appenderV1 struct{ batch }

func (a *appenderV1) Append(ref storage.SeriesRef, l labels.Labels, t int64, v float64) (storage.SeriesRef, error) {
	return a.add(ref, l, t, v)
}

func (*appenderV1) SetOptions(*storage.AppendOptions) {}

// Exemplars, metadata and start timestamps have nowhere to go; accepting and
// dropping them keeps scrapes that carry them working.
func (a *appenderV1) AppendExemplar(ref storage.SeriesRef, l labels.Labels, _ exemplar.Exemplar) (storage.SeriesRef, error) {
	return ref, nil
}

func (*appenderV1) AppendHistogram(ref storage.SeriesRef, _ labels.Labels, _ int64, _ *histogram.Histogram, _ *histogram.FloatHistogram) (storage.SeriesRef, error) {
	return ref, errHistogram
}

func (*appenderV1) UpdateMetadata(ref storage.SeriesRef, _ labels.Labels, _ metadata.Metadata) (storage.SeriesRef, error) {
	return ref, nil
}

func (*appenderV1) AppendSTZeroSample(ref storage.SeriesRef, _ labels.Labels, _, _ int64) (storage.SeriesRef, error) {
	return ref, nil
}

func (*appenderV1) AppendHistogramSTZeroSample(ref storage.SeriesRef, _ labels.Labels, _, _ int64, _ *histogram.Histogram, _ *histogram.FloatHistogram) (storage.SeriesRef, error) {
	return ref, errHistogram
}

type appenderV2 struct{ batch }

func (a *appenderV2) Append(ref storage.SeriesRef, ls labels.Labels, _, t int64, v float64, h *histogram.Histogram, fh *histogram.FloatHistogram, _ storage.AppendV2Options) (storage.SeriesRef, error) {
	if h != nil || fh != nil {
		return ref, errHistogram
	}
	return a.add(ref, ls, t, v)
}

// AppendExemplars drops the exemplars (the store keeps none); it makes the
// appender a storage.ExemplarAppenderV2, which Prometheus' remote-write 1.0
// receiver requires.
func (*appenderV2) AppendExemplars(ref storage.SeriesRef, _ labels.Labels, _ []exemplar.Exemplar) (storage.SeriesRef, error) {
	return ref, nil
}
