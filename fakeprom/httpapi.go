package fakeprom

import (
	"context"
	"errors"
	"io"
	"net/http"
	"runtime"
	"strconv"
	"time"

	"github.com/grafana/regexp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/model"
	"github.com/prometheus/common/route"
	"github.com/prometheus/prometheus/config"
	"github.com/prometheus/prometheus/util/notifications"
	v1 "github.com/prometheus/prometheus/web/api/v1"
)

// Values Prometheus' web layer would pass to web/api/v1 with default flags.
const (
	remoteReadSampleLimit      = 50_000_000 // --storage.remote.read-sample-limit
	remoteReadConcurrencyLimit = 10         // --storage.remote.read-concurrent-limit
	remoteReadMaxBytesInFrame  = 1 << 20    // --storage.remote.read-max-bytes-in-frame
)

// openAPINoPaths matches no API path. NewAPI renders its OpenAPI document up
// front: with every path in it that takes about twice as long (~110 ms, 40 MB
// per server) as with none. Nobody reads fakeprom's /api/v1/openapi.yaml, so
// it lists no paths.
const openAPINoPaths = "/fakeprom-omits-openapi-paths"

// corsOrigin is --web.cors.origin=".*" compiled the way cmd/prometheus does;
// web/api/v1 dereferences it whenever a request carries an Origin header.
var corsOrigin = regexp.MustCompile("^(?:.*)$")

// buildInfo reports the Prometheus release whose engine and API serve the
// answers, so clients that gate features on the version see the right one.
var buildInfo = &v1.PrometheusVersion{
	Version:   "3.16.0",
	Revision:  "fakeprom",
	Branch:    "fakeprom",
	BuildUser: "canarydrill",
	GoVersion: runtime.Version(),
}

// newHandler mounts Prometheus' own API handler (web/api/v1), so that JSON
// shapes, error types and status codes are Prometheus' exactly. What a
// stand-alone store lacks (targets, rules, alertmanagers, exemplars, TSDB
// blocks) is served by empty implementations.
func (s *Server) newHandler() http.Handler {
	api := v1.NewAPI(
		s.engine,
		s.store,
		nil, // no remote-write or OTLP receiver
		noExemplars{},
		func(context.Context) v1.ScrapePoolsRetriever { return noTargets{} },
		func(context.Context) v1.TargetRetriever { return noTargets{} },
		func(context.Context) v1.AlertmanagerRetriever { return noAlertmanagers{} },
		func() config.Config { return config.DefaultConfig },
		s.flags(),
		v1.GlobalURLOptions{ListenAddress: "0.0.0.0:9090", Host: "localhost:9090", Scheme: "http"},
		func(f http.HandlerFunc) http.HandlerFunc { return f }, // always ready
		tsdbAdmin{s.store},
		"",    // no data directory
		false, // admin API off, as by default
		false, // search API off (feature flag)
		0,
		s.opts.logger.With("component", "api"),
		func(context.Context) v1.RulesRetriever { return noRules{} },
		remoteReadSampleLimit,
		remoteReadConcurrencyLimit,
		remoteReadMaxBytesInFrame,
		false, // not an agent
		corsOrigin,
		s.runtimeInfo,
		buildInfo,
		func() []notifications.Notification { return nil },
		func() (<-chan notifications.Notification, func(), bool) { return nil, func() {}, false },
		prometheus.NewRegistry(), // gatherer for /status/tsdb and self metrics: empty
		nil,                      // no registerer: many servers may coexist
		nil,                      // default stats renderer
		false,                    // remote-write receiver off
		nil,                      // remote-write message types: unused
		false, false, false,      // OTLP receiver off
		s.opts.lookbackDelta,
		false, // type-and-unit labels off (feature flag)
		false, // no metadata appends
		nil,   // Prometheus' own error codes
		s.features,
		v1.OpenAPIOptions{Version: buildInfo.Version, IncludePaths: []string{openAPINoPaths}},
		s.parser,
		false, // query-cost endpoints off (feature flag)
		s.opts.queryTimeout,
	)

	apiRouter := route.New()
	api.Register(apiRouter)

	mux := http.NewServeMux()
	mux.Handle("/api/v1/", s.defaultQueryTime(http.StripPrefix("/api/v1", apiRouter)))
	mux.HandleFunc("GET /-/healthy", plainOK("Prometheus Server is Healthy.\n"))
	mux.HandleFunc("GET /-/ready", plainOK("Prometheus Server is Ready.\n"))
	return mux
}

// plainOK answers like Prometheus' /-/healthy and /-/ready: 200 with a line
// of text, no body for HEAD.
func plainOK(body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		if r.Method != http.MethodHead {
			_, _ = io.WriteString(w, body)
		}
	}
}

// defaultQueryTime fills in the time parameter of an instant query that has
// none from the injected clock. web/api/v1 would use the wall clock there,
// and it offers no way to replace it, so the request is amended instead.
func (s *Server) defaultQueryTime(next http.Handler) http.Handler {
	if s.opts.now == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/v1/query" {
			// Parses the query string and a urlencoded or multipart body
			// into r.Form, which the API's FormValue calls then read.
			err := r.ParseMultipartForm(maxFormMemory)
			// An empty time counts as absent, as in the API's parseTimeParam.
			if (err == nil || errors.Is(err, http.ErrNotMultipart)) && r.Form.Get("time") == "" {
				r.Form.Set("time", s.opts.now().UTC().Format(time.RFC3339Nano))
			}
		}
		next.ServeHTTP(w, r)
	})
}

// maxFormMemory is net/http's default for FormValue's implicit parse.
const maxFormMemory = 32 << 20

// flags is what /api/v1/status/flags reports: the query settings in force.
func (s *Server) flags() map[string]string {
	return map[string]string{
		"query.lookback-delta": model.Duration(s.opts.lookbackDelta).String(),
		"query.max-samples":    strconv.Itoa(s.opts.maxSamples),
		"query.timeout":        model.Duration(s.opts.queryTimeout).String(),
	}
}

func (s *Server) runtimeInfo() (v1.RuntimeInfo, error) {
	info := v1.RuntimeInfo{ReloadConfigSuccess: true}
	if s.opts.now != nil {
		info.ServerTime = s.opts.now()
	}
	return info, nil
}
