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
	lookbackDelta time.Duration // --query.lookback-delta
	maxSamples    int           // --query.max-samples
	queryTimeout  time.Duration // --query.timeout
	logger        *slog.Logger
	remoteWrite   bool             // --web.enable-remote-write-receiver
	now           func() time.Time // default evaluation time of /api/v1/query
}

// discardLogger is the one default logger, so that Servers built without
// WithLogger share one engine and HTTP API (see sharedKey).
var discardLogger = slog.New(slog.DiscardHandler)

func defaultOptions() options {
	return options{
		lookbackDelta: 5 * time.Minute,
		maxSamples:    50_000_000,
		queryTimeout:  2 * time.Minute,
		logger:        discardLogger,
	}
}

// sharedKey is the part of the options that the engine and the HTTP API are
// built from. Servers with equal keys share both (building them costs far
// more than a simulated run can pay); what differs per Server (store, clock)
// is resolved per request.
type sharedKey struct {
	lookbackDelta time.Duration
	maxSamples    int
	queryTimeout  time.Duration
	logger        *slog.Logger
	remoteWrite   bool
}

func (o options) key() sharedKey {
	return sharedKey{o.lookbackDelta, o.maxSamples, o.queryTimeout, o.logger, o.remoteWrite}
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
// Servers given the same logger share an engine, so pass one logger to many
// Servers rather than a new one each.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) { o.logger = l }
}

// WithRemoteWriteReceiver serves /api/v1/write (remote-write 1.0 and 2.0
// protobuf messages, snappy-compressed) into the Server's Store, as
// Prometheus does with --web.enable-remote-write-receiver. Off by default,
// as there.
func WithRemoteWriteReceiver() Option {
	return func(o *options) { o.remoteWrite = true }
}
