package fakeprom

import (
	"errors"
	"fmt"
	"io"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/textparse"
)

// LoadOpenMetrics appends every sample of an OpenMetrics text exposition
// whose samples all carry timestamps: the input `promtool tsdb
// create-blocks-from openmetrics` takes, so the same file can be loaded into
// a real Prometheus and the answers compared. Like promtool it keeps float
// samples only and fails on a sample without a timestamp. Samples out of
// order within a series are rejected and counted as with Append.
func (s *Store) LoadOpenMetrics(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	p := textparse.NewOpenMetricsParser(b, labels.NewSymbolTable())
	var lset labels.Labels
	for {
		e, err := p.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("parsing OpenMetrics: %w", err)
		}
		if e != textparse.EntrySeries {
			continue
		}
		_, ts, v := p.Series()
		p.Labels(&lset)
		if ts == nil {
			return fmt.Errorf("expected timestamp for series %v, got none", lset)
		}
		s.AppendLabels(lset, *ts, v)
	}
}
