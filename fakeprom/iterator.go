package fakeprom

import (
	"github.com/prometheus/prometheus/model/histogram"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/tsdb/chunkenc"
	"github.com/prometheus/prometheus/tsdb/chunks"
	"github.com/prometheus/prometheus/util/annotations"
)

// fsample is one stored float sample. Its methods have pointer receivers so
// that handing out &window[i] as a chunks.Sample allocates nothing.
type fsample struct {
	t int64
	f float64
}

func (s *fsample) T() int64                    { return s.t }
func (*fsample) ST() int64                     { return 0 } // no start timestamps are kept
func (s *fsample) F() float64                  { return s.f }
func (*fsample) H() *histogram.Histogram       { return nil }
func (*fsample) FH() *histogram.FloatHistogram { return nil }
func (*fsample) Type() chunkenc.ValueType      { return chunkenc.ValFloat }
func (s *fsample) Copy() chunks.Sample         { c := *s; return &c }

// window is a read-only run of one series' samples, as storage.Samples.
type window []fsample

func (w window) Get(i int) chunks.Sample { return &w[i] }
func (w window) Len() int                { return len(w) }

// series is one selected series: labels plus its samples in the range.
type series struct {
	lset    labels.Labels
	samples window
}

func (s *series) Labels() labels.Labels { return s.lset }

// resettable is what storage.NewListSeriesIterator returns, minus the name:
// the engine hands the previous series' iterator back for reuse.
type resettable interface {
	chunkenc.Iterator
	Reset(storage.Samples)
}

// Iterator walks the window in place with Prometheus' own list iterator
// (Next, binary-search Seek, At...). Using it rather than a type of ours
// keeps go vet quiet: its stdmethods check takes any Seek(int64) method for a
// mistyped io.Seeker.
func (s *series) Iterator(it chunkenc.Iterator) chunkenc.Iterator {
	if r, ok := it.(resettable); ok {
		r.Reset(s.samples)
		return r
	}
	return storage.NewListSeriesIterator(s.samples)
}

// seriesSet walks a slice of series; At hands out pointers into it so that
// iterating allocates nothing.
type seriesSet struct {
	series []series
	i      int
}

func (ss *seriesSet) Next() bool {
	if ss.i+1 >= len(ss.series) {
		ss.i = len(ss.series)
		return false
	}
	ss.i++
	return true
}

func (ss *seriesSet) At() storage.Series             { return &ss.series[ss.i] }
func (*seriesSet) Err() error                        { return nil }
func (*seriesSet) Warnings() annotations.Annotations { return nil }
