package fakeprom

import (
	"log/slog"
	"time"
)

// Option configures a Server.
type Option func(*options)

// options default to the Prometheus server's flag defaults, so that queries
// behave as they would against a stock Prometheus.
type options struct {
	lookbackDelta time.Duration    // --query.lookback-delta
	maxSamples    int              // --query.max-samples
	queryTimeout  time.Duration    // --query.timeout
	now           func() time.Time // default evaluation time of /api/v1/query
	logger        *slog.Logger
}

func defaultOptions() options {
	return options{
		lookbackDelta: 5 * time.Minute,
		maxSamples:    50_000_000,
		queryTimeout:  2 * time.Minute,
		logger:        slog.New(slog.DiscardHandler),
	}
}

// WithLookbackDelta sets how far back an instant selector looks for a sample.
func WithLookbackDelta(d time.Duration) Option {
	return func(o *options) { o.lookbackDelta = d }
}

// WithMaxSamples caps the samples one query may hold in memory.
func WithMaxSamples(n int) Option {
	return func(o *options) { o.maxSamples = n }
}

// WithQueryTimeout bounds each query's run time. The timeout is measured by
// the engine in wall time: it guards against runaway queries, it does not
// model Prometheus latency.
func WithQueryTimeout(d time.Duration) Option {
	return func(o *options) { o.queryTimeout = d }
}

// WithNow sets the clock that supplies the evaluation time of
// /api/v1/query requests without a time parameter (a simulation passes its
// virtual clock's Now). Without it such requests use Prometheus' own default,
// the wall clock.
func WithNow(now func() time.Time) Option {
	return func(o *options) { o.now = now }
}

// WithLogger sets where the engine and HTTP API log; the default discards.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) { o.logger = l }
}
