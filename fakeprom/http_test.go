package fakeprom

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/require"
)

// clientFor returns a client_golang API client for the address Argo
// templates typically name; the RoundTripper never dials it.
func clientFor(t *testing.T, srv *Server) promv1.API {
	t.Helper()
	c, err := api.NewClient(api.Config{Address: "http://prometheus.monitoring:9090", RoundTripper: srv.RoundTripper()})
	require.NoError(t, err)
	return promv1.NewAPI(c)
}

const successRate = `sum(rate(http_requests_total{app="demo-app",status!~"5.."}[1m])) / sum(rate(http_requests_total{app="demo-app"}[1m]))`

func TestClientQuery(t *testing.T) {
	c := clientFor(t, NewServer(demoStore(t)))
	ctx := context.Background()

	v, warnings, infos, err := c.Query(ctx, successRate, at(10*time.Minute))
	require.NoError(t, err)
	require.Empty(t, warnings)
	require.Empty(t, infos)
	vec, ok := v.(model.Vector)
	require.True(t, ok, "%T", v)
	require.Len(t, vec, 1)
	require.Equal(t, model.Metric{}, vec[0].Metric)
	require.InDelta(t, 0.9, float64(vec[0].Value), 1e-9)
	require.Equal(t, model.TimeFromUnix(600), vec[0].Timestamp)

	v, _, _, err = c.Query(ctx, `sum by (status) (rate(http_requests_total[1m]))`, at(10*time.Minute))
	require.NoError(t, err)
	require.Len(t, v.(model.Vector), 2)
	got := map[string]float64{}
	for _, s := range v.(model.Vector) {
		got[string(s.Metric["status"])] = float64(s.Value)
	}
	require.InDelta(t, 18, got["200"], 1e-9)
	require.InDelta(t, 2, got["500"], 1e-9)

	// No match: an empty vector, not an error.
	v, _, _, err = c.Query(ctx, `http_requests_total{app="nope"}`, at(10*time.Minute))
	require.NoError(t, err)
	require.Equal(t, model.Vector{}, v)
}

func TestClientQueryRange(t *testing.T) {
	c := clientFor(t, NewServer(demoStore(t)))
	v, _, _, err := c.QueryRange(context.Background(), `rate(http_requests_total{pod="p1",status="500"}[1m])`,
		promv1.Range{Start: at(5 * time.Minute), End: at(8 * time.Minute), Step: 30 * time.Second})
	require.NoError(t, err)
	m, ok := v.(model.Matrix)
	require.True(t, ok, "%T", v)
	require.Len(t, m, 1)
	require.Equal(t, model.LabelValue("p1"), m[0].Metric["pod"])
	require.Len(t, m[0].Values, 7)
	for i, p := range m[0].Values {
		require.Equal(t, model.TimeFromUnix(300+30*int64(i)), p.Timestamp)
		require.InDelta(t, 1, float64(p.Value), 1e-9)
	}
}

func TestClientErrors(t *testing.T) {
	c := clientFor(t, NewServer(demoStore(t)))
	ctx := context.Background()

	_, _, _, err := c.Query(ctx, `sum(rate(x[1m])`, at(0))
	var apiErr *promv1.Error
	require.ErrorAs(t, err, &apiErr)
	require.Equal(t, promv1.ErrBadData, apiErr.Type)
	require.Contains(t, apiErr.Msg, "parse error")

	_, _, _, err = c.QueryRange(ctx, `up`, promv1.Range{Start: at(time.Minute), End: at(0), Step: time.Second})
	require.ErrorAs(t, err, &apiErr)
	require.Equal(t, promv1.ErrBadData, apiErr.Type)

	// A query the engine rejects at run time is an execution error.
	c = clientFor(t, NewServer(demoStore(t), WithMaxSamples(5)))
	_, _, _, err = c.Query(ctx, `http_requests_total[5m]`, at(10*time.Minute))
	require.ErrorAs(t, err, &apiErr)
	require.Equal(t, promv1.ErrExec, apiErr.Type)
}

func TestClientMetadataEndpoints(t *testing.T) {
	c := clientFor(t, NewServer(demoStore(t)))
	ctx := context.Background()

	series, _, _, err := c.Series(ctx, []string{`up`}, at(0), at(20*time.Minute))
	require.NoError(t, err)
	require.Equal(t, []model.LabelSet{
		{"__name__": "up", "pod": "fade"},
		{"__name__": "up", "pod": "gone"},
	}, series)

	names, _, _, err := c.LabelNames(ctx, nil, at(0), at(20*time.Minute))
	require.NoError(t, err)
	require.Equal(t, model.LabelNames{"__name__", "app", "le", "pod", "status"}, names)

	values, _, _, err := c.LabelValues(ctx, "status", nil, at(0), at(20*time.Minute))
	require.NoError(t, err)
	require.Equal(t, model.LabelValues{"200", "500"}, values)

	// Only series with samples in the window: "up" ended at 310 s.
	values, _, _, err = c.LabelValues(ctx, "__name__", nil, at(15*time.Minute), at(20*time.Minute))
	require.NoError(t, err)
	require.Equal(t, model.LabelValues{"http_request_duration_seconds_bucket", "http_requests_total"}, values)

	info, err := c.Buildinfo(ctx)
	require.NoError(t, err)
	require.Equal(t, "3.16.0", info.Version)

	flags, err := c.Flags(ctx)
	require.NoError(t, err)
	require.Equal(t, "5m", flags["query.lookback-delta"])
}

// get fetches a URL through h and returns status and body.
func get(t *testing.T, rt http.RoundTripper, method, u string, body io.Reader) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, u, body)
	require.NoError(t, err)
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := (&http.Client{Transport: rt}).Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b), resp.Header
}

func TestWireFormat(t *testing.T) {
	rt := NewServer(demoStore(t)).RoundTripper()
	q := url.Values{"query": {`rate(http_requests_total{pod="p1",status="500"}[1m])`}, "time": {"600"}}
	const want = `{"status":"success","data":{"resultType":"vector","result":[{"metric":{"app":"demo-app","pod":"p1","status":"500"},"value":[600,"1"]}]}}`

	code, body, hdr := get(t, rt, http.MethodGet, "http://x/api/v1/query?"+q.Encode(), nil)
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "application/json", hdr.Get("Content-Type"))
	require.JSONEq(t, want, body)

	code, body, _ = get(t, rt, http.MethodPost, "http://x/api/v1/query", strings.NewReader(q.Encode()))
	require.Equal(t, http.StatusOK, code)
	require.JSONEq(t, want, body)

	code, body, _ = get(t, rt, http.MethodGet, "http://x/api/v1/query?query=rate(x%5B1m%5D&time=600", nil)
	require.Equal(t, http.StatusBadRequest, code)
	require.JSONEq(t, `{"status":"error","errorType":"bad_data","error":"invalid parameter \"query\": 1:11: parse error: unclosed left parenthesis"}`, body)

	code, body, _ = get(t, rt, http.MethodGet, "http://x/api/v1/query_range?query=up&start=0&end=60&step=0", nil)
	require.Equal(t, http.StatusBadRequest, code)
	require.Contains(t, body, `"errorType":"bad_data"`)

	for _, path := range []string{"/nope", "/api/v1/nope", "/api/v2/query"} {
		code, _, _ = get(t, rt, http.MethodGet, "http://x"+path, nil)
		require.Equal(t, http.StatusNotFound, code, path)
	}

	code, body, _ = get(t, rt, http.MethodGet, "http://x/-/healthy", nil)
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "Prometheus Server is Healthy.\n", body)
	code, body, _ = get(t, rt, http.MethodHead, "http://x/-/ready", nil)
	require.Equal(t, http.StatusOK, code)
	require.Empty(t, body)

	// The status endpoints answer, empty, instead of panicking.
	for _, path := range []string{"targets", "rules", "alerts", "alertmanagers", "status/tsdb", "status/runtimeinfo", "status/config", "metadata", "features", "scrape_pools", "query_exemplars?query=up&start=0&end=60", "format_query?query=up%7Ba%3D%22b%22%7D"} {
		code, body, _ = get(t, rt, http.MethodGet, "http://x/api/v1/"+path, nil)
		require.Equal(t, http.StatusOK, code, "%s: %s", path, body)
		require.Contains(t, body, `"status":"success"`, path)
	}
}

func TestDefaultTimeFromInjectedClock(t *testing.T) {
	now := at(10 * time.Minute)
	srv := NewServer(demoStore(t), WithNow(func() time.Time { return now }))
	rt := srv.RoundTripper()

	code, body, _ := get(t, rt, http.MethodGet, "http://x/api/v1/query?query=up%7Bpod%3D%22fade%22%7D", nil)
	require.Equal(t, http.StatusOK, code)
	require.JSONEq(t, `{"status":"success","data":{"resultType":"vector","result":[]}}`, body, "at 10m the lookback is over")

	now = at(5 * time.Minute)
	code, body, _ = get(t, rt, http.MethodPost, "http://x/api/v1/query", strings.NewReader("query=up%7Bpod%3D%22fade%22%7D"))
	require.Equal(t, http.StatusOK, code)
	require.JSONEq(t, `{"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"up","pod":"fade"},"value":[300,"1"]}]}}`, body)

	// An empty time counts as none.
	_, body, _ = get(t, rt, http.MethodGet, "http://x/api/v1/query?query=time()&time=", nil)
	require.JSONEq(t, `{"status":"success","data":{"resultType":"scalar","result":[300,"300"]}}`, body)

	// An explicit time wins.
	_, body, _ = get(t, rt, http.MethodGet, "http://x/api/v1/query?query=time()&time=42", nil)
	require.JSONEq(t, `{"status":"success","data":{"resultType":"scalar","result":[42,"42"]}}`, body)
}

func TestRealListener(t *testing.T) {
	srv := NewServer(demoStore(t))
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()

	c, err := api.NewClient(api.Config{Address: ts.URL})
	require.NoError(t, err)
	v, _, _, err := promv1.NewAPI(c).Query(context.Background(), successRate, at(10*time.Minute))
	require.NoError(t, err)
	require.InDelta(t, 0.9, float64(v.(model.Vector)[0].Value), 1e-9)

	resp, err := http.Get(ts.URL + "/-/ready")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
}

// Same appends, same answers, byte for byte, across independent servers.
func TestDeterministicBytes(t *testing.T) {
	q := url.Values{"query": {`sum by (pod, status) (rate(http_requests_total[1m]))`}, "start": {"0"}, "end": {"1200"}, "step": {"15"}}
	var bodies []string
	for range 3 {
		_, body, _ := get(t, NewServer(demoStore(t)).RoundTripper(), http.MethodGet, "http://x/api/v1/query_range?"+q.Encode(), nil)
		bodies = append(bodies, body)
	}
	require.Equal(t, bodies[0], bodies[1])
	require.Equal(t, bodies[0], bodies[2])
}

func TestRoundTripperHonoursCancellation(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://x/api/v1/query?query=up&time=0", nil)
	require.NoError(t, err)
	_, err = NewServer(NewStore()).RoundTripper().RoundTrip(req)
	require.True(t, errors.Is(err, context.Canceled), "%v", err)
}
