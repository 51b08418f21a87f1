package fakeprom

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/config"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/textparse"
	"github.com/prometheus/prometheus/model/value"
	"github.com/prometheus/prometheus/storage"
)

// The series Prometheus adds for every scrape (without extra-scrape-metrics).
var reportNames = [...]string{
	"up",
	"scrape_duration_seconds",
	"scrape_samples_scraped",
	"scrape_samples_post_metric_relabeling",
	"scrape_series_added",
}

var (
	errBodySizeLimit = errors.New("body size limit exceeded")
	errSampleLimit   = errors.New("sample limit exceeded")
)

// scrapeTarget is one target's scrape state. Its fields are only touched
// by the one scrape of it that runs at a time.
type scrapeTarget struct {
	s    *Scraper
	key  string
	url  string
	lset labels.Labels // target labels

	symbols *labels.SymbolTable
	// cache maps a series' exposition text to its stored series; only the
	// series of the last scrape are kept, so it is bounded by one scrape.
	cache  map[string]cachedSeries
	prev   map[SeriesRef]struct{} // series of the last scrape (without exposed timestamps)
	report [len(reportNames)]SeriesRef
	// scraped is set after the first scrape: a target never scraped gets
	// no stale markers.
	scraped bool
}

type cachedSeries struct {
	ref  SeriesRef
	lset labels.Labels
}

func newScrapeTarget(s *Scraper, key, url string, lset labels.Labels) *scrapeTarget {
	st := &scrapeTarget{s: s, key: key, url: url, lset: lset, symbols: labels.NewSymbolTable(),
		cache: map[string]cachedSeries{}, prev: map[SeriesRef]struct{}{}}
	for i, name := range reportNames {
		st.report[i] = s.store.Ref(reportLabels(lset, name))
	}
	return st
}

// scrape fetches, parses and stores one scrape at now, then its report.
func (st *scrapeTarget) scrape(ctx context.Context, now time.Time) {
	t := now.UnixMilli()
	start := st.s.clock.Now()
	body, contentType, err := st.fetch(ctx)
	if ctx.Err() != nil {
		// Stopping: like a Prometheus shutting down, record nothing.
		return
	}
	var res scrapeResult
	if err == nil {
		res, err = st.append(body, contentType, t)
	}
	if err != nil {
		// Nothing of a failed scrape is kept, and the series of the last
		// one end here, as in Prometheus.
		st.staleExcept(nil, t)
		clear(st.cache)
	}
	st.scraped = true
	up := 0.0
	if err == nil {
		up = 1
	}
	vals := [len(reportNames)]float64{up, st.s.clock.Since(start).Seconds(), float64(res.total), float64(res.total), float64(res.added)}
	app := st.s.store.Appender(ctx)
	for i, ref := range st.report {
		_, _ = app.Append(storage.SeriesRef(ref), labels.EmptyLabels(), t, vals[i])
	}
	_ = app.Commit()
}

// fetch GETs the target as Prometheus does: the same Accept header, the
// scrape timeout header, and a 200 required.
func (st *scrapeTarget) fetch(ctx context.Context) ([]byte, string, error) {
	ctx, cancel := context.WithTimeout(ctx, st.s.opts.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, st.url, http.NoBody)
	if err != nil {
		return nil, "", err
	}
	req.Header.Set("Accept", acceptHeader)
	req.Header.Set("User-Agent", "canarydrill-fakeprom")
	req.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", strconv.FormatFloat(st.s.opts.timeout.Seconds(), 'f', -1, 64))
	resp, err := st.s.opts.client.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, "", fmt.Errorf("server returned HTTP status %s", resp.Status)
	}
	limit := st.s.opts.bodySizeLimit
	if limit <= 0 {
		limit = math.MaxInt64 - 1
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, "", err
	}
	if int64(len(body)) > limit {
		return nil, "", errBodySizeLimit
	}
	return body, resp.Header.Get("Content-Type"), nil
}

// acceptHeader is Prometheus 3's default (scrape_protocols: OpenMetrics
// 1.0.0 and 0.0.1, then the text format 1.0.0 and 0.0.4), with UTF-8 names
// allowed unescaped.
var acceptHeader = func() string {
	var parts []string
	protocols := config.DefaultScrapeProtocols
	for i, p := range protocols {
		v := config.ScrapeProtocolsHeaders[p]
		if p == config.PrometheusText1_0_0 || p == config.OpenMetricsText1_0_0 {
			v += ";" + model.EscapingKey + "=" + model.AllowUTF8
		}
		parts = append(parts, fmt.Sprintf("%s;q=0.%d", v, len(protocols)+1-i))
	}
	return strings.Join(append(parts, "*/*;q=0.1"), ",")
}()

type scrapeResult struct {
	total int // samples in the exposition
	added int // series not in the last scrape (scrape_series_added)
}

// append parses body and appends its samples at t in one transaction.
func (st *scrapeTarget) append(body []byte, contentType string, t int64) (scrapeResult, error) {
	var res scrapeResult
	p, err := textparse.New(body, contentType, st.symbols, textparse.ParserOptions{IgnoreNativeHistograms: true})
	if p == nil {
		return res, fmt.Errorf("cannot parse a scrape with Content-Type %q: %w", contentType, err)
	}
	app := st.s.store.Appender(context.Background())
	cur := map[SeriesRef]struct{}{}
	var lset labels.Labels
	for {
		e, err := p.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			_ = app.Rollback()
			return res, err
		}
		if e == textparse.EntryHistogram {
			res.total++ // native histograms are counted, not stored
			continue
		}
		if e != textparse.EntrySeries {
			continue
		}
		raw, ts, v := p.Series()
		res.total++
		if st.s.opts.sampleLimit > 0 && res.total > st.s.opts.sampleLimit {
			// Keep counting, as Prometheus reports the full count.
			continue
		}
		c, ok := st.cache[string(raw)]
		if !ok {
			p.Labels(&lset)
			final := targetSampleLabels(lset, st.lset, st.s.opts.honorLabels)
			c = cachedSeries{ref: st.s.store.Ref(final), lset: final}
			st.cache[string(raw)] = c
			res.added++
		}
		at := t
		if ts != nil && st.s.opts.honorTimestamps {
			// Series with their own timestamps are not tracked for
			// staleness, as in Prometheus.
			at = *ts
		} else {
			cur[c.ref] = struct{}{}
		}
		// Out-of-order and duplicate samples are dropped, the rest kept.
		_, _ = app.Append(storage.SeriesRef(c.ref), c.lset, at, v)
	}
	if st.s.opts.sampleLimit > 0 && res.total > st.s.opts.sampleLimit {
		_ = app.Rollback()
		return res, errSampleLimit
	}
	if err := app.Commit(); err != nil {
		return res, err
	}
	st.staleExcept(cur, t)
	for raw, c := range st.cache {
		if _, ok := cur[c.ref]; !ok {
			delete(st.cache, raw)
		}
	}
	return res, nil
}

// staleExcept ends, with a stale marker at t, every series of the last
// scrape that is not in cur, and makes cur the last scrape.
func (st *scrapeTarget) staleExcept(cur map[SeriesRef]struct{}, t int64) {
	for ref := range st.prev {
		if _, ok := cur[ref]; !ok {
			st.s.store.Append(ref, t, math.Float64frombits(value.StaleNaN))
		}
	}
	if cur == nil {
		cur = map[SeriesRef]struct{}{}
	}
	st.prev = cur
}

// markAllStale ends every series of a removed target, report series too.
func (st *scrapeTarget) markAllStale(t int64) {
	if !st.scraped {
		return
	}
	st.staleExcept(nil, t)
	for _, ref := range st.report {
		st.s.store.Append(ref, t, math.Float64frombits(value.StaleNaN))
	}
}
