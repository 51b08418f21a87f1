package fakeprom

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/prometheus/prometheus/storage"
)

// promtool's backfill parameters (cmd/promtool, Prometheus 2.42 and 3.x):
// blocks of the default 2 h, appenders committed every 5,000 samples.
const (
	backfillBlock      = int64(2 * time.Hour / time.Millisecond)
	backfillCommitSize = 5000
)

// backfill returns the samples that `promtool tsdb create-blocks-from
// openmetrics` keeps, in per-series time order, or the error it fails with.
// promtool writes one block per 2 h range, each from its own fresh head,
// appending that range's samples in file order and committing every 5,000:
//   - an append older than the series' newest committed sample in the block
//     fails the import ("out of order sample"), and so does one at the same
//     time with another value ("duplicate sample for timestamp");
//   - within one commit nothing is checked, and at commit a sample not newer
//     than the series' last one is dropped silently (the first one wins).
//
// Blocks never overlap, so samples out of order across 2 h ranges are all
// kept, and a file need not be sorted by time.
func backfill(f *omFile) ([]omSample, error) {
	if len(f.samples) == 0 {
		return nil, nil
	}
	mint, maxt := int64(math.MaxInt64), int64(math.MinInt64)
	for _, s := range f.samples {
		mint, maxt = min(mint, s.t), max(maxt, s.t)
	}
	mint = backfillBlock * (mint / backfillBlock) // promtool's alignment, truncating toward zero

	// Each block's samples in file order: a stable sort by block.
	blockOf := func(t int64) int64 { return (t - mint) / backfillBlock }
	byBlock := func(a, b omSample) int { return cmp.Compare(blockOf(a.t), blockOf(b.t)) }
	order := f.samples
	if !slices.IsSortedFunc(order, byBlock) {
		order = slices.Clone(order)
		slices.SortStableFunc(order, byBlock)
	}

	// committed[i] is series i's newest committed sample in the current
	// block (ok false: none yet).
	type last struct {
		t  int64
		v  float64
		ok bool
	}
	committed := make([]last, len(f.series))
	kept := make([]omSample, 0, len(order))
	var pending []omSample
	commit := func() {
		for _, s := range pending {
			if l := committed[s.series]; l.ok && s.t <= l.t {
				continue
			}
			committed[s.series] = last{s.t, s.v, true}
			kept = append(kept, s)
		}
		pending = pending[:0]
	}
	for lo := 0; lo < len(order); {
		hi := lo
		for hi < len(order) && blockOf(order[hi].t) == blockOf(order[lo].t) {
			hi++
		}
		clear(committed) // a fresh head per block
		for _, s := range order[lo:hi] {
			if l := committed[s.series]; l.ok {
				switch appendable(true, l.t, l.v, s.t, s.v) {
				case appendOutOfOrder:
					return nil, fmt.Errorf("add sample %v at %d: %w", f.series[s.series], s.t, storage.ErrOutOfOrderSample)
				case appendConflict:
					return nil, fmt.Errorf("add sample %v at %d: %w", f.series[s.series], s.t, storage.ErrDuplicateSampleForTimestamp)
				}
			}
			pending = append(pending, s)
			if len(pending) == backfillCommitSize {
				commit()
			}
		}
		commit()
		lo = hi
	}
	return groupBySeries(kept, len(f.series)), nil
}

// groupBySeries is a stable counting sort by series: blocks come in time
// order and each keeps a series' samples in time order, so every series
// comes out sorted by time.
func groupBySeries(samples []omSample, nSeries int) []omSample {
	start := make([]int, nSeries+1)
	for _, s := range samples {
		start[s.series+1]++
	}
	for i := 1; i <= nSeries; i++ {
		start[i] += start[i-1]
	}
	out := make([]omSample, len(samples))
	for _, s := range samples {
		out[start[s.series]] = s
		start[s.series]++
	}
	return out
}
