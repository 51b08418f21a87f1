package provider

import (
	"context"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

// webServer answers every request with a fixed status and body, after delay, and remembers the
// last request.
type webServer struct {
	*httptest.Server
	mu     sync.Mutex
	method string
	header http.Header
	body   string
}

func newWebServer(t *testing.T, status int, body string, delay time.Duration, tls bool) *webServer {
	t.Helper()
	s := &webServer{}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.method, s.header, s.body = r.Method, r.Header.Clone(), string(b)
		s.mu.Unlock()
		if delay > 0 {
			select {
			case <-time.After(delay):
			case <-r.Context().Done():
				return
			}
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	})
	s.Server = httptest.NewUnstartedServer(h)
	s.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake of TestWebInsecure
	if tls {
		s.StartTLS()
	} else {
		s.Start()
	}
	t.Cleanup(s.Close)
	return s
}

func (s *webServer) last() (string, http.Header, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.method, s.header, s.body
}

func webMetric(url string, mutate func(*v1alpha1.Metric)) v1alpha1.Metric {
	m := v1alpha1.Metric{Name: "web", Provider: v1alpha1.MetricProvider{Web: &v1alpha1.WebMetric{URL: url}}}
	if mutate != nil {
		mutate(&m)
	}
	return m
}

func TestWebResults(t *testing.T) {
	cases := []struct {
		name      string
		status    int
		body      string
		jsonPath  string
		success   string
		failure   string
		wantPhase v1alpha1.AnalysisPhase
		wantValue string
		wantMsg   string
	}{
		{name: "whole body by default", body: `{"ok":true}`, success: "result.ok", wantPhase: v1alpha1.AnalysisPhaseSuccessful, wantValue: `{"ok":true}`},
		{name: "a number at a path", body: `{"data":{"rate":0.97}}`, jsonPath: "{$.data.rate}", success: "result >= 0.95", wantPhase: v1alpha1.AnalysisPhaseSuccessful, wantValue: "0.97"},
		{name: "a failing number", body: `{"data":{"rate":0.5}}`, jsonPath: "{$.data.rate}", success: "result >= 0.95", wantPhase: v1alpha1.AnalysisPhaseFailed, wantValue: "0.5"},
		{name: "a string at a path", body: `{"status":"green"}`, jsonPath: "{$.status}", success: `result == "green"`, wantPhase: v1alpha1.AnalysisPhaseSuccessful, wantValue: `"green"`},
		{name: "asFloat of a numeric string", body: `{"v":"0.99"}`, jsonPath: "{$.v}", success: `asFloat(result) > 0.9`, wantPhase: v1alpha1.AnalysisPhaseSuccessful, wantValue: `"0.99"`},
		{name: "the first of several values", body: `{"items":[{"v":1},{"v":2}]}`, jsonPath: "{$.items[*].v}", success: "result == 1", wantPhase: v1alpha1.AnalysisPhaseSuccessful, wantValue: "1"},
		{name: "an array", body: `[1,2,3]`, success: "len(result) == 3", wantPhase: v1alpha1.AnalysisPhaseSuccessful, wantValue: "[1,2,3]"},
		{name: "null at a path is nil for isNil", body: `{"v":null}`, jsonPath: "{$.v}", success: "isNil(result)", wantPhase: v1alpha1.AnalysisPhaseSuccessful, wantValue: "null"},
		{name: "no conditions is successful", body: `{"v":1}`, wantPhase: v1alpha1.AnalysisPhaseSuccessful, wantValue: `{"v":1}`},
		{name: "neither condition true is inconclusive", body: `{"v":5}`, jsonPath: "{$.v}", success: "result < 1", failure: "result > 10", wantPhase: v1alpha1.AnalysisPhaseInconclusive, wantValue: "5"},
		// Where canarydrill differs from Argo: Argo passes these as Successful (issue #4535).
		{name: "non-JSON body is an error", body: "all good", success: "true", wantPhase: v1alpha1.AnalysisPhaseError, wantMsg: "response body is not JSON: invalid character 'a' looking for beginning of value"},
		{name: "empty body is an error", body: "", success: "true", wantPhase: v1alpha1.AnalysisPhaseError, wantMsg: "response body is not JSON: unexpected end of JSON input"},
		{name: "null body is an error", body: "null", success: "isNil(result)", wantPhase: v1alpha1.AnalysisPhaseError, wantMsg: "response body is null"},
		{name: "missing path is an error", body: `{"a":1}`, jsonPath: "{$.b}", success: "true", wantPhase: v1alpha1.AnalysisPhaseError, wantMsg: "Could not find JSONPath in body: b is not found"},
		{name: "empty selection is an error", body: `{"items":[]}`, jsonPath: "{$.items[*]}", success: "true", wantPhase: v1alpha1.AnalysisPhaseError, wantMsg: "result of web metric produced no value"},
		{name: "non-2xx is an error", status: http.StatusServiceUnavailable, body: `{"v":1}`, wantPhase: v1alpha1.AnalysisPhaseError, wantMsg: "received non 2xx response code: 503"},
		{name: "a condition error is an error", body: `{"v":"x"}`, jsonPath: "{$.v}", success: "result > 1", wantPhase: v1alpha1.AnalysisPhaseError},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status := tc.status
			if status == 0 {
				status = http.StatusOK
			}
			s := newWebServer(t, status, tc.body, 0, false)
			m := webMetric(s.URL, func(m *v1alpha1.Metric) {
				m.Provider.Web.JSONPath = tc.jsonPath
				m.SuccessCondition, m.FailureCondition = tc.success, tc.failure
			})
			got := measure(t, newFactory(), m)
			assert.Equal(t, tc.wantPhase, got.Phase, got.Message)
			assert.Equal(t, tc.wantValue, got.Value)
			if tc.wantMsg != "" {
				assert.Equal(t, tc.wantMsg, got.Message)
			}
			assert.True(t, got.StartedAt.Time.Equal(virtualNow))
			assert.True(t, got.FinishedAt.Time.Equal(virtualNow))
		})
	}
}

func TestWebRequest(t *testing.T) {
	s := newWebServer(t, http.StatusOK, `{}`, 0, false)
	m := webMetric(s.URL, func(m *v1alpha1.Metric) {
		m.Provider.Web.Method = v1alpha1.WebMetricMethodPost
		m.Provider.Web.Headers = []v1alpha1.WebMetricHeader{{Key: "Authorization", Value: "Bearer t0ken"}, {Key: "X-Scope", Value: "team"}}
		m.Provider.Web.JSONBody = json.RawMessage(`{"q":"up"}`)
	})
	require.Equal(t, v1alpha1.AnalysisPhaseSuccessful, measure(t, newFactory(), m).Phase)
	method, header, body := s.last()
	assert.Equal(t, "POST", method)
	assert.Equal(t, "Bearer t0ken", header.Get("Authorization"))
	assert.Equal(t, "team", header.Get("X-Scope"))
	assert.Equal(t, "application/json", header.Get("Content-Type"))
	assert.Equal(t, `{"q":"up"}`, body)

	m = webMetric(s.URL, func(m *v1alpha1.Metric) {
		m.Provider.Web.Method = v1alpha1.WebMetricMethodPut
		m.Provider.Web.Body = "plain"
		m.Provider.Web.Authentication.BasicAuth = v1alpha1.BasicAuthConfig{Username: "u", Password: "p"}
	})
	require.Equal(t, v1alpha1.AnalysisPhaseSuccessful, measure(t, newFactory(), m).Phase)
	method, header, body = s.last()
	assert.Equal(t, "PUT", method)
	assert.Equal(t, "plain", body)
	assert.True(t, strings.HasPrefix(header.Get("Authorization"), "Basic "))
	assert.Empty(t, header.Get("Content-Type"))

	m = webMetric(s.URL, nil)
	require.Equal(t, v1alpha1.AnalysisPhaseSuccessful, measure(t, newFactory(), m).Phase)
	method, _, _ = s.last()
	assert.Equal(t, "GET", method)
}

func TestWebBodyRules(t *testing.T) {
	s := newWebServer(t, http.StatusOK, `{}`, 0, false)
	cases := []struct {
		name   string
		mutate func(*v1alpha1.WebMetric)
		want   string
	}{
		{"body and jsonBody", func(w *v1alpha1.WebMetric) {
			w.Method, w.Body, w.JSONBody = v1alpha1.WebMetricMethodPost, "x", json.RawMessage(`{}`)
		}, "use either Body or JSONBody; both cannot exists for WebMetric payload"},
		{"body with GET", func(w *v1alpha1.WebMetric) { w.Body = "x" }, "Body/JSONBody can only be used with POST or PUT WebMetric Method types"},
		{"jsonBody with default method", func(w *v1alpha1.WebMetric) { w.JSONBody = json.RawMessage(`{}`) }, "Body/JSONBody can only be used with POST or PUT WebMetric Method types"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := webMetric(s.URL, func(m *v1alpha1.Metric) { tc.mutate(m.Provider.Web) })
			got := measure(t, newFactory(), m)
			assert.Equal(t, v1alpha1.AnalysisPhaseError, got.Phase)
			assert.Equal(t, tc.want, got.Message)
		})
	}
}

func TestWebTimeout(t *testing.T) {
	s := newWebServer(t, http.StatusOK, `{}`, 5*time.Second, false)
	m := webMetric(s.URL, func(m *v1alpha1.Metric) { m.Provider.Web.TimeoutSeconds = 1 })
	start := time.Now()
	got := measure(t, newFactory(), m)
	assert.Less(t, time.Since(start), 4*time.Second)
	assert.Equal(t, v1alpha1.AnalysisPhaseError, got.Phase)
	// Either the client's timeout or the request context's deadline fires first; both are the timeout.
	assert.Regexp(t, `Client.Timeout exceeded|context deadline exceeded`, got.Message)
}

func TestWebDefaultTimeout(t *testing.T) {
	p, err := newFactory().NewProvider(webMetric("http://x", nil))
	require.NoError(t, err)
	assert.Equal(t, DefaultWebTimeout, p.(*webProvider).client.Timeout)
	p, err = newFactory().NewProvider(webMetric("http://x", func(m *v1alpha1.Metric) { m.Provider.Web.TimeoutSeconds = -3 }))
	require.NoError(t, err)
	assert.Equal(t, DefaultWebTimeout, p.(*webProvider).client.Timeout)
}

func TestWebInsecure(t *testing.T) {
	s := newWebServer(t, http.StatusOK, `{"v":1}`, 0, true)
	got := measure(t, newFactory(), webMetric(s.URL, nil))
	assert.Equal(t, v1alpha1.AnalysisPhaseError, got.Phase)
	assert.Contains(t, got.Message, "certificate")
	got = measure(t, newFactory(), webMetric(s.URL, func(m *v1alpha1.Metric) { m.Provider.Web.Insecure = true }))
	assert.Equal(t, v1alpha1.AnalysisPhaseSuccessful, got.Phase, got.Message)
}

func TestWebOAuth2(t *testing.T) {
	token := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"access_token":"abc","token_type":"bearer","expires_in":3600}`))
	}))
	t.Cleanup(token.Close)
	s := newWebServer(t, http.StatusOK, `{"v":1}`, 0, false)
	m := webMetric(s.URL, func(m *v1alpha1.Metric) {
		m.Provider.Web.Authentication.OAuth2 = v1alpha1.OAuth2Config{TokenURL: token.URL, ClientID: "id", ClientSecret: "secret"}
	})
	got := measure(t, newFactory(), m)
	require.Equal(t, v1alpha1.AnalysisPhaseSuccessful, got.Phase, got.Message)
	_, header, _ := s.last()
	assert.Equal(t, "Bearer abc", header.Get("Authorization"))

	m.Provider.Web.Authentication.OAuth2.ClientSecret = ""
	_, err := newFactory().NewProvider(m)
	assert.EqualError(t, err, "missing mandatory parameter in metric for OAuth2 setup")
}

func TestWebBadJSONPath(t *testing.T) {
	_, err := newFactory().NewProvider(webMetric("http://x", func(m *v1alpha1.Metric) { m.Provider.Web.JSONPath = "{$.a" }))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `invalid jsonPath "{$.a"`)
}

func TestWebInjectedTransport(t *testing.T) {
	f := newFactory()
	f.Transport = roundTripFunc(func(r *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 200, Body: io.NopCloser(strings.NewReader(`{"host":"` + r.URL.Host + `"}`)), Header: http.Header{}}, nil
	})
	got := measure(t, f, webMetric("http://checkout.internal/health", func(m *v1alpha1.Metric) { m.Provider.Web.JSONPath = "{$.host}" }))
	assert.Equal(t, `"checkout.internal"`, got.Value)
}

func TestWebResumeAndTerminateKeepTheMeasurement(t *testing.T) {
	p, err := newFactory().NewProvider(webMetric("http://x", nil))
	require.NoError(t, err)
	m := v1alpha1.Measurement{Phase: v1alpha1.AnalysisPhaseRunning}
	assert.Equal(t, m, p.Resume(context.Background(), nil, v1alpha1.Metric{}, m))
	assert.Equal(t, m, p.Terminate(context.Background(), nil, v1alpha1.Metric{}, m))
	assert.NoError(t, p.GarbageCollect(context.Background(), nil, v1alpha1.Metric{}, 1))
	assert.Equal(t, TypeWeb, p.Type())
}
