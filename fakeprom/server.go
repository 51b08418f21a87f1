package fakeprom

import (
	"net/http"

	"github.com/prometheus/prometheus/promql"
)

// Server answers PromQL over a Store, in process (Engine, Query) and over
// Prometheus' HTTP API (Handler, RoundTripper). A Server is cheap: its engine
// and HTTP API are shared with every Server built with the same options.
type Server struct {
	store  *Store
	opts   options
	shared *shared
}

// NewServer returns a Server over store.
func NewServer(store *Store, opts ...Option) *Server {
	s := &Server{store: store, opts: defaultOptions()}
	for _, o := range opts {
		o(&s.opts)
	}
	s.shared = sharedFor(s.opts)
	return s
}

// Store returns the Store the Server reads.
func (s *Server) Store() *Store { return s.store }

// Engine returns the PromQL engine, to run queries directly against Store
// (as storage.Queryable) at explicit times. The engine is shared by all
// Servers with the same options: do not reconfigure it (SetQueryLogger,
// SetQueryLimits).
func (s *Server) Engine() *promql.Engine { return s.shared.engine }

// Handler serves Prometheus' HTTP API under /api/v1 plus /-/healthy and
// /-/ready; anything else is 404.
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.serveHTTP) }

// serveHTTP names the Server in the request context for the shared API's
// dispatchers and hands the request on.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	r = r.WithContext(withServer(r.Context(), s))
	s.defaultQueryTime(r)
	s.shared.serveFor(s, w, r)
}

// RoundTripper returns a transport that hands every request, whatever its
// host, to Handler in process: a client_golang API client configured with it
// talks the real wire format without a socket.
func (s *Server) RoundTripper() http.RoundTripper {
	return roundTripper{handler: s.Handler()}
}
