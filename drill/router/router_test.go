package router

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canarydrill/canarydrill/sim"
)

// backendServer answers its name, or fails with code when code is set.
func backendServer(t *testing.T, name string, code int) string {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if code != 0 {
			http.Error(w, name, code)
			return
		}
		io.WriteString(w, name)
	}))
	t.Cleanup(s.Close)
	return strings.TrimPrefix(s.URL, "http://")
}

func newRouter(t *testing.T) *Router {
	t.Helper()
	start := time.Now()
	r, err := New("", func() time.Duration { return time.Since(start) }, []float64{.005, .01, .1, 1})
	require.NoError(t, err)
	t.Cleanup(func() { r.Close(time.Second) })
	return r
}

func send(t *testing.T, r *Router, n int, header string) map[string]int {
	t.Helper()
	got := map[string]int{}
	for range n {
		req, _ := http.NewRequest(http.MethodGet, "http://"+r.Addr()+"/", nil)
		if header != "" {
			req.Header.Set(header, "yes")
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		got[fmt.Sprintf("%d %s", resp.StatusCode, strings.TrimSpace(string(b)))]++
	}
	return got
}

func TestNothingReadyAnswers503(t *testing.T) {
	r := newRouter(t)
	assert.Equal(t, map[string]int{"503 no ready pod": 3}, send(t, r, 3, ""))
	assert.Equal(t, int64(3), r.Stats().Totals().Failed)
}

func TestWeightsSplitAndTestersTakeTheirRoute(t *testing.T) {
	r := newRouter(t)
	stable, canary := backendServer(t, "stable", 0), backendServer(t, "canary", 500)
	r.Publish(sim.RouteTable{
		Untagged: []sim.Route{{Pod: "s", Addr: stable, Weight: 0.8}, {Pod: "c", Addr: canary, Weight: 0.2, Canary: true}},
		Tagged:   []sim.Route{{Pod: "c", Addr: canary, Weight: 1, Canary: true}},
		Header:   "X-Canary", Value: "yes",
	})
	got := send(t, r, 1000, "")
	assert.InDelta(t, 800, got["200 stable"], 60)
	assert.InDelta(t, 200, got["500 canary"], 60)
	assert.Equal(t, map[string]int{"500 canary": 20}, send(t, r, 20, "X-Canary"))

	tot := r.Stats().Totals()
	assert.Equal(t, int64(1020), tot.Total)
	assert.Equal(t, int64(got["500 canary"]+20), tot.FailedOnCanary)
	assert.Equal(t, tot.FailedOnCanary, tot.Failed)
	ws := r.Stats().Windows(10 * time.Second)
	require.Len(t, ws, 1)
	assert.Equal(t, float64(tot.ServedByCanary), ws[0].Requests[1])
	assert.Equal(t, float64(tot.Total-tot.ServedByCanary), ws[0].Requests[0])
}

// A share without a pod (its Service selects nothing ready) fails, as an ingress without
// endpoints does; a pod that died answers 502.
func TestFailingSharesAndDeadPods(t *testing.T) {
	r := newRouter(t)
	r.Publish(sim.RouteTable{Untagged: []sim.Route{{Weight: 1}}})
	assert.Equal(t, map[string]int{"503 no ready pod": 2}, send(t, r, 2, ""))
	r.Publish(sim.RouteTable{Untagged: []sim.Route{{Pod: "gone", Addr: "127.0.0.1:1", Weight: 1}}})
	assert.Equal(t, map[string]int{"502 upstream pod unavailable": 2}, send(t, r, 2, ""))
}
