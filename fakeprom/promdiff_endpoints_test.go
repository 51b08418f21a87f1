package fakeprom

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// diffBlockIndex: Prometheus answers /labels and /label/<name>/values from
// the index of every block that overlaps [start, end] (2 h blocks here), so
// it lists series with no sample in the range; fakeprom lists exactly the
// series with a sample in it. /series checks chunk times and agrees.
const diffBlockIndex = "Prometheus answers label names and values from whole-block indexes, " +
	"fakeprom from the samples in [start, end]"

// diffUTF8Names: Prometheus 3.0 accepts any UTF-8 label name.
const diffUTF8Names = "Prometheus 3.0 allows UTF-8 metric and label names by default (3.0 migration guide, \"UTF-8 names\")"

// diffBuildInfo: fakeprom reports the Prometheus release of its engine.
const diffBuildInfo = "fakeprom reports the version of the Prometheus code it runs (3.x)"

type endpointCase struct {
	name   string
	method string // GET unless set; POST sends params as a form
	path   string
	params url.Values
	// raw compares status, content type and body byte for byte instead of
	// as JSON (non-API answers).
	raw     bool
	differs string
}

func diffEndpointCases() []endpointCase {
	sec := func(d time.Duration) string { return seconds(diffStart + d.Milliseconds()) }
	block := url.Values{"start": {sec(0)}, "end": {sec(2*time.Hour - time.Millisecond)}}
	with := func(v url.Values, kv ...string) url.Values {
		out := url.Values{}
		for k, vs := range v {
			out[k] = vs
		}
		for i := 0; i+1 < len(kv); i += 2 {
			out.Add(kv[i], kv[i+1])
		}
		return out
	}
	return []endpointCase{
		{name: "series", path: "/api/v1/series", params: url.Values{"match[]": {"up", "edge_total"}}},
		{name: "series in a block", path: "/api/v1/series", params: with(block, "match[]", `http_requests_total{pod=~".*p0000"}`)},
		{name: "series after a pod ended", path: "/api/v1/series", params: url.Values{"match[]": {"up"}, "start": {sec(2*time.Hour + 30*time.Minute)}, "end": {sec(2*time.Hour + 50*time.Minute)}}},
		{name: "series by POST", method: http.MethodPost, path: "/api/v1/series", params: url.Values{"match[]": {`{__name__=~"payments_.*", service="payments"}`}}},
		{name: "series without match", path: "/api/v1/series"},
		{name: "labels", path: "/api/v1/labels"},
		{name: "labels of a match", path: "/api/v1/labels", params: url.Values{"match[]": {"edge_total"}}},
		{name: "labels by POST", method: http.MethodPost, path: "/api/v1/labels", params: url.Values{"match[]": {"up"}}},
		{name: "label values", path: "/api/v1/label/pod/values"},
		{name: "label values of a match", path: "/api/v1/label/__name__/values", params: url.Values{"match[]": {`{service="payments"}`}}},
		{name: "label values in a block", path: "/api/v1/label/status/values", params: block},
		{name: "label values after a pod ended", path: "/api/v1/label/pod/values", params: url.Values{"match[]": {`up{service="checkout"}`}, "start": {sec(2*time.Hour + 30*time.Minute)}, "end": {sec(2*time.Hour + 50*time.Minute)}}, differs: diffBlockIndex},
		{name: "invalid label name", path: "/api/v1/label/1bad/values", differs: diffUTF8Names},
		{name: "11,000 points", path: "/api/v1/query_range", params: url.Values{"query": {"vector(1)"}, "start": {"1000"}, "end": {"11999"}, "step": {"1"}}},
		{name: "11,001 points", path: "/api/v1/query_range", params: url.Values{"query": {"vector(1)"}, "start": {"1000"}, "end": {"12000"}, "step": {"1"}}},
		{name: "step in seconds", path: "/api/v1/query_range", params: url.Values{"query": {"sum(up)"}, "start": {sec(time.Hour)}, "end": {sec(2 * time.Hour)}, "step": {"90.5"}}},
		{name: "bad step", path: "/api/v1/query_range", params: url.Values{"query": {"up"}, "start": {"0"}, "end": {"60"}, "step": {"x"}}},
		{name: "zero step", path: "/api/v1/query_range", params: url.Values{"query": {"up"}, "start": {"0"}, "end": {"60"}, "step": {"0"}}},
		{name: "end before start", path: "/api/v1/query_range", params: url.Values{"query": {"up"}, "start": {"60"}, "end": {"0"}, "step": {"1"}}},
		{name: "RFC 3339 times", path: "/api/v1/query_range", params: url.Values{"query": {"count(up)"}, "start": {"2023-11-14T23:00:00.5Z"}, "end": {"2023-11-15T00:00:00.5Z"}, "step": {"5m"}}},
		{name: "query range by POST", method: http.MethodPost, path: "/api/v1/query_range", params: url.Values{"query": {"sum by (service) (up)"}, "start": {sec(time.Hour)}, "end": {sec(90 * time.Minute)}, "step": {"1m"}}},
		{name: "query by POST", method: http.MethodPost, path: "/api/v1/query", params: url.Values{"query": {"sum by (service) (up)"}, "time": {sec(time.Hour)}}},
		{name: "query with timeout", path: "/api/v1/query", params: url.Values{"query": {"count(up)"}, "time": {sec(time.Hour)}, "timeout": {"30s"}}},
		{name: "query without query", path: "/api/v1/query"},
		{name: "bad time", path: "/api/v1/query", params: url.Values{"query": {"up"}, "time": {"yesterday"}}},
		{name: "bad timeout", path: "/api/v1/query", params: url.Values{"query": {"up"}, "timeout": {"soon"}}},
		{name: "unknown API path", path: "/api/v1/nope", raw: true},
		{name: "unknown path", path: "/nope", raw: true},
		{name: "unknown API version", path: "/api/v2/query", raw: true},
		{name: "POST to an unknown path", method: http.MethodPost, path: "/api/v1/nope", raw: true},
		{name: "ready", path: "/-/ready", raw: true},
		{name: "healthy", path: "/-/healthy", raw: true},
		{name: "buildinfo", path: "/api/v1/status/buildinfo", differs: diffBuildInfo},
		{name: "admin API off", method: http.MethodPost, path: "/api/v1/admin/tsdb/clean_tombstones"},
	}
}

// diffEndpoints compares the HTTP API beyond PromQL: metadata endpoints,
// parameter parsing, limits, errors and unknown paths.
func diffEndpoints(t *testing.T, prom realProm, real http.RoundTripper, base string, fake http.RoundTripper) {
	for _, c := range diffEndpointCases() {
		t.Run(c.name, func(t *testing.T) {
			want := fetchRaw(t, real, base, c)
			got := fetchRaw(t, fake, "http://fakeprom", c)
			var d string
			if c.raw {
				if want != got {
					d = "Prometheus: " + want.String() + "\nfakeprom:   " + got.String()
				}
			} else {
				d = diffResults(want.api(t), got.api(t), true)
			}
			switch {
			case c.differs == "" || (c.differs != diffBuildInfo && prom.major >= 3):
				if d != "" {
					t.Error(d)
				}
			case d == "":
				t.Errorf("expected the documented difference (%s), but the answers agree", c.differs)
			default:
				t.Logf("known difference from Prometheus %s: %s\n  %s", prom.version, c.differs, d)
			}
		})
	}
}

type rawAnswer struct {
	code        int
	contentType string
	body        string
}

func (r rawAnswer) String() string {
	return http.StatusText(r.code) + " [" + r.contentType + "] " + r.body
}

func (r rawAnswer) api(t *testing.T) apiResp {
	t.Helper()
	a, err := decodeAPI(r.code, []byte(r.body))
	require.NoError(t, err)
	return a
}

func fetchRaw(t *testing.T, rt http.RoundTripper, base string, c endpointCase) rawAnswer {
	t.Helper()
	var req *http.Request
	var err error
	if c.method == http.MethodPost {
		req, err = http.NewRequest(http.MethodPost, base+c.path, strings.NewReader(c.params.Encode()))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		u := base + c.path
		if len(c.params) > 0 {
			u += "?" + c.params.Encode()
		}
		req, err = http.NewRequest(http.MethodGet, u, nil)
		require.NoError(t, err)
	}
	resp, err := rt.RoundTrip(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return rawAnswer{resp.StatusCode, resp.Header.Get("Content-Type"), string(body)}
}
