package fakeprom

import (
	"net/http"
	"sync"

	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/prometheus/prometheus/util/features"
)

// shared is what all Servers with one sharedKey use: the parser, the feature
// registry, the PromQL engine and, built on first use, the HTTP API. A
// simulator makes one Server per run and hundreds of runs per command;
// building an engine costs ~0.2 ms and web/api/v1 ~60 ms, so both are built
// once per process and key. None of them holds per-Server state: every
// request names its Server in its context (withServer) and the engine is
// handed the Server's Store with each query.
type shared struct {
	key      sharedKey
	parser   parser.Parser
	features features.Collector
	engine   *promql.Engine

	handlerOnce sync.Once
	handler     http.Handler

	// web/api/v1 asks for the runtime info and the TSDB stats through
	// callbacks that get no request context. Those (rare) requests are
	// serialised by ctxless, and current names their Server meanwhile.
	ctxless sync.Mutex
	current *Server
}

var (
	sharedMu    sync.Mutex
	sharedByKey = map[sharedKey]*shared{}
)

// sharedFor returns the shared parts for o, building them on first use.
// Entries are never dropped: a process uses a handful of option sets.
func sharedFor(o options) *shared {
	k := o.key()
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if sh, ok := sharedByKey[k]; ok {
		return sh
	}
	// Prometheus' default parser: experimental functions, fill modifiers and
	// unquoted UTF-8 names are all behind feature flags that are off.
	sh := &shared{key: k, parser: parser.NewParser(parser.Options{}), features: features.NewRegistry()}
	sh.engine = newEngine(o, sh.parser, sh.features)
	sharedByKey[k] = sh
	return sh
}

// apiHandler returns the HTTP API, building it on first use: code that only
// evaluates PromQL in process never pays for it.
func (sh *shared) apiHandler() http.Handler {
	sh.handlerOnce.Do(func() { sh.handler = sh.newHandler() })
	return sh.handler
}

// serveFor serves r for srv. Requests whose answer comes from a
// context-less callback hold ctxless for their duration.
func (sh *shared) serveFor(srv *Server, w http.ResponseWriter, r *http.Request) {
	h := sh.apiHandler()
	if ctxlessPaths[r.URL.Path] {
		sh.ctxless.Lock()
		sh.current = srv
		defer func() {
			sh.current = nil
			sh.ctxless.Unlock()
		}()
	}
	h.ServeHTTP(w, r)
}

// ctxlessPaths are the endpoints that call runtimeInfo or TSDBAdminStats.Stats.
var ctxlessPaths = map[string]bool{
	"/api/v1/status/runtimeinfo": true,
	"/api/v1/status/tsdb":        true,
}
