package sim

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/prometheus/promql"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canarydrill/canarydrill/scenarios"
)

// faultWorld runs a two-pod rollout that updates to v2 at 30s, holds the canary at 50% (one
// pod of each revision) for an hour, and applies the given timeline entries (YAML list items).
// It returns the world after maxDuration, to query its fakeprom.
func faultWorld(t *testing.T, preset, versions, entries string, maxDuration time.Duration) *World {
	t.Helper()
	doc := fmt.Sprintf(`apiVersion: canarydrill.io/v1alpha1
kind: Scenario
metadata: {name: fault-test}
spec:
  maxDuration: %s
  manifests:
  - inline: |
      apiVersion: argoproj.io/v1alpha1
      kind: Rollout
      metadata: {name: shop}
      spec:
        replicas: 2
        selector: {matchLabels: {app: shop}}
        template:
          metadata: {labels: {app: shop}}
          spec: {containers: [{name: shop, image: "shop:v1"}]}
        strategy:
          canary:
            canaryService: shop-canary
            stableService: shop-stable
            steps: [{setWeight: 50}, {pause: {duration: 1h}}]
      ---
      apiVersion: v1
      kind: Service
      metadata: {name: shop}
      spec: {selector: {app: shop}, ports: [{port: 80}]}
      ---
      apiVersion: v1
      kind: Service
      metadata: {name: shop-canary}
      spec: {selector: {app: shop}, ports: [{port: 8080}]}
      ---
      apiVersion: v1
      kind: Service
      metadata: {name: shop-stable}
      spec: {selector: {app: shop}, ports: [{port: 80}]}
  traffic: {rps: 100}
  metrics: {preset: %s, scrapeInterval: 10s}
  versions:
%s
  timeline:
  - at: 30s
    update: {image: "shop:v2"}
%s
`, scenarios.FormatDuration(maxDuration), preset, indent(versions, "    "), indent(entries, "  "))
	path := filepath.Join(t.TempDir(), "s.yaml")
	require.NoError(t, os.WriteFile(path, []byte(doc), 0o644))
	sc, err := scenarios.Load(path)
	require.NoError(t, err)
	w, err := New(context.Background(), sc, 1)
	require.NoError(t, err)
	require.NoError(t, w.Run())
	return w
}

func indent(s, by string) string {
	if strings.TrimSpace(s) == "" {
		return ""
	}
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i := range lines {
		lines[i] = by + lines[i]
	}
	return strings.Join(lines, "\n")
}

// at evaluates q at virtual time d and returns each series' value by its label set (without
// the metric name), or "" for a single unlabelled result.
func at(t *testing.T, w *World, q string, d time.Duration) map[string]float64 {
	t.Helper()
	v, _, err := w.promQL.Query(context.Background(), q, Epoch.Add(d))
	require.NoError(t, err, q)
	out := map[string]float64{}
	switch v := v.(type) {
	case promql.Vector:
		for _, s := range v {
			out[s.Metric.DropReserved(func(n string) bool { return n == "__name__" }).String()] = s.F
		}
	case promql.Scalar:
		out[""] = v.V
	}
	return out
}

// one is the single value of q at d; it fails the test when there is not exactly one.
func one(t *testing.T, w *World, q string, d time.Duration) float64 {
	t.Helper()
	m := at(t, w, q, d)
	require.Len(t, m, 1, "%s at %s: %v", q, d, m)
	for _, v := range m {
		return v
	}
	return 0
}

// canaryPod is the name of the pod of revision 2.
func canaryPod(t *testing.T, w *World) *pod {
	t.Helper()
	var out []*pod
	for _, p := range w.work.allPods() {
		if w.podIsCanary(p) {
			out = append(out, p)
		}
	}
	require.Len(t, out, 1)
	return out[0]
}

const (
	smallMemory = `default: {memory: {start: 100Mi, limit: 200Mi}}`
	mi          = 1 << 20
)

func TestMemoryLeakGrowsToTheLimitThenOOMKilledRestarts(t *testing.T) {
	// Leak 1Mi/s from 60s: 100Mi -> 200Mi at 160s, OOMKilled; restarted 10s later (back-off),
	// ready 5s after that; the second OOM 100s after the restart, restarted 20s later.
	w := faultWorld(t, "default", smallMemory, `
- at: 60s
  fault: memory-leak
  rate: 1Mi`, 6*time.Minute)
	p := canaryPod(t, w)
	sel := fmt.Sprintf(`{pod=%q}`, p.key.Name)
	mem := "container_memory_working_set_bytes" + sel
	assert.Equal(t, 100.0*mi, one(t, w, mem, 60*time.Second))
	assert.Equal(t, 150.0*mi, one(t, w, mem, 110*time.Second))
	oom := fmt.Sprintf(`kube_pod_container_status_last_terminated_reason{pod=%q,reason="OOMKilled"}`, p.key.Name)
	restarts := "kube_pod_container_status_restarts_total" + sel
	assert.Equal(t, 0.0, one(t, w, oom, 150*time.Second))
	assert.Equal(t, 0.0, one(t, w, restarts, 150*time.Second))
	assert.Equal(t, 1.0, one(t, w, oom, 160*time.Second), "OOMKilled at the limit")
	assert.Equal(t, 0.0, one(t, w, restarts, 160*time.Second), "not restarted during the back-off")
	assert.Equal(t, 1.0, one(t, w, restarts, 170*time.Second))
	assert.Equal(t, 1.0, one(t, w, fmt.Sprintf(`increase(%s[5m]) > 0`, oom), 200*time.Second), "the seed's no-oom-kills query sees it")
	assert.Empty(t, at(t, w, mem, 165*time.Second), "no working set while the container is down")
	assert.Equal(t, 100.0*mi, one(t, w, mem, 170*time.Second), "a new container starts from the base working set")
	// The app's series end while it is down (a failed scrape), and its counters restart at zero.
	reqs := fmt.Sprintf(`http_requests_total{pod=%q,status="200"}`, p.key.Name)
	assert.Empty(t, at(t, w, reqs, 165*time.Second))
	before := one(t, w, reqs, 150*time.Second)
	after := one(t, w, reqs, 200*time.Second)
	assert.Greater(t, before, 2000.0)
	assert.Less(t, after, 1500.0, "counter reset")
	assert.Equal(t, 1.0, one(t, w, fmt.Sprintf(`resets(%s[2m])`, reqs), 200*time.Second))
	// No requests reach it from the kill until it is ready again (175s): its rate over that
	// window is zero, and the stable pod takes them all.
	assert.Empty(t, at(t, w, fmt.Sprintf(`http_requests_total{pod=%q}`, p.key.Name), 172*time.Second))
	// Second OOM at 270s, restarted after 20s of back-off.
	assert.Equal(t, 1.0, one(t, w, restarts, 280*time.Second))
	assert.Equal(t, 2.0, one(t, w, restarts, 290*time.Second))
}

func TestOOMKillsTheTargetedPodsAtOnce(t *testing.T) {
	w := faultWorld(t, "default", "", `
- at: 60s
  fault: oom
  target: all`, 2*time.Minute)
	got := at(t, w, `kube_pod_container_status_last_terminated_reason{reason="OOMKilled"}`, 60*time.Second)
	require.Len(t, got, 2)
	for _, v := range got {
		assert.Equal(t, 1.0, v)
	}
	assert.Equal(t, 2.0, one(t, w, `sum(kube_pod_container_status_restarts_total)`, 70*time.Second))
	assert.Equal(t, 0.0, one(t, w, `sum(kube_pod_container_status_last_terminated_reason{reason="Error"})`, 70*time.Second))
	// Nobody served between the kill and ready again (75s).
	assert.Empty(t, at(t, w, `http_requests_total`, 65*time.Second))
	assert.NotEmpty(t, at(t, w, `http_requests_total`, 80*time.Second))
	var kinds []string
	for _, e := range w.obs.events {
		if e.Kind == "ContainerTerminated" {
			kinds = append(kinds, e.Message)
		}
	}
	assert.Len(t, kinds, 2)
}

func TestCrashLoopNeverReadyRestartsWithBackOff(t *testing.T) {
	// v2's pod starts at about 30s and exits 2s after every start; restarts after 10s, 20s, 40s.
	w := faultWorld(t, "default", "", `
- at: 0s
  fault: crash-loop`, 3*time.Minute)
	p := canaryPod(t, w)
	assert.False(t, p.ready)
	restarts := fmt.Sprintf(`kube_pod_container_status_restarts_total{pod=%q}`, p.key.Name)
	start := p.created.Sub(Epoch)
	assert.Equal(t, 0.0, one(t, w, restarts, start+10*time.Second))
	assert.Equal(t, 1.0, one(t, w, restarts, start+20*time.Second)) // first crash 2s, restart 12s
	assert.Equal(t, 2.0, one(t, w, restarts, start+40*time.Second)) // crash 14s, restart 34s
	assert.Equal(t, 2.0, one(t, w, restarts, start+70*time.Second)) // crash 36s, restart 76s
	assert.Equal(t, 3.0, one(t, w, restarts, start+80*time.Second)) //
	assert.Equal(t, 1.0, one(t, w, fmt.Sprintf(`kube_pod_container_status_last_terminated_reason{pod=%q,reason="Error"}`, p.key.Name), start+20*time.Second))
	assert.Empty(t, at(t, w, fmt.Sprintf(`http_requests_total{pod=%q}`, p.key.Name), 2*time.Minute), "never served")
	ro := w.focusRollout()
	assert.NotEqual(t, ro.Status.StableRS, p.hash)
}

func TestHTTPErrorsOnOnePodWithCode(t *testing.T) {
	w := faultWorld(t, "default", "", `
- at: 60s
  fault: http-errors
  target: all
  pods: 1
  rate: 0.3
  code: 503`, 4*time.Minute)
	got := at(t, w, `sum by (pod) (rate(http_requests_total{status="503"}[2m])) / sum by (pod) (rate(http_requests_total[2m]))`, 4*time.Minute)
	require.Len(t, got, 1, "only one pod answers 503")
	for _, v := range got {
		assert.InDelta(t, 0.3, v, 0.03)
	}
}

func TestLatencyShowsInBucketsSumAndCount(t *testing.T) {
	w := faultWorld(t, "default", "", `
- at: 60s
  fault: latency
  add: 200ms`, 4*time.Minute)
	p := canaryPod(t, w)
	sel := fmt.Sprintf(`{rollouts_pod_template_hash=%q}`, p.hash)
	p50 := one(t, w, `histogram_quantile(0.5, sum by (le) (rate(http_request_duration_milliseconds_bucket`+sel+`[2m])))`, 4*time.Minute)
	assert.InDelta(t, 220, p50, 40, "p50 20ms + 200ms, read from the 250ms bucket")
	mean := one(t, w, `sum(rate(http_request_duration_seconds_sum`+sel+`[2m])) / sum(rate(http_request_duration_seconds_count`+sel+`[2m]))`, 4*time.Minute)
	assert.InDelta(t, 0.23, mean, 0.02)
	stable := one(t, w, `histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{rollouts_pod_template_hash!=`+fmt.Sprintf("%q", p.hash)+`}[2m])))`, 4*time.Minute)
	assert.Less(t, stable, 0.25)
	ms := one(t, w, `sum(http_request_duration_milliseconds_count`+sel+`)`, 4*time.Minute)
	s := one(t, w, `sum(http_request_duration_seconds_count`+sel+`)`, 4*time.Minute)
	assert.Equal(t, s, ms)
}

func TestBusinessFailureSegmentLosesPaymentsSilently(t *testing.T) {
	w := faultWorld(t, "default", "", `
- at: 30s
  fault: business-failure
  rate: 1
  segment: 0.05`, 6*time.Minute)
	p := canaryPod(t, w)
	sel := fmt.Sprintf(`{rollouts_pod_template_hash=%q}`, p.hash)
	rate := one(t, w, `sum(rate(payments_completed_total`+sel+`[5m])) / sum(rate(payments_received_total`+sel+`[5m]))`, 6*time.Minute)
	assert.InDelta(t, 0.95, rate, 0.01)
	errs := one(t, w, `sum(rate(http_requests_total{status=~"5..",`+strings.TrimPrefix(sel, "{")+`[5m])) / sum(rate(http_requests_total`+sel+`[5m]))`, 6*time.Minute)
	assert.Less(t, errs, 0.01, "answers 200")
}

func TestIstioPresetSeries(t *testing.T) {
	w := faultWorld(t, "istio", "", `
- at: 60s
  fault: http-errors
  rate: 0.5`, 3*time.Minute)
	p := canaryPod(t, w)
	got := at(t, w, fmt.Sprintf(`sum by (destination_service, destination_workload, response_code) (rate(istio_requests_total{reporter="destination",pod=%q}[1m]))`, p.key.Name), 3*time.Minute)
	var keys []string
	for k := range got {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	assert.Equal(t, []string{
		`{destination_service="shop-canary.default.svc.cluster.local", destination_workload="shop", response_code="200"}`,
		`{destination_service="shop-canary.default.svc.cluster.local", destination_workload="shop", response_code="500"}`,
	}, keys)
	p99 := one(t, w, fmt.Sprintf(`histogram_quantile(0.99, sum by (le) (rate(istio_request_duration_milliseconds_bucket{rollouts_pod_template_hash=%q}[1m])))`, p.hash), 3*time.Minute)
	assert.InDelta(t, 150, p99, 100)
	assert.NotEmpty(t, at(t, w, `http_requests_total`, 3*time.Minute), "the app's own series too")
}

func TestNginxPresetSeries(t *testing.T) {
	w := faultWorld(t, "nginx", "", `
- at: 60s
  fault: http-errors
  rate: 0.5`, 3*time.Minute)
	got := at(t, w, `sum by (ingress, service, status) (increase(nginx_ingress_controller_requests[1m]))`, 3*time.Minute)
	var keys []string
	for k := range got {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	assert.Equal(t, []string{
		`{ingress="shop", service="shop", status="200"}`,
		`{ingress="shop", service="shop", status="500"}`,
	}, keys)
	ratio := one(t, w, `sum(rate(nginx_ingress_controller_requests{status=~"5.."}[1m])) / sum(rate(nginx_ingress_controller_requests[1m]))`, 3*time.Minute)
	assert.InDelta(t, 0.25, ratio, 0.05, "half the requests reach the canary, half of those fail")
}
