package fakeprom

import (
	"net/http"
	"sync"

	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/prometheus/prometheus/util/features"
)

// Server answers PromQL over a Store, in process (Engine, Query) and over
// Prometheus' HTTP API (Handler, RoundTripper).
type Server struct {
	store  *Store
	opts   options
	parser parser.Parser
	engine *promql.Engine
	// features lists what the engine and API enable, for /api/v1/features.
	features features.Collector

	// The HTTP API is built on first use: web/api/v1 renders its OpenAPI
	// document when constructed, which code that only evaluates PromQL
	// should not pay for.
	handlerOnce sync.Once
	handler     http.Handler
}

// NewServer returns a Server over store.
func NewServer(store *Store, opts ...Option) *Server {
	s := &Server{store: store, opts: defaultOptions()}
	for _, o := range opts {
		o(&s.opts)
	}
	// Prometheus' default parser: experimental functions, fill modifiers and
	// unquoted UTF-8 names are all behind feature flags that are off.
	s.parser = parser.NewParser(parser.Options{})
	s.features = features.NewRegistry()
	s.engine = newEngine(s.opts, s.parser, s.features)
	return s
}

// Store returns the Store the Server reads.
func (s *Server) Store() *Store { return s.store }

// Engine returns the Server's PromQL engine, to run queries directly against
// Store (as storage.Queryable) at explicit times.
func (s *Server) Engine() *promql.Engine { return s.engine }

// Handler serves Prometheus' HTTP API under /api/v1 plus /-/healthy and
// /-/ready; anything else is 404.
func (s *Server) Handler() http.Handler {
	s.handlerOnce.Do(func() { s.handler = s.newHandler() })
	return s.handler
}

// RoundTripper returns a transport that hands every request, whatever its
// host, to Handler in process: a client_golang API client configured with it
// talks the real wire format without a socket.
func (s *Server) RoundTripper() http.RoundTripper {
	return roundTripper{handler: s.Handler()}
}
