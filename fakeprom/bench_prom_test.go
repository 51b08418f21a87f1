package fakeprom

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
)

// benchSpec is the benchmark data of issue 5: 1,000 series (2 services x 2
// revisions x 10 pods x 25 series) over 6 h at 10 s, 2,161,000 samples.
var benchSpec = genSpec{
	seed: 3, start: 1_700_000_000_000, duration: 6 * time.Hour, step: 10 * time.Second,
	services: []string{"checkout", "payments"}, pods: 10, faultAt: 5 * time.Hour,
}

// benchEnd is where the seed's queries are evaluated: the end of the data,
// where an analysis run would ask.
var benchEnd = time.UnixMilli(benchSpec.start).Add(benchSpec.duration)

// seedQueries are the seed's analysis queries with their arguments filled
// in, as instant queries at benchEnd, plus the success rate over the last
// hour as a range query.
var seedQueries = []struct {
	name, query string
	rangeQuery  bool
}{
	{name: "success-rate", query: `sum(rate(http_requests_total{service="checkout",status!~"5.."}[5m])) / sum(rate(http_requests_total{service="checkout"}[5m]))`},
	{name: "error-rate", query: `sum(rate(http_requests_total{service="checkout",rollouts_pod_template_hash="` + canaryHash + `",status=~"5.."}[5m])) / sum(rate(http_requests_total{service="checkout",rollouts_pod_template_hash="` + canaryHash + `"}[5m]))`},
	{name: "p99-latency", query: `histogram_quantile(0.99, sum(rate(http_request_duration_milliseconds_bucket{service="checkout",rollouts_pod_template_hash="` + canaryHash + `"}[5m])) by (le))`},
	{name: "oom-kills", query: `sum(increase(kube_pod_container_status_last_terminated_reason{reason="OOMKilled",pod=~"checkout-` + canaryHash + `-.*"}[5m])) or vector(0)`},
	{name: "payments", query: `sum(rate(payments_completed_total{service="checkout"}[5m])) / sum(rate(payments_received_total{service="checkout"}[5m]))`},
	{name: "success-rate-1h-range", query: `sum(rate(http_requests_total{service="checkout",status!~"5.."}[5m])) / sum(rate(http_requests_total{service="checkout"}[5m]))`, rangeQuery: true},
}

var (
	benchDataOnce sync.Once
	benchData     []Series
)

// benchSeries generates benchSpec once per process.
func benchSeries() []Series {
	benchDataOnce.Do(func() {
		benchData = generate(benchSpec)
		if want := len(benchSpec.services) * 2 * benchSpec.pods * seriesPerPod; len(benchData) != want {
			panic(fmt.Sprintf("benchmark data has %d series, want %d", len(benchData), want))
		}
	})
	return benchData
}

func benchSamples() int {
	n := 0
	for _, s := range benchSeries() {
		n += len(s.Samples)
	}
	return n
}

// writeBenchFile writes the benchmark data as OpenMetrics into dir.
func writeBenchFile(b *testing.B, dir string) string {
	b.Helper()
	file := filepath.Join(dir, "bench.om")
	f, err := os.Create(file)
	if err != nil {
		b.Fatal(err)
	}
	if err := WriteOpenMetrics(f, benchSeries()); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	return file
}

// BenchmarkSeedQueries asks the seed's queries of fakeprom and of Debian's
// Prometheus over the same data (one OpenMetrics file, loaded into fakeprom
// and backfilled into Prometheus with promtool), both over loopback HTTP
// with client_golang, side by side; and of fakeprom through the in-process
// transport the simulator uses.
func BenchmarkSeedQueries(b *testing.B) {
	prom := findPrometheus(b)
	dir := b.TempDir()
	file := writeBenchFile(b, dir)
	store := NewStore()
	f, err := os.Open(file)
	if err != nil {
		b.Fatal(err)
	}
	if err := store.LoadOpenMetrics(f); err != nil {
		b.Fatal(err)
	}
	f.Close()
	blocks := filepath.Join(dir, "tsdb")
	prom.backfill(b, file, blocks)
	promURL := prom.start(b, blocks)
	srv := NewServer(store)
	fakeHTTP := httptest.NewServer(srv.Handler())
	b.Cleanup(fakeHTTP.Close)

	targets := []struct {
		name string
		api  promv1.API
	}{
		{"fakeprom", benchClient(b, fakeHTTP.URL, nil)},
		{"prometheus", benchClient(b, promURL, nil)},
		{"fakeprom-inprocess", benchClient(b, "http://prometheus.monitoring:9090", srv.RoundTripper())},
	}
	ctx := context.Background()
	for _, q := range seedQueries {
		for _, tg := range targets {
			b.Run(q.name+"/"+tg.name, func(b *testing.B) {
				ask := func() {
					var err error
					if q.rangeQuery {
						_, _, _, err = tg.api.QueryRange(ctx, q.query, promv1.Range{Start: benchEnd.Add(-time.Hour), End: benchEnd, Step: time.Minute})
					} else {
						_, _, _, err = tg.api.Query(ctx, q.query, benchEnd)
					}
					if err != nil {
						b.Fatal(err)
					}
				}
				ask() // warm: page cache for Prometheus' blocks, pools for both
				b.ReportAllocs()
				for b.Loop() {
					ask()
				}
			})
		}
	}
}

func benchClient(b *testing.B, addr string, rt http.RoundTripper) promv1.API {
	b.Helper()
	if rt == nil {
		rt = &http.Transport{MaxIdleConnsPerHost: 4}
	}
	c, err := api.NewClient(api.Config{Address: addr, RoundTripper: rt})
	if err != nil {
		b.Fatal(err)
	}
	return promv1.NewAPI(c)
}

// BenchmarkIngest measures samples per second into fakeprom (the
// simulator's append by ref, and LoadOpenMetrics of the benchmark file) and,
// for scale, into Prometheus' TSDB head and through promtool's backfill of
// the same file.
func BenchmarkIngest(b *testing.B) {
	series := benchSeries()
	samples := benchSamples()
	report := func(b *testing.B) {
		b.ReportMetric(float64(samples)*float64(b.N)/b.Elapsed().Seconds(), "samples/s")
	}

	b.Run("store-append", func(b *testing.B) {
		for b.Loop() {
			s := NewStore()
			refs := make([]SeriesRef, len(series))
			for i, ser := range series {
				refs[i] = s.Ref(ser.Labels)
			}
			// Scrape order: every series at one time, then the next time.
			for j := range series[0].Samples {
				for i, ser := range series {
					if j < len(ser.Samples) {
						s.Append(refs[i], ser.Samples[j].T, ser.Samples[j].V)
					}
				}
			}
		}
		report(b)
	})
	b.Run("tsdb-head-append", func(b *testing.B) {
		for b.Loop() {
			h := newBenchHead(b)
			appendToHead(b, h, series)
			h.Close()
		}
		report(b)
	})

	file := writeBenchFile(b, b.TempDir())
	b.Run("load-openmetrics", func(b *testing.B) {
		for b.Loop() {
			f, err := os.Open(file)
			if err != nil {
				b.Fatal(err)
			}
			if err := NewStore().LoadOpenMetrics(f); err != nil {
				b.Fatal(err)
			}
			f.Close()
		}
		report(b)
	})
	b.Run("promtool-backfill", func(b *testing.B) {
		prom := findPrometheus(b)
		for b.Loop() {
			out, err := exec.Command(prom.promtool, "tsdb", "create-blocks-from", "openmetrics", "--quiet", file, b.TempDir()).CombinedOutput()
			if err != nil {
				b.Fatalf("%v: %s", err, out)
			}
		}
		report(b)
	})
}
