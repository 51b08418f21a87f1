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
	remoteapi "github.com/prometheus/client_golang/exp/api/remote"
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
// shapes, error types and status codes are Prometheus' exactly. The engine,
// storage and appender it is given dispatch to the request's Server (see
// dispatch.go). What a stand-alone store lacks (targets, rules,
// alertmanagers, exemplars, TSDB blocks) is served by empty implementations.
func (sh *shared) newHandler() http.Handler {
	logger := sh.key.logger.With("component", "api")
	api := v1.NewAPI(
		dispatchEngine{},
		dispatchQueryable{},
		dispatchAppendable{},
		noExemplars{},
		func(context.Context) v1.ScrapePoolsRetriever { return noTargets{} },
		func(context.Context) v1.TargetRetriever { return noTargets{} },
		func(context.Context) v1.AlertmanagerRetriever { return noAlertmanagers{} },
		func() config.Config { return config.DefaultConfig },
		sh.flags(),
		v1.GlobalURLOptions{ListenAddress: "0.0.0.0:9090", Host: "localhost:9090", Scheme: "http"},
		func(f http.HandlerFunc) http.HandlerFunc { return f }, // always ready
		tsdbAdmin{sh},
		"",    // no data directory
		false, // admin API off, as by default
		false, // search API off (feature flag)
		0,
		logger,
		func(context.Context) v1.RulesRetriever { return noRules{} },
		remoteReadSampleLimit,
		remoteReadConcurrencyLimit,
		remoteReadMaxBytesInFrame,
		false, // not an agent
		corsOrigin,
		sh.runtimeInfo,
		buildInfo,
		func() []notifications.Notification { return nil },
		func() (<-chan notifications.Notification, func(), bool) { return nil, func() {}, false },
		prometheus.NewRegistry(), // gatherer for /status/tsdb and self metrics: empty
		nil,                      // no registerer: many APIs may coexist
		nil,                      // default stats renderer
		sh.key.remoteWrite,
		// Both protobuf messages, as --web.remote-write-receiver.accepted-protobuf-messages by default.
		remoteapi.MessageTypes{remoteapi.WriteV1MessageType, remoteapi.WriteV2MessageType},
		false, false, false, // OTLP receiver off
		sh.key.lookbackDelta,
		false, // type-and-unit labels off (feature flag)
		false, // no metadata appends
		nil,   // Prometheus' own error codes
		sh.features,
		v1.OpenAPIOptions{Version: buildInfo.Version, IncludePaths: []string{openAPINoPaths}},
		sh.parser,
		false, // query-cost endpoints off (feature flag)
		sh.key.queryTimeout,
	)

	apiRouter := route.New()
	api.Register(apiRouter)

	mux := http.NewServeMux()
	mux.Handle("/api/v1/", http.StripPrefix("/api/v1", apiRouter))
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
func (s *Server) defaultQueryTime(r *http.Request) {
	if s.opts.now == nil || r.URL.Path != "/api/v1/query" {
		return
	}
	// Parses the query string and a urlencoded or multipart body into
	// r.Form, which the API's FormValue calls then read.
	err := r.ParseMultipartForm(maxFormMemory)
	// An empty time counts as absent, as in the API's parseTimeParam.
	if (err == nil || errors.Is(err, http.ErrNotMultipart)) && r.Form.Get("time") == "" {
		r.Form.Set("time", s.opts.now().UTC().Format(time.RFC3339Nano))
	}
}

// maxFormMemory is net/http's default for FormValue's implicit parse.
const maxFormMemory = 32 << 20

// flags is what /api/v1/status/flags reports: the settings in force, which
// are the same for every Server sharing the API.
func (sh *shared) flags() map[string]string {
	return map[string]string{
		"query.lookback-delta":             model.Duration(sh.key.lookbackDelta).String(),
		"query.max-samples":                strconv.Itoa(sh.key.maxSamples),
		"query.timeout":                    model.Duration(sh.key.queryTimeout).String(),
		"web.enable-remote-write-receiver": strconv.FormatBool(sh.key.remoteWrite),
	}
}

// runtimeInfo runs while sh.ctxless is held, with sh.current set (serveFor).
func (sh *shared) runtimeInfo() (v1.RuntimeInfo, error) {
	srv := sh.current
	if srv == nil {
		return v1.RuntimeInfo{}, errNoServer
	}
	info := v1.RuntimeInfo{ReloadConfigSuccess: true}
	if srv.opts.now != nil {
		info.ServerTime = srv.opts.now()
	}
	return info, nil
}
