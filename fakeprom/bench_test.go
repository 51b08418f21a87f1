package fakeprom

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql"
)

// BenchmarkAppend measures the simulator's path: append by ref to series in
// round-robin, as one scrape after another.
func BenchmarkAppend(b *testing.B) {
	s := NewStore()
	refs := make([]SeriesRef, 100)
	for i := range refs {
		refs[i] = s.Ref(labels.FromStrings("__name__", "m", "i", strconv.Itoa(i)))
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		s.Append(refs[i%len(refs)], int64(i/len(refs))*10_000, float64(i))
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "samples/s")
}

// dayStore holds 24 h of 10 s samples for 10 pods x 2 status codes.
func dayStore(b *testing.B) *Store {
	b.Helper()
	s := NewStore()
	for pod := range 10 {
		for _, st := range []struct {
			code string
			rate float64
		}{{"200", 9}, {"500", 1}} {
			counter(s, labels.FromStrings("__name__", "http_requests_total", "app", "demo-app",
				"pod", "demo-app-6d4cf56db6-"+strconv.Itoa(pod), "status", st.code), 0, 24*time.Hour, 10*time.Second, st.rate)
		}
	}
	return s
}

func BenchmarkQuerySuccessRate(b *testing.B) {
	srv := NewServer(dayStore(b))
	ctx := context.Background()
	ts := at(12 * time.Hour)
	b.ReportAllocs()
	for b.Loop() {
		v, _, err := srv.Query(ctx, successRate, ts)
		if err != nil {
			b.Fatal(err)
		}
		if vec := v.(promql.Vector); len(vec) != 1 || vec[0].F < 0.899 || vec[0].F > 0.901 {
			b.Fatalf("got %v", v)
		}
	}
}

func BenchmarkQueryHTTP(b *testing.B) {
	srv := NewServer(dayStore(b))
	c, err := api.NewClient(api.Config{Address: "http://prometheus.monitoring:9090", RoundTripper: srv.RoundTripper()})
	if err != nil {
		b.Fatal(err)
	}
	papi := promv1.NewAPI(c)
	ctx := context.Background()
	ts := at(12 * time.Hour)
	b.ReportAllocs()
	for b.Loop() {
		v, _, _, err := papi.Query(ctx, successRate, ts)
		if err != nil {
			b.Fatal(err)
		}
		if vec := v.(model.Vector); len(vec) != 1 || vec[0].Value < 0.899 || vec[0].Value > 0.901 {
			b.Fatalf("got %v", v)
		}
	}
}

// BenchmarkNewServerFirstQuery is what a simulated run pays to get a
// Prometheus: a new Store's Server and its first query over the HTTP API
// through the in-process transport. The engine and web/api/v1 are built by
// the first Server of the process (the warm-up below, ~60 ms), not per run.
func BenchmarkNewServerFirstQuery(b *testing.B) {
	store := demoStore(b)
	ctx := context.Background()
	first := func() {
		srv := NewServer(store, WithNow(func() time.Time { return at(10 * time.Minute) }))
		c, err := api.NewClient(api.Config{Address: "http://prometheus.monitoring:9090", RoundTripper: srv.RoundTripper()})
		if err != nil {
			b.Fatal(err)
		}
		v, _, _, err := promv1.NewAPI(c).Query(ctx, successRate, time.Time{})
		if err != nil {
			b.Fatal(err)
		}
		if vec := v.(model.Vector); len(vec) != 1 || vec[0].Value < 0.899 || vec[0].Value > 0.901 {
			b.Fatalf("got %v", v)
		}
	}
	first()
	b.ReportAllocs()
	for b.Loop() {
		first()
	}
}

// BenchmarkSelectManyApps is the selection the 1,000-Rollout simulation
// (docs/performance.md) makes 120,000 times: one app's http_requests_total
// among 1,000 apps x 2 pods x 2 status codes, with 30 other series per pod,
// as success-rate's numerator selects it.
func BenchmarkSelectManyApps(b *testing.B) {
	s := NewStore()
	for app := range 1000 {
		name := "app-" + strconv.Itoa(app)
		for pod := range 2 {
			podName := name + "-" + strconv.Itoa(pod)
			for _, code := range []string{"200", "500"} {
				ref := s.Ref(labels.FromStrings("__name__", "http_requests_total", "app", name, "pod", podName, "status", code))
				s.Append(ref, 0, 1)
			}
			for i := range 30 {
				ref := s.Ref(labels.FromStrings("__name__", "other_"+strconv.Itoa(i), "app", name, "pod", podName))
				s.Append(ref, 0, 1)
			}
		}
	}
	q, err := s.Querier(0, 1)
	if err != nil {
		b.Fatal(err)
	}
	ms := []*labels.Matcher{
		labels.MustNewMatcher(labels.MatchEqual, "__name__", "http_requests_total"),
		labels.MustNewMatcher(labels.MatchEqual, "app", "app-500"),
		labels.MustNewMatcher(labels.MatchNotRegexp, "status", "5.."),
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		ss := q.Select(ctx, true, nil, ms...)
		n := 0
		for ss.Next() {
			n++
		}
		if n != 2 {
			b.Fatalf("%d series", n)
		}
	}
}
