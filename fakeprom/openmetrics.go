package fakeprom

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/textparse"
)

// LoadOpenMetrics appends every sample of an OpenMetrics text exposition
// whose samples all carry timestamps: the input of `promtool tsdb
// create-blocks-from openmetrics`, so the same file can be loaded into a real
// Prometheus and the answers compared. It accepts what promtool accepts and
// keeps the samples promtool keeps (see backfill); a file promtool rejects
// is rejected whole, with nothing appended. Samples older than what the
// Store already holds for their series are dropped and counted, as with
// Append.
func (s *Store) LoadOpenMetrics(r io.Reader) error {
	return s.LoadOpenMetricsShifted(r, 0)
}

// LoadOpenMetricsShifted is LoadOpenMetrics with every timestamp moved by
// shift (truncated to milliseconds), to replay a recording at another time.
// The file is judged as promtool would judge it, before the shift.
func (s *Store) LoadOpenMetricsShifted(r io.Reader, shift time.Duration) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	f, err := parseOpenMetrics(b)
	if err != nil {
		return err
	}
	kept, err := backfill(f)
	if err != nil {
		return err
	}
	d := shift.Milliseconds()
	refs := make([]SeriesRef, len(f.series))
	for i, lset := range f.series {
		refs[i] = s.Ref(lset)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, smp := range kept {
		s.appendLocked(s.series[refs[smp.series]-1], smp.t+d, smp.v)
	}
	return nil
}

// omFile is a parsed exposition: distinct series and samples in file order.
type omFile struct {
	series  []labels.Labels
	samples []omSample
}

type omSample struct {
	series int // index into omFile.series
	t      int64
	v      float64
}

// parseOpenMetrics reads every sample with Prometheus' OpenMetrics parser,
// which is promtool's; any parse error or sample without a timestamp fails
// the whole file, as promtool checks the file before writing a block.
func parseOpenMetrics(b []byte) (*omFile, error) {
	p := textparse.NewOpenMetricsParser(b, labels.NewSymbolTable())
	f := &omFile{}
	// The same series line recurs once per sample: key the cheap lookup by
	// its raw text (plus the family type, which decides whether le and
	// quantile values are normalised), and the exact one by label set.
	byText := map[model.MetricType]map[string]int{}
	byLabels := map[uint64][]int{}
	var mtype model.MetricType
	var lset labels.Labels
	for {
		e, err := p.Next()
		if errors.Is(err, io.EOF) {
			return f, nil
		}
		if err != nil {
			return nil, fmt.Errorf("parsing OpenMetrics: %w", err)
		}
		switch e {
		case textparse.EntryType:
			_, mtype = p.Type()
			continue
		case textparse.EntrySeries:
		default:
			continue
		}
		raw, ts, v := p.Series()
		known := byText[mtype]
		if known == nil {
			known = map[string]int{}
			byText[mtype] = known
		}
		i, ok := known[string(raw)]
		if !ok {
			p.Labels(&lset)
			i = seriesIndex(f, byLabels, lset.WithoutEmpty())
			known[string(raw)] = i
		}
		if ts == nil {
			return nil, fmt.Errorf("expected timestamp for series %v, got none", f.series[i])
		}
		f.samples = append(f.samples, omSample{series: i, t: *ts, v: v})
	}
}

// seriesIndex returns the index of lset in f.series, adding it if new.
func seriesIndex(f *omFile, byLabels map[uint64][]int, lset labels.Labels) int {
	h := lset.Hash()
	for _, i := range byLabels[h] {
		if labels.Equal(f.series[i], lset) {
			return i
		}
	}
	f.series = append(f.series, lset)
	i := len(f.series) - 1
	byLabels[h] = append(byLabels[h], i)
	return i
}
