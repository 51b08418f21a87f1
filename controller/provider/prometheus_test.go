package provider

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	clocktesting "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

// virtualNow is the fake clock's time in every test: far from the wall clock on purpose.
var virtualNow = time.Date(2030, 6, 1, 12, 0, 0, 0, time.UTC)

// promServer answers /api/v1/query and /api/v1/query_range with a fixed body and status, and
// remembers the last request's form and headers.
type promServer struct {
	*httptest.Server
	mu     sync.Mutex
	form   url.Values
	header http.Header
	path   string
	calls  int
}

func newPromServer(t *testing.T, status int, body string, delay time.Duration) *promServer {
	t.Helper()
	s := &promServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		s.mu.Lock()
		s.form, s.header, s.path = r.Form, r.Header.Clone(), r.URL.Path
		s.calls++
		s.mu.Unlock()
		if delay > 0 {
			select {
			case <-time.After(delay):
			case <-r.Context().Done():
				return
			}
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *promServer) last() (url.Values, http.Header, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.form, s.header, s.path
}

func promMetric(address, query string) v1alpha1.Metric {
	return v1alpha1.Metric{
		Name:     "success-rate",
		Provider: v1alpha1.MetricProvider{Prometheus: &v1alpha1.PrometheusMetric{Address: address, Query: query}},
	}
}

func newFactory() *DefaultFactory {
	return &DefaultFactory{Clock: clocktesting.NewFakePassiveClock(virtualNow)}
}

func measure(t *testing.T, f *DefaultFactory, m v1alpha1.Metric) v1alpha1.Measurement {
	t.Helper()
	p, err := f.NewProvider(m)
	require.NoError(t, err)
	return p.Run(context.Background(), &v1alpha1.AnalysisRun{}, m)
}

const (
	vectorBody   = `{"status":"success","data":{"resultType":"vector","result":[{"metric":{"pod":"a"},"value":[1906545600,"0.69"]}]}}`
	vector2Body  = `{"status":"success","data":{"resultType":"vector","result":[{"metric":{"pod":"a"},"value":[1906545600,"0.5"]},{"metric":{"pod":"b"},"value":[1906545600,"1.25"]}]}}`
	scalarBody   = `{"status":"success","data":{"resultType":"scalar","result":[1906545600,"0.5"]}}`
	matrixBody   = `{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"pod":"a"},"values":[[1906545540,"1"],[1906545570,"2"]]},{"metric":{"pod":"b"},"values":[[1906545600,"3"]]}]}}`
	emptyBody    = `{"status":"success","data":{"resultType":"vector","result":[]}}`
	nanBody      = `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1906545600,"NaN"]}]}}`
	infBody      = `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1906545600,"+Inf"]},{"metric":{},"value":[1906545600,"-Inf"]}]}}`
	stringBody   = `{"status":"success","data":{"resultType":"string","result":[1906545600,"hello"]}}`
	badDataBody  = `{"status":"error","errorType":"bad_data","error":"invalid parameter \"query\": 1:6: parse error: unexpected end of input"}`
	warningsBody = `{"status":"success","warnings":["w one","w two"],"data":{"resultType":"vector","result":[{"metric":{},"value":[1906545600,"1"]}]}}`
)

func TestPrometheusResults(t *testing.T) {
	cases := []struct {
		name      string
		status    int
		body      string
		success   string
		failure   string
		wantPhase v1alpha1.AnalysisPhase
		wantValue string
		wantMsg   string
	}{
		{name: "vector passes", body: vectorBody, success: "result[0] >= 0.5", wantPhase: v1alpha1.AnalysisPhaseSuccessful, wantValue: "[0.69]"},
		{name: "vector fails", body: vectorBody, success: "result[0] >= 0.95", wantPhase: v1alpha1.AnalysisPhaseFailed, wantValue: "[0.69]"},
		{name: "vector of two series", body: vector2Body, success: "len(result) == 2 && result[1] > 1", wantPhase: v1alpha1.AnalysisPhaseSuccessful, wantValue: "[0.5,1.25]"},
		{name: "scalar is a float64", body: scalarBody, success: "result == 0.5", wantPhase: v1alpha1.AnalysisPhaseSuccessful, wantValue: "0.5"},
		{name: "matrix flattens every sample", body: matrixBody, success: "len(result) == 3 && result[2] == 3", wantPhase: v1alpha1.AnalysisPhaseSuccessful, wantValue: "[1,2,3]"},
		{name: "empty vector with result[0] is an error", body: emptyBody, success: "result[0] >= 0.95", wantPhase: v1alpha1.AnalysisPhaseError, wantMsg: "index out of range: 0 (array length is 0)"},
		{name: "empty vector with len() is fine", body: emptyBody, failure: "len(result) == 0", wantPhase: v1alpha1.AnalysisPhaseFailed, wantValue: "[]"},
		{name: "NaN passes through", body: nanBody, success: "isNaN(result[0])", wantPhase: v1alpha1.AnalysisPhaseSuccessful, wantValue: "[NaN]"},
		{name: "NaN compares false", body: nanBody, success: "result[0] >= 0.95", wantPhase: v1alpha1.AnalysisPhaseFailed, wantValue: "[NaN]"},
		{name: "infinities pass through", body: infBody, success: "isInf(result[0]) && isInf(result[1])", wantPhase: v1alpha1.AnalysisPhaseSuccessful, wantValue: "[+Inf,-Inf]"},
		{name: "no conditions is successful", body: vectorBody, wantPhase: v1alpha1.AnalysisPhaseSuccessful, wantValue: "[0.69]"},
		// client_golang refuses a string result before the provider sees it (so does Argo's client)
		{name: "string result is an error", body: stringBody, success: "true", wantPhase: v1alpha1.AnalysisPhaseError, wantMsg: `bad_response: unexpected value type "string"`},
		{name: "bad_data is an error with its message", status: http.StatusBadRequest, body: badDataBody, wantPhase: v1alpha1.AnalysisPhaseError,
			wantMsg: `bad_data: invalid parameter "query": 1:6: parse error: unexpected end of input`},
		{name: "server error without JSON", status: http.StatusBadGateway, body: "upstream down", wantPhase: v1alpha1.AnalysisPhaseError, wantMsg: "server_error: server error: 502"},
		{name: "200 with a non-JSON body", body: "<html>proxy login</html>", success: "true", wantPhase: v1alpha1.AnalysisPhaseError, wantMsg: "bad_response: invalid character '<' looking for beginning of value"},
		{name: "200 with a null body", body: "null", success: "true", wantPhase: v1alpha1.AnalysisPhaseError, wantMsg: "Prometheus metric type not supported"},
		{name: "empty matrix", body: `{"status":"success","data":{"resultType":"matrix","result":[]}}`, success: "len(result) == 0", wantPhase: v1alpha1.AnalysisPhaseSuccessful, wantValue: "[]"},
		{name: "scalar NaN", body: `{"status":"success","data":{"resultType":"scalar","result":[1906545600,"NaN"]}}`, success: "isNaN(result)", wantPhase: v1alpha1.AnalysisPhaseSuccessful, wantValue: "NaN"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status := tc.status
			if status == 0 {
				status = http.StatusOK
			}
			srv := newPromServer(t, status, tc.body, 0)
			m := promMetric(srv.URL, "sum(rate(x[1m]))")
			m.SuccessCondition, m.FailureCondition = tc.success, tc.failure
			got := measure(t, newFactory(), m)
			assert.Equal(t, tc.wantPhase, got.Phase)
			assert.Equal(t, tc.wantValue, got.Value)
			assert.Equal(t, tc.wantMsg, got.Message)
			require.NotNil(t, got.StartedAt)
			require.NotNil(t, got.FinishedAt)
			assert.True(t, got.StartedAt.Time.Equal(virtualNow))
			assert.True(t, got.FinishedAt.Time.Equal(virtualNow))
		})
	}
}

func TestPrometheusQueriesAtClockTime(t *testing.T) {
	srv := newPromServer(t, http.StatusOK, vectorBody, 0)
	got := measure(t, newFactory(), promMetric(srv.URL, `sum(up{job="a"})`))
	require.Equal(t, v1alpha1.AnalysisPhaseSuccessful, got.Phase)
	form, _, path := srv.last()
	assert.Equal(t, "/api/v1/query", path)
	assert.Equal(t, `sum(up{job="a"})`, form.Get("query"))
	assert.Equal(t, "1906545600", form.Get("time"), "the fake clock's time, not the wall clock's")
	assert.Equal(t, "30s", form.Get("timeout"), "default timeout sent to Prometheus")
}

func TestPrometheusRangeQuery(t *testing.T) {
	srv := newPromServer(t, http.StatusOK, matrixBody, 0)
	m := promMetric(srv.URL, "rate(x[1m])")
	m.Provider.Prometheus.RangeQuery = &v1alpha1.PrometheusRangeQueryArgs{
		Start: `now() - duration("5m")`,
		End:   "now()",
		Step:  "30s",
	}
	m.SuccessCondition = "all(result, # > 0)"
	got := measure(t, newFactory(), m)
	require.Equal(t, v1alpha1.AnalysisPhaseSuccessful, got.Phase, got.Message)
	assert.Equal(t, "[1,2,3]", got.Value)
	form, _, path := srv.last()
	assert.Equal(t, "/api/v1/query_range", path)
	assert.Equal(t, "1906545300", form.Get("start"))
	assert.Equal(t, "1906545600", form.Get("end"))
	assert.Equal(t, "30", form.Get("step"))
}

func TestPrometheusRangeQueryErrors(t *testing.T) {
	cases := []struct {
		name       string
		start, end string
		step       v1alpha1.DurationString
		want       string
	}{
		{"bad start", "now() -", "now()", "30s", "failed to parse rangeQuery.start as time: unexpected token EOF"},
		{"start not a time", "1", "now()", "30s", "failed to parse rangeQuery.start as time: expected time.Time, but got int"},
		{"bad end", "now()", "nope()", "30s", "failed to parse rangeQuery.end as time: unknown name nope"},
		{"bad step", "now()", "now()", "thirty", `failed to parse rangeQuery.step as duration: time: invalid duration "thirty"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := newPromServer(t, http.StatusOK, matrixBody, 0)
			m := promMetric(srv.URL, "x")
			m.Provider.Prometheus.RangeQuery = &v1alpha1.PrometheusRangeQueryArgs{Start: tc.start, End: tc.end, Step: tc.step}
			got := measure(t, newFactory(), m)
			assert.Equal(t, v1alpha1.AnalysisPhaseError, got.Phase)
			assert.Equal(t, tc.want, got.Message)
			assert.Zero(t, srv.calls, "nothing sent")
		})
	}
}

func TestPrometheusTimeout(t *testing.T) {
	srv := newPromServer(t, http.StatusOK, vectorBody, 5*time.Second)
	m := promMetric(srv.URL, "x")
	m.Provider.Prometheus.Timeout = ptr.To[int64](1)
	begin := time.Now()
	got := measure(t, newFactory(), m)
	assert.Less(t, time.Since(begin), 4*time.Second)
	assert.Equal(t, v1alpha1.AnalysisPhaseError, got.Phase)
	assert.Contains(t, got.Message, "context deadline exceeded")
	form, _, _ := srv.last()
	assert.Equal(t, "1s", form.Get("timeout"))
}

func TestPrometheusZeroTimeoutExpiresAtOnce(t *testing.T) {
	srv := newPromServer(t, http.StatusOK, vectorBody, 0)
	m := promMetric(srv.URL, "x")
	m.Provider.Prometheus.Timeout = ptr.To[int64](0)
	got := measure(t, newFactory(), m)
	assert.Equal(t, v1alpha1.AnalysisPhaseError, got.Phase)
	assert.Equal(t, "context deadline exceeded", got.Message)
}

func TestPrometheusHeadersAndBasicAuth(t *testing.T) {
	srv := newPromServer(t, http.StatusOK, vectorBody, 0)
	m := promMetric(srv.URL, "x")
	m.Provider.Prometheus.Headers = []v1alpha1.WebMetricHeader{{Key: "X-Scope-OrgID", Value: "tenant-1"}, {Key: "Authorization", Value: "Bearer abc"}}
	got := measure(t, newFactory(), m)
	require.Equal(t, v1alpha1.AnalysisPhaseSuccessful, got.Phase, got.Message)
	_, h, _ := srv.last()
	assert.Equal(t, "tenant-1", h.Get("X-Scope-OrgID"))
	assert.Equal(t, "Bearer abc", h.Get("Authorization"))

	m = promMetric(srv.URL, "x")
	m.Provider.Prometheus.Authentication.BasicAuth = v1alpha1.BasicAuthConfig{Username: "admin", Password: "s3cret"}
	got = measure(t, newFactory(), m)
	require.Equal(t, v1alpha1.AnalysisPhaseSuccessful, got.Phase, got.Message)
	_, h, _ = srv.last()
	assert.Equal(t, "Basic YWRtaW46czNjcmV0", h.Get("Authorization"))
}

func TestPrometheusWarningsInMetadata(t *testing.T) {
	srv := newPromServer(t, http.StatusOK, warningsBody, 0)
	got := measure(t, newFactory(), promMetric(srv.URL, "x"))
	require.Equal(t, v1alpha1.AnalysisPhaseSuccessful, got.Phase)
	assert.Equal(t, map[string]string{WarningsMetadataKey: `"w one", "w two"`}, got.Metadata)
}

func TestPrometheusMetadataShowsResolvedQuery(t *testing.T) {
	f := newFactory()
	m := promMetric("http://prometheus:9090", `rate(http_requests_total{service="canary"}[1m])`)
	p, err := f.NewProvider(m)
	require.NoError(t, err)
	assert.Equal(t, TypePrometheus, p.Type())
	assert.Equal(t, map[string]string{ResolvedPrometheusQuery: m.Provider.Prometheus.Query}, p.Metadata(m))
	assert.Equal(t, map[string]string{}, p.Metadata(promMetric("http://prometheus:9090", "")))
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestPrometheusInjectedTransportAnswersEveryAddress(t *testing.T) {
	var hosts []string
	f := newFactory()
	f.Transport = roundTripFunc(func(r *http.Request) (*http.Response, error) {
		hosts = append(hosts, r.URL.Host)
		rec := httptest.NewRecorder()
		rec.Header().Set("Content-Type", "application/json")
		_, _ = rec.WriteString(scalarBody)
		res := rec.Result()
		res.Request = r
		return res, nil
	})
	m := promMetric("http://prometheus.monitoring.svc.cluster.local:9090", "x")
	m.Provider.Prometheus.Insecure = true
	got := measure(t, f, m)
	assert.Equal(t, v1alpha1.AnalysisPhaseSuccessful, got.Phase, got.Message)
	assert.Equal(t, "0.5", got.Value)
	assert.Equal(t, []string{"prometheus.monitoring.svc.cluster.local:9090"}, hosts)
}

func TestPrometheusClientIsCachedPerSettings(t *testing.T) {
	f := newFactory()
	a := promMetric("http://prom-a:9090", "x")
	b := promMetric("http://prom-a:9090", "y")
	c := promMetric("http://prom-a:9090", "x")
	c.Provider.Prometheus.Headers = []v1alpha1.WebMetricHeader{{Key: "X", Value: "1"}}
	pa, err := f.NewProvider(a)
	require.NoError(t, err)
	pb, err := f.NewProvider(b)
	require.NoError(t, err)
	pc, err := f.NewProvider(c)
	require.NoError(t, err)
	assert.Same(t, pa.(*prometheusProvider).api, pb.(*prometheusProvider).api, "same address and settings share a client")
	assert.NotSame(t, pa.(*prometheusProvider).api, pc.(*prometheusProvider).api, "other headers get their own client")
	assert.Len(t, f.promAPIs, 2)
}

func TestPrometheusProviderErrors(t *testing.T) {
	cases := []struct {
		name    string
		factory *DefaultFactory
		mutate  func(*v1alpha1.PrometheusMetric)
		want    string
	}{
		{"address not a URL", newFactory(), func(p *v1alpha1.PrometheusMetric) { p.Address = "prometheus:9090/x" }, "prometheus address is not is url format"},
		{"no address", newFactory(), func(p *v1alpha1.PrometheusMetric) { p.Address = "" }, "prometheus address is not configured"},
		{"default address not a URL", &DefaultFactory{PrometheusAddress: "nope"}, func(p *v1alpha1.PrometheusMetric) { p.Address = "" }, "prometheus address is not is url format"},
		{"negative timeout", newFactory(), func(p *v1alpha1.PrometheusMetric) { p.Timeout = ptr.To[int64](-1) }, "prometheus timeout should not be negative"},
		{"oauth2 without secret", newFactory(), func(p *v1alpha1.PrometheusMetric) {
			p.Authentication.OAuth2 = v1alpha1.OAuth2Config{TokenURL: "http://idp/token", ClientID: "id"}
		}, "missing mandatory parameter in metric for OAuth2 setup"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := promMetric("http://prometheus:9090", "x")
			tc.mutate(m.Provider.Prometheus)
			_, err := tc.factory.NewProvider(m)
			require.Error(t, err)
			assert.Equal(t, tc.want, err.Error())
		})
	}
}

func TestPrometheusDefaultAddress(t *testing.T) {
	srv := newPromServer(t, http.StatusOK, vectorBody, 0)
	f := newFactory()
	f.PrometheusAddress = srv.URL
	got := measure(t, f, promMetric("", "x"))
	assert.Equal(t, v1alpha1.AnalysisPhaseSuccessful, got.Phase, got.Message)
}

func TestPrometheusOAuth2(t *testing.T) {
	var tokenCalls int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/token" {
			tokenCalls++
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"access_token":"tok-1","token_type":"Bearer","expires_in":3600}`))
			return
		}
		if r.Header.Get("Authorization") != "Bearer tok-1" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(vectorBody))
	}))
	t.Cleanup(srv.Close)
	m := promMetric(srv.URL, "x")
	m.Provider.Prometheus.Authentication.OAuth2 = v1alpha1.OAuth2Config{TokenURL: srv.URL + "/token", ClientID: "id", ClientSecret: "secret"}
	got := measure(t, newFactory(), m)
	assert.Equal(t, v1alpha1.AnalysisPhaseSuccessful, got.Phase, got.Message)
	assert.Equal(t, 1, tokenCalls)
}

func TestJudgePrometheusValueRejectsOtherTypes(t *testing.T) {
	_, phase, err := judgePrometheusValue(promMetric("http://p:9090", "x"), &model.String{Value: "hello"})
	assert.Equal(t, v1alpha1.AnalysisPhaseError, phase)
	require.Error(t, err)
	assert.Equal(t, "Prometheus metric type not supported", err.Error())
}
