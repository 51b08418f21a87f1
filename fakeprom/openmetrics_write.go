package fakeprom

import (
	"bufio"
	"cmp"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/value"
)

// Series is one series and its samples (Unix milliseconds, in time order).
type Series struct {
	Labels  labels.Labels
	Samples []Sample
}

// Sample is one float sample.
type Sample struct {
	T int64
	V float64
}

// WriteOpenMetrics writes series as OpenMetrics text with a timestamp on
// every sample and the closing "# EOF": the file LoadOpenMetrics and
// `promtool tsdb create-blocks-from openmetrics` read. Series are written
// grouped by metric name and sorted by labels, so equal input gives equal
// bytes. No TYPE lines are written: types are unknown after the fact, and a
// "histogram" type would make Prometheus 3 rewrite le values. Stale markers
// cannot be written in text and are left out.
func WriteOpenMetrics(w io.Writer, series []Series) error {
	sorted := slices.Clone(series)
	slices.SortStableFunc(sorted, func(a, b Series) int {
		if c := strings.Compare(a.Labels.Get(model.MetricNameLabel), b.Labels.Get(model.MetricNameLabel)); c != 0 {
			return c
		}
		return labels.Compare(a.Labels, b.Labels)
	})
	bw := bufio.NewWriter(w)
	var line []byte
	for _, s := range sorted {
		prefix := appendSeriesText(nil, s.Labels)
		for _, smp := range s.Samples {
			if value.IsStaleNaN(smp.V) {
				continue
			}
			line = appendSampleLine(line[:0], prefix, smp.T, smp.V)
			if _, err := bw.Write(line); err != nil {
				return err
			}
		}
	}
	if _, err := bw.WriteString("# EOF\n"); err != nil {
		return err
	}
	return bw.Flush()
}

// WriteOpenMetrics writes every series of the Store with WriteOpenMetrics.
func (s *Store) WriteOpenMetrics(w io.Writer) error {
	s.mu.RLock()
	all := make([]Series, 0, len(s.series))
	for _, ms := range s.series {
		samples := make([]Sample, len(ms.samples))
		for i, smp := range ms.samples {
			samples[i] = Sample{smp.t, smp.f}
		}
		all = append(all, Series{Labels: ms.lset, Samples: samples})
	}
	s.mu.RUnlock()
	return WriteOpenMetrics(w, all)
}

// appendSeriesText renders name{label="value",...} in OpenMetrics syntax;
// a name that is not a legacy metric name is quoted inside the braces, as
// Prometheus 3 writes it.
func appendSeriesText(b []byte, lset labels.Labels) []byte {
	name := lset.Get(model.MetricNameLabel)
	legacy := model.LegacyValidation.IsValidMetricName(name)
	if legacy {
		b = append(b, name...)
	}
	b = append(b, '{')
	first := true
	sep := func() {
		if !first {
			b = append(b, ',')
		}
		first = false
	}
	if !legacy {
		sep()
		b = appendQuoted(b, name)
	}
	lset.Range(func(l labels.Label) {
		if l.Name == model.MetricNameLabel {
			return
		}
		sep()
		if model.LegacyValidation.IsValidLabelName(l.Name) {
			b = append(b, l.Name...)
		} else {
			b = appendQuoted(b, l.Name)
		}
		b = append(b, '=')
		b = appendQuoted(b, l.Value)
	})
	return append(b, '}')
}

// appendQuoted quotes s with OpenMetrics' three escapes.
func appendQuoted(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			b = append(b, `\\`...)
		case '"':
			b = append(b, `\"`...)
		case '\n':
			b = append(b, `\n`...)
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

func appendSampleLine(b, series []byte, t int64, v float64) []byte {
	b = append(b, series...)
	b = append(b, ' ')
	b = appendFloat(b, v)
	b = append(b, ' ')
	b = appendTimestamp(b, t)
	return append(b, '\n')
}

func appendFloat(b []byte, v float64) []byte {
	switch {
	case math.IsNaN(v):
		return append(b, "NaN"...)
	case math.IsInf(v, 1):
		return append(b, "+Inf"...)
	case math.IsInf(v, -1):
		return append(b, "-Inf"...)
	}
	return strconv.AppendFloat(b, v, 'g', -1, 64)
}

// appendTimestamp writes t (ms) as the seconds that Prometheus' parser turns
// back into exactly t: it computes int64(seconds*1000), which truncates, so
// the shortest decimal of t/1000 can land one millisecond short. The next
// float up that lands on t is written instead.
func appendTimestamp(b []byte, t int64) []byte {
	f := float64(t) / 1000
	for int64(f*1000) != t {
		f = math.Nextafter(f, math.Inf(cmp.Compare(t, int64(f*1000))))
	}
	return strconv.AppendFloat(b, f, 'f', -1, 64)
}
