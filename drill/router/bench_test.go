package router

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/canarydrill/canarydrill/sim"
)

// BenchmarkProxy is one request through the router to a pod, on loopback, kept alive, with the
// client that sends it: its allocations are what the collector pays for per request in a drill.
func BenchmarkProxy(b *testing.B) {
	pod := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "ok\n")
	}))
	defer pod.Close()
	start := time.Now()
	r, err := New("", func() time.Duration { return time.Since(start) }, []float64{.001, .01, .1})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close(time.Second)
	r.Publish(sim.RouteTable{Untagged: []sim.Route{{Pod: "p", Addr: strings.TrimPrefix(pod.URL, "http://"), Weight: 1}}})
	c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	url := "http://" + r.Addr() + "/"
	b.ReportAllocs()
	for b.Loop() {
		resp, err := c.Get(url)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}
