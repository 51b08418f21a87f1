package fakeprom

import (
	"context"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"k8s.io/utils/clock"
)

// Target is one endpoint to scrape and the target labels its samples get.
// Labels play the part of Prometheus' target labels (job, instance, and any
// set by relabelling); instance defaults to the URL's host[:port], as
// Prometheus' does to __address__.
type Target struct {
	URL    string
	Labels labels.Labels
}

// ScrapeOption configures a Scraper.
type ScrapeOption func(*scrapeOptions)

// scrapeOptions default to Prometheus' scrape_config defaults.
type scrapeOptions struct {
	interval        time.Duration // scrape_interval
	timeout         time.Duration // scrape_timeout
	honorLabels     bool          // honor_labels
	honorTimestamps bool          // honor_timestamps
	bodySizeLimit   int64         // body_size_limit (0: none)
	sampleLimit     int           // sample_limit (0: none)
	concurrency     int           // targets scraped at once
	client          *http.Client
}

// WithScrapeInterval sets how often every target is scraped (default 1m).
func WithScrapeInterval(d time.Duration) ScrapeOption {
	return func(o *scrapeOptions) { o.interval = d }
}

// WithScrapeTimeout bounds each scrape (default 10s, and never more than the
// interval). It is measured in wall time: it guards against a hung target.
func WithScrapeTimeout(d time.Duration) ScrapeOption {
	return func(o *scrapeOptions) { o.timeout = d }
}

// WithHonorLabels sets honor_labels: on a clash between a scraped label and
// a target label, keep the scraped one (true) or keep the target's and
// rename the scraped one to exported_<name> (false, the default).
func WithHonorLabels(honor bool) ScrapeOption {
	return func(o *scrapeOptions) { o.honorLabels = honor }
}

// WithHonorTimestamps sets honor_timestamps (default true): use the
// timestamps a target exposes instead of the scrape time.
func WithHonorTimestamps(honor bool) ScrapeOption {
	return func(o *scrapeOptions) { o.honorTimestamps = honor }
}

// WithBodySizeLimit fails scrapes whose uncompressed body is larger than n
// bytes (body_size_limit; default 0, no limit).
func WithBodySizeLimit(n int64) ScrapeOption {
	return func(o *scrapeOptions) { o.bodySizeLimit = n }
}

// WithSampleLimit fails scrapes with more than n samples (sample_limit;
// default 0, no limit), keeping none of them.
func WithSampleLimit(n int) ScrapeOption {
	return func(o *scrapeOptions) { o.sampleLimit = n }
}

// WithScrapeConcurrency bounds how many targets are scraped at once
// (default 16).
func WithScrapeConcurrency(n int) ScrapeOption {
	return func(o *scrapeOptions) { o.concurrency = max(1, n) }
}

// WithScrapeClient sets the HTTP client (default http.DefaultClient).
func WithScrapeClient(c *http.Client) ScrapeOption {
	return func(o *scrapeOptions) { o.client = c }
}

// Scraper is a Prometheus scrape loop for live drills: at every tick of its
// clock it scrapes every target, parses the exposition with Prometheus' own
// parsers, appends the samples with the target labels, adds the scrape_*
// report series and writes staleness markers for series that vanish and
// targets that go away.
type Scraper struct {
	store *Store
	clock clock.WithTicker
	opts  scrapeOptions

	mu      sync.Mutex
	targets map[string]*scrapeTarget // by URL and target labels
	gone    []*scrapeTarget          // removed, awaiting their stale markers
}

// NewScraper returns a Scraper that writes into store and takes its time
// and ticks from clk.
func NewScraper(store *Store, clk clock.WithTicker, opts ...ScrapeOption) *Scraper {
	o := scrapeOptions{
		interval:        time.Minute,
		timeout:         10 * time.Second,
		honorTimestamps: true,
		concurrency:     16,
		client:          http.DefaultClient,
	}
	for _, opt := range opts {
		opt(&o)
	}
	o.timeout = min(o.timeout, o.interval)
	return &Scraper{store: store, clock: clk, opts: o, targets: map[string]*scrapeTarget{}}
}

// SetTargets replaces the set of targets. A target kept (same URL and
// labels) keeps its state; a removed one gets stale markers for all its
// series at the next scrape time, as Prometheus writes them when a target
// disappears from service discovery.
func (s *Scraper) SetTargets(targets []Target) error {
	type wanted struct {
		url  string
		lset labels.Labels
	}
	want := map[string]wanted{}
	for _, t := range targets {
		u, err := url.Parse(t.URL)
		if err != nil {
			return err
		}
		b := labels.NewBuilder(t.Labels)
		if !t.Labels.Has(model.InstanceLabel) {
			b.Set(model.InstanceLabel, u.Host)
		}
		lset := b.Labels()
		want[t.URL+"\xff"+lset.String()] = wanted{t.URL, lset}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	// A target removed and added back before its stale markers were
	// written simply stays.
	gone := s.gone[:0]
	for _, st := range s.gone {
		if _, back := want[st.key]; back {
			s.targets[st.key] = st
		} else {
			gone = append(gone, st)
		}
	}
	s.gone = gone
	next := map[string]*scrapeTarget{}
	for key, w := range want {
		st, ok := s.targets[key]
		if !ok {
			st = newScrapeTarget(s, key, w.url, w.lset)
		}
		next[key] = st
	}
	for key, st := range s.targets {
		if _, kept := next[key]; !kept {
			s.gone = append(s.gone, st)
		}
	}
	s.targets = next
	return nil
}

// Run scrapes at once and then at every tick of the clock's ticker until
// ctx is done. Stopping writes no stale markers: like a Prometheus that
// shuts down, the data simply ends.
func (s *Scraper) Run(ctx context.Context) {
	ticker := s.clock.NewTicker(s.opts.interval)
	defer ticker.Stop()
	for {
		s.ScrapeOnce(ctx)
		select {
		case <-ctx.Done():
			return
		case <-ticker.C():
		}
	}
}

// ScrapeOnce scrapes every target now (one timestamp for the round) and
// writes the stale markers of targets removed since the last round. It
// returns when every scrape has finished.
func (s *Scraper) ScrapeOnce(ctx context.Context) {
	now := s.clock.Now()
	s.mu.Lock()
	gone := s.gone
	s.gone = nil
	targets := make([]*scrapeTarget, 0, len(s.targets))
	for _, st := range s.targets {
		targets = append(targets, st)
	}
	s.mu.Unlock()

	for _, st := range gone {
		st.markAllStale(now.UnixMilli())
	}
	sem := make(chan struct{}, s.opts.concurrency)
	var wg sync.WaitGroup
	for _, st := range targets {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			st.scrape(ctx, now)
		})
	}
	wg.Wait()
}
