package fakeprom

import (
	"cmp"
	"slices"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
)

// targetSampleLabels gives a scraped series its target labels as Prometheus
// does. With honorLabels the scraped value wins a clash; otherwise the
// target's wins and the scraped one moves to exported_<name> (one more
// "exported_" per clash with an existing name, shortest names first).
func targetSampleLabels(scraped, target labels.Labels, honorLabels bool) labels.Labels {
	b := labels.NewBuilder(scraped)
	if honorLabels {
		target.Range(func(l labels.Label) {
			if !scraped.Has(l.Name) {
				b.Set(l.Name, l.Value)
			}
		})
		return b.Labels()
	}
	var clashes []labels.Label
	target.Range(func(l labels.Label) {
		if v := scraped.Get(l.Name); v != "" {
			clashes = append(clashes, labels.Label{Name: l.Name, Value: v})
		}
		b.Set(l.Name, l.Value)
	})
	slices.SortStableFunc(clashes, func(a, b labels.Label) int { return cmp.Compare(len(a.Name), len(b.Name)) })
	for _, l := range clashes {
		name := l.Name
		for {
			name = model.ExportedLabelPrefix + name
			if b.Get(name) == "" {
				b.Set(name, l.Value)
				break
			}
		}
	}
	return b.Labels()
}

// reportLabels names a report series (up, scrape_*) of a target: its
// target labels and the name.
func reportLabels(target labels.Labels, name string) labels.Labels {
	b := labels.NewBuilder(target)
	b.Set(model.MetricNameLabel, name)
	return b.Labels()
}
