package router

import (
	"context"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/canarydrill/canarydrill/sim"
)

// Router listens on one loopback port and proxies every request to a pod of the current table.
type Router struct {
	tbl       atomic.Pointer[table]
	transport *http.Transport
	since     func() time.Duration
	stats     *Stats
	ln        net.Listener
	srv       *http.Server
	done      chan struct{}
}

// discard swallows the proxy's and server's own logs: a library does not print, and the
// router counts what failed instead.
var discard = log.New(io.Discard, "", 0)

// New listens on 127.0.0.1:0 (or addr) with an empty table: every request is answered 503
// until Publish. since is the scenario time now (windows of the stats); bounds are the latency
// buckets' upper bounds in seconds.
func New(addr string, since func() time.Duration, bounds []float64) (*Router, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	r := &Router{since: since, stats: newStats(bounds), ln: ln, done: make(chan struct{})}
	r.tbl.Store(&table{})
	r.transport = &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 2 * time.Second}).DialContext,
		MaxIdleConns:        1024,
		MaxIdleConnsPerHost: 256,
		IdleConnTimeout:     30 * time.Second,
		DisableCompression:  true,
	}
	r.srv = &http.Server{Handler: r, ReadHeaderTimeout: 5 * time.Second, ErrorLog: discard}
	go func() {
		defer close(r.done)
		_ = r.srv.Serve(ln)
	}()
	return r, nil
}

// Addr is the router's address.
func (r *Router) Addr() string { return r.ln.Addr().String() }

// Publish makes t the table for the requests that arrive from now on.
func (r *Router) Publish(t sim.RouteTable) { r.tbl.Store(compile(t, r.proxyTo)) }

// proxyTo is a reverse proxy to one pod. Each destination of a table has its own, all sharing the
// kept-alive connections of one Transport: the request needs no copy to carry where it goes.
func (r *Router) proxyTo(u *url.URL) *httputil.ReverseProxy {
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(u)
			pr.Out.Host = pr.In.Host
		},
		Transport:  r.transport,
		ErrorLog:   discard,
		BufferPool: bufferPool{},
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, _ error) {
			http.Error(w, "upstream pod unavailable", http.StatusBadGateway)
		},
	}
}

// Stats are the counts of what the router served.
func (r *Router) Stats() *Stats { return r.stats }

// ServeHTTP picks the request's class by the testers' header, a destination by weight, and
// proxies; it answers 503 when no ready pod serves the class or the share drawn.
func (r *Router) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	start, at := time.Now(), r.since() // counted in the window it started in, as vegeta counts it
	t := r.tbl.Load()
	cls := &t.untagged
	if t.header != "" && req.Header.Get(t.header) == t.value {
		cls = &t.tagged
	}
	b, ok := cls.pick()
	if !ok || b.proxy == nil {
		http.Error(w, "no ready pod", http.StatusServiceUnavailable)
		r.stats.record(at, false, true, time.Since(start))
		return
	}
	sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
	b.proxy.ServeHTTP(sw, req)
	r.stats.record(at, b.canary, sw.code >= 400, time.Since(start))
}

// Close stops listening and waits for the requests in flight, at most timeout.
func (r *Router) Close(timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	err := r.srv.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		err = r.srv.Close()
	}
	<-r.done
	r.transport.CloseIdleConnections()
	return err
}

// statusWriter remembers the status the proxy answered.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	w.code = code
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the connection (the proxy flushes through it).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// bufferPool reuses the proxy's copy buffers: without one, every response allocates 32 KiB,
// which at thousands of requests a second is the router's largest cost.
type bufferPool struct{}

var buffers = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

func (bufferPool) Get() []byte  { return *buffers.Get().(*[]byte) }
func (bufferPool) Put(b []byte) { buffers.Put(&b) }
