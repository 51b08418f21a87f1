package fakeprom

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/stretchr/testify/require"
)

// Servers share the engine and HTTP API per option set, and nothing else:
// each request sees its own Server's store, clock and settings.
func TestSharedAPIIsolation(t *testing.T) {
	one := func(v float64) *Store {
		s := NewStore()
		s.AppendLabels(labels.FromStrings("__name__", "x", "v", fmt.Sprint(v)), 0, v)
		return s
	}
	a := NewServer(one(1), WithNow(func() time.Time { return at(time.Minute) }))
	b := NewServer(one(2), WithNow(func() time.Time { return at(2 * time.Minute) }))
	short := NewServer(one(3), WithLookbackDelta(30*time.Second))
	require.Same(t, a.Engine(), b.Engine(), "same options, one engine")
	require.NotSame(t, a.Engine(), short.Engine(), "other options, other engine")

	// Interleaved and concurrent, each answers over its own store and clock.
	var wg sync.WaitGroup
	for i := range 50 {
		for _, tc := range []struct {
			srv  *Server
			want string
		}{
			{a, `{"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"x","v":"1"},"value":[60,"1"]}]}}`},
			{b, `{"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"x","v":"2"},"value":[120,"2"]}]}}`},
			// 60 s is past a 30 s lookback: nothing.
			{short, `{"status":"success","data":{"resultType":"vector","result":[]}}`},
		} {
			wg.Go(func() {
				q := url.Values{"query": {"x"}}
				if tc.srv == short {
					q.Set("time", "60")
				}
				method := []string{http.MethodGet, http.MethodPost}[i%2]
				u := "http://x/api/v1/query?" + q.Encode()
				var body *url.Values
				if method == http.MethodPost {
					u, body = "http://x/api/v1/query", &q
				}
				_, got := fetch(tc.srv.RoundTripper(), method, u, body)
				if got != tc.want {
					t.Errorf("got %s, want %s", got, tc.want)
				}
			})
		}
	}
	wg.Wait()

	_, body, _ := get(t, a.RoundTripper(), http.MethodGet, "http://x/api/v1/series?match[]=x", nil)
	require.JSONEq(t, `{"status":"success","data":[{"__name__":"x","v":"1"}]}`, body)
	_, body, _ = get(t, b.RoundTripper(), http.MethodGet, "http://x/api/v1/label/v/values", nil)
	require.JSONEq(t, `{"status":"success","data":["2"]}`, body)

	// The endpoints whose callbacks get no request context.
	_, body, _ = get(t, b.RoundTripper(), http.MethodGet, "http://x/api/v1/status/runtimeinfo", nil)
	require.Contains(t, body, `"serverTime":"1970-01-01T00:02:00Z"`)
	_, body, _ = get(t, a.RoundTripper(), http.MethodGet, "http://x/api/v1/status/runtimeinfo", nil)
	require.Contains(t, body, `"serverTime":"1970-01-01T00:01:00Z"`)
	_, body, _ = get(t, a.RoundTripper(), http.MethodGet, "http://x/api/v1/status/tsdb", nil)
	require.Contains(t, body, `"numSeries":1,`)

	_, body, _ = get(t, short.RoundTripper(), http.MethodGet, "http://x/api/v1/status/flags", nil)
	require.Contains(t, body, `"query.lookback-delta":"30s"`)
	_, body, _ = get(t, a.RoundTripper(), http.MethodGet, "http://x/api/v1/status/flags", nil)
	require.Contains(t, body, `"query.lookback-delta":"5m"`)

	// In process, too.
	v, _, err := short.Query(context.Background(), "x", at(20*time.Second))
	require.NoError(t, err)
	require.Equal(t, `{__name__="x", v="3"} => 3 @[20000]`, v.String())
}

// fetch is get for goroutines other than the test's: no require.
func fetch(rt http.RoundTripper, method, u string, form *url.Values) (int, string) {
	var req *http.Request
	var err error
	if form != nil {
		req, err = http.NewRequest(method, u, strings.NewReader(form.Encode()))
		if err == nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	} else {
		req, err = http.NewRequest(method, u, nil)
	}
	if err != nil {
		return 0, err.Error()
	}
	resp, err := (&http.Client{Transport: rt}).Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
