package analysis

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/record"
	clocktesting "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/canarydrill/canarydrill/api/scheme"
	"github.com/canarydrill/canarydrill/api/v1alpha1"
	"github.com/canarydrill/canarydrill/controller/provider"
)

// fakeProm answers Prometheus instant queries in-process with one vector sample per call,
// taking the values in turn (the last one repeats), per query when byQuery names it, and records
// each query and its time.
type fakeProm struct {
	mu      sync.Mutex
	values  []string
	byQuery map[string][]string
	asked   map[string]int
	status  int
	queries []string
	times   []string
	headers []http.Header
}

func (p *fakeProm) RoundTrip(r *http.Request) (*http.Response, error) {
	if err := r.ParseForm(); err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.queries = append(p.queries, r.Form.Get("query"))
	p.times = append(p.times, r.Form.Get("time"))
	p.headers = append(p.headers, r.Header.Clone())
	rec := httptest.NewRecorder()
	rec.Header().Set("Content-Type", "application/json")
	if p.status != 0 {
		rec.WriteHeader(p.status)
		msg := "query timed out in expression evaluation"
		if p.status == http.StatusBadRequest {
			msg = "parse error in " + strings.ReplaceAll(r.Form.Get("query"), `"`, `'`)
		}
		fmt.Fprintf(rec, `{"status":"error","errorType":"execution","error":%q}`, msg)
	} else {
		values, n := p.values, len(p.queries)-1
		if vs, ok := p.byQuery[r.Form.Get("query")]; ok {
			if p.asked == nil {
				p.asked = map[string]int{}
			}
			values, n = vs, p.asked[r.Form.Get("query")]
			p.asked[r.Form.Get("query")]++
		}
		v := values[min(n, len(values)-1)]
		fmt.Fprintf(rec, `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[%s,"%s"]}]}}`, r.Form.Get("time"), v)
	}
	res := rec.Result()
	res.Request = r
	return res, nil
}

type fixture struct {
	t      *testing.T
	clock  *clocktesting.FakeClock
	client client.Client
	prom   *fakeProm
	r      *Reconciler
	key    types.NamespacedName
}

func newFixture(t *testing.T, run *v1alpha1.AnalysisRun, prom *fakeProm, objs ...client.Object) *fixture {
	t.Helper()
	clk := clocktesting.NewFakeClock(t0)
	run.Namespace, run.Name = "default", "guestbook-6c5f-2-1"
	// No status subresource for AnalysisRun, as in Argo's CRD and config/crd.
	c := fake.NewClientBuilder().WithScheme(scheme.New()).
		WithObjects(append(objs, run)...).Build()
	return &fixture{
		t: t, clock: clk, client: c, prom: prom,
		r: &Reconciler{
			Client:    c,
			Clock:     clk,
			Providers: &provider.DefaultFactory{Clock: clk, Client: c, Transport: prom},
		},
		key: client.ObjectKeyFromObject(run),
	}
}

func (f *fixture) reconcile() reconcile.Result {
	f.t.Helper()
	res, err := f.r.Reconcile(context.Background(), reconcile.Request{NamespacedName: f.key})
	require.NoError(f.t, err)
	return res
}

func (f *fixture) get() *v1alpha1.AnalysisRun {
	f.t.Helper()
	run := &v1alpha1.AnalysisRun{}
	require.NoError(f.t, f.client.Get(context.Background(), f.key, run))
	return run
}

// drive reconciles, then steps the clock by the requested requeue, until nothing is requeued.
// It returns each call's offset from t0 and the requeue it asked for.
func (f *fixture) drive(maxCalls int) (offsets, requeues []time.Duration) {
	f.t.Helper()
	for range maxCalls {
		offsets = append(offsets, f.clock.Now().Sub(t0))
		res := f.reconcile()
		requeues = append(requeues, res.RequeueAfter)
		if res.RequeueAfter == 0 {
			return offsets, requeues
		}
		f.clock.Step(res.RequeueAfter)
	}
	f.t.Fatalf("still requeueing after %d calls", maxCalls)
	return nil, nil
}

func successRateRun(metric func(*v1alpha1.Metric)) *v1alpha1.AnalysisRun {
	m := v1alpha1.Metric{
		Name:             "success-rate",
		Interval:         "30s",
		Count:            intOrStr(3),
		SuccessCondition: "result[0] >= 0.95",
		Provider: v1alpha1.MetricProvider{Prometheus: &v1alpha1.PrometheusMetric{
			Address: "http://prometheus.monitoring:9090",
			Query:   `sum(rate(http_requests_total{service="{{args.service}}",status!~"5.*"}[1m])) / sum(rate(http_requests_total{service="{{args.service}}"}[1m]))`,
		}},
	}
	if metric != nil {
		metric(&m)
	}
	return &v1alpha1.AnalysisRun{Spec: v1alpha1.AnalysisRunSpec{
		Metrics: []v1alpha1.Metric{m},
		Args:    []v1alpha1.Argument{arg("service", "guestbook-canary")},
	}}
}

func measuredAt(t *testing.T, ms []v1alpha1.Measurement) []time.Duration {
	t.Helper()
	var out []time.Duration
	for _, m := range ms {
		require.NotNil(t, m.FinishedAt)
		out = append(out, m.FinishedAt.Sub(t0))
	}
	return out
}

func TestReconcileCountReachedIsSuccessful(t *testing.T) {
	f := newFixture(t, successRateRun(nil), &fakeProm{values: []string{"0.99", "0.98", "0.995"}})

	res := f.reconcile()
	assert.Equal(t, 30*time.Second, res.RequeueAfter)
	run := f.get()
	assert.Equal(t, running, run.Status.Phase)
	require.Len(t, run.Status.MetricResults, 1)
	assert.Equal(t, running, run.Status.MetricResults[0].Phase)
	assert.Len(t, run.Status.MetricResults[0].Measurements, 1)
	assert.True(t, run.Status.StartedAt.Time.Equal(t0))

	f.clock.Step(30 * time.Second)
	offsets, _ := f.drive(5)
	assert.Equal(t, []time.Duration{30 * time.Second, 60 * time.Second}, offsets)

	run = f.get()
	assert.Equal(t, successful, run.Status.Phase)
	assert.Equal(t, "", run.Status.Message)
	require.NotNil(t, run.Status.CompletedAt)
	assert.True(t, run.Status.CompletedAt.Time.Equal(t0.Add(time.Minute)))
	r := run.Status.MetricResults[0]
	assert.Equal(t, successful, r.Phase)
	assert.Equal(t, int32(3), r.Count)
	assert.Equal(t, int32(3), r.Successful)
	assert.Equal(t, int32(3), r.ConsecutiveSuccess)
	assert.Equal(t, []time.Duration{0, 30 * time.Second, time.Minute}, measuredAt(t, r.Measurements))
	assert.Equal(t, []string{"[0.99]", "[0.98]", "[0.995]"}, []string{r.Measurements[0].Value, r.Measurements[1].Value, r.Measurements[2].Value})
	assert.Equal(t, map[string]string{provider.ResolvedPrometheusQuery: f.prom.queries[0]}, r.Metadata)
	assert.Equal(t, v1alpha1.RunSummary{Count: 1, Successful: 1}, run.Status.RunSummary)
	assert.Equal(t, &v1alpha1.RunSummary{}, run.Status.DryRunSummary)

	// the queries were templated and asked at the clock's times
	assert.Contains(t, f.prom.queries[0], `service="guestbook-canary"`)
	assert.Equal(t, []string{fmt.Sprint(t0.Unix()), fmt.Sprint(t0.Unix() + 30), fmt.Sprint(t0.Unix() + 60)}, f.prom.times)

	// a completed run is left alone
	rv := run.ResourceVersion
	f.clock.Step(time.Hour)
	assert.Equal(t, reconcile.Result{}, f.reconcile())
	assert.Equal(t, rv, f.get().ResourceVersion)
	assert.Len(t, f.prom.queries, 3)
}

func TestReconcileFailsAfterTheFailingMeasurement(t *testing.T) {
	f := newFixture(t, successRateRun(func(m *v1alpha1.Metric) { m.Count = intOrStr(5) }),
		&fakeProm{values: []string{"0.99", "0.97", "0.69", "0.99"}})
	rec := record.NewFakeRecorder(10)
	f.r.Recorder = rec
	offsets, requeues := f.drive(10)
	assert.Equal(t, []time.Duration{0, 30 * time.Second, time.Minute}, offsets)
	assert.Equal(t, []time.Duration{30 * time.Second, 30 * time.Second, 0}, requeues)

	run := f.get()
	assert.Equal(t, failed, run.Status.Phase)
	assert.Equal(t, `Metric "success-rate" assessed Failed due to failed (1) > failureLimit (0)`, run.Status.Message)
	assert.True(t, run.Status.CompletedAt.Time.Equal(t0.Add(time.Minute)))
	r := run.Status.MetricResults[0]
	assert.Equal(t, failed, r.Phase)
	assert.Equal(t, int32(3), r.Count)
	assert.Equal(t, int32(1), r.Failed)
	last := r.Measurements[len(r.Measurements)-1]
	assert.Equal(t, failed, last.Phase)
	assert.Equal(t, "[0.69]", last.Value)
	assert.Equal(t, v1alpha1.RunSummary{Count: 1, Failed: 1}, run.Status.RunSummary)

	close(rec.Events)
	var events []string
	for e := range rec.Events {
		events = append(events, e)
	}
	assert.Equal(t, []string{
		"Warning MetricFailed Metric 'success-rate' Completed. Result: Failed",
		"Warning AnalysisRunFailed Analysis Completed. Result: Failed",
	}, events)
}

func TestReconcileFailureLimitTolerates(t *testing.T) {
	f := newFixture(t, successRateRun(func(m *v1alpha1.Metric) { m.Count, m.FailureLimit = intOrStr(4), intOrStr(1) }),
		&fakeProm{values: []string{"0.5", "0.99", "0.5"}})
	offsets, _ := f.drive(10)
	assert.Equal(t, []time.Duration{0, 30 * time.Second, time.Minute}, offsets)
	run := f.get()
	assert.Equal(t, failed, run.Status.Phase)
	assert.Equal(t, `Metric "success-rate" assessed Failed due to failed (2) > failureLimit (1)`, run.Status.Message)
}

func TestReconcileErrorsRetryEvery10sThenError(t *testing.T) {
	f := newFixture(t, successRateRun(nil), &fakeProm{status: http.StatusUnprocessableEntity})
	offsets, requeues := f.drive(10)
	assert.Equal(t, []time.Duration{0, 10 * time.Second, 20 * time.Second, 30 * time.Second, 40 * time.Second}, offsets)
	assert.Equal(t, []time.Duration{10 * time.Second, 10 * time.Second, 10 * time.Second, 10 * time.Second, 0}, requeues)

	run := f.get()
	assert.Equal(t, errored, run.Status.Phase)
	const msg = "execution: query timed out in expression evaluation"
	assert.Equal(t, `Metric "success-rate" assessed Error due to consecutiveErrors (5) > consecutiveErrorLimit (4): "Error Message: `+msg+`"`, run.Status.Message)
	r := run.Status.MetricResults[0]
	assert.Equal(t, errored, r.Phase)
	assert.Equal(t, msg, r.Message)
	assert.Equal(t, int32(5), r.Error)
	assert.Equal(t, int32(5), r.ConsecutiveError)
	assert.Equal(t, int32(0), r.Count, "errors do not count towards count")
	assert.Len(t, r.Measurements, 5)
	for _, m := range r.Measurements {
		assert.Equal(t, errored, m.Phase)
		assert.Equal(t, msg, m.Message)
	}
	assert.Equal(t, v1alpha1.RunSummary{Count: 1, Error: 1}, run.Status.RunSummary)
}

func TestReconcileErrorThenRecovery(t *testing.T) {
	prom := &fakeProm{status: http.StatusServiceUnavailable}
	f := newFixture(t, successRateRun(nil), prom)
	assert.Equal(t, 10*time.Second, f.reconcile().RequeueAfter)
	f.clock.Step(10 * time.Second)
	prom.status, prom.values = 0, []string{"0.99"}
	assert.Equal(t, 30*time.Second, f.reconcile().RequeueAfter, "back to the interval after a success")
	r := f.get().Status.MetricResults[0]
	assert.Equal(t, int32(1), r.Error)
	assert.Equal(t, int32(0), r.ConsecutiveError)
	assert.Equal(t, int32(1), r.Count)
}

func TestReconcileTerminate(t *testing.T) {
	run := successRateRun(func(m *v1alpha1.Metric) { m.Count = nil })
	f := newFixture(t, run, &fakeProm{values: []string{"0.99"}})
	f.reconcile()
	f.clock.Step(30 * time.Second)
	assert.Equal(t, 30*time.Second, f.reconcile().RequeueAfter, "runs until terminated")

	latest := f.get()
	latest.Spec.Terminate = true
	require.NoError(t, f.client.Update(context.Background(), latest))
	f.clock.Step(5 * time.Second)
	assert.Equal(t, reconcile.Result{}, f.reconcile())

	got := f.get()
	assert.Equal(t, successful, got.Status.Phase)
	assert.Equal(t, "Run Terminated", got.Status.Message)
	assert.Equal(t, successful, got.Status.MetricResults[0].Phase)
	assert.Len(t, got.Status.MetricResults[0].Measurements, 2, "no new measurement once terminating")
	assert.True(t, got.Status.CompletedAt.Time.Equal(t0.Add(35*time.Second)))
}

func TestReconcileOneFailedMetricEndsTheRun(t *testing.T) {
	run := successRateRun(func(m *v1alpha1.Metric) { m.Count = nil })
	run.Spec.Args = nil
	run.Spec.Metrics[0].Provider.Prometheus.Query = "success_rate"
	run.Spec.Metrics = append(run.Spec.Metrics, v1alpha1.Metric{
		Name:             "latency",
		Interval:         "1m",
		FailureCondition: "result[0] > 0.5",
		Provider:         v1alpha1.MetricProvider{Prometheus: &v1alpha1.PrometheusMetric{Address: "http://prometheus.monitoring:9090", Query: "p99"}},
	})
	f := newFixture(t, run, &fakeProm{byQuery: map[string][]string{
		run.Spec.Metrics[0].Provider.Prometheus.Query: {"0.99", "0.4"},
		"p99": {"0.2"},
	}})
	// t0: success-rate 0.99 ok, latency 0.2 ok; t0+30: success-rate 0.4 fails
	offsets, _ := f.drive(5)
	assert.Equal(t, []time.Duration{0, 30 * time.Second}, offsets)
	got := f.get()
	assert.Equal(t, failed, got.Status.Phase, "the run ends in the same reconcile as the failing measurement")
	assert.Equal(t, `Metric "success-rate" assessed Failed due to failed (1) > failureLimit (0)`, got.Status.Message)
	assert.Equal(t, failed, got.Status.MetricResults[0].Phase)
	assert.Equal(t, successful, got.Status.MetricResults[1].Phase, "a running sibling is terminated as Successful")
	assert.Len(t, got.Status.MetricResults[1].Measurements, 1)
	assert.Equal(t, v1alpha1.RunSummary{Count: 2, Successful: 1, Failed: 1}, got.Status.RunSummary)
}

func TestReconcileDryRunMetricDoesNotEndTheRun(t *testing.T) {
	run := successRateRun(nil)
	run.Spec.DryRun = []v1alpha1.DryRun{{MetricName: "success"}}
	f := newFixture(t, run, &fakeProm{values: []string{"0.5"}})
	offsets, _ := f.drive(5)
	assert.Equal(t, []time.Duration{0}, offsets, "the failed dry-run metric completes at once")
	got := f.get()
	assert.Equal(t, successful, got.Status.Phase)
	assert.Equal(t, "", got.Status.Message)
	r := got.Status.MetricResults[0]
	assert.True(t, r.DryRun)
	assert.Equal(t, failed, r.Phase)
	assert.Equal(t, "Metric assessed Failed due to failed (1) > failureLimit (0)", r.Message)
	assert.Equal(t, v1alpha1.RunSummary{}, got.Status.RunSummary)
	assert.Equal(t, &v1alpha1.RunSummary{Count: 1, Failed: 1}, got.Status.DryRunSummary)
}

func TestReconcileInitialDelay(t *testing.T) {
	f := newFixture(t, successRateRun(func(m *v1alpha1.Metric) { m.InitialDelay = "1m" }), &fakeProm{values: []string{"0.99"}})
	assert.Equal(t, time.Minute, f.reconcile().RequeueAfter)
	got := f.get()
	assert.Equal(t, running, got.Status.Phase)
	assert.Empty(t, got.Status.MetricResults)
	assert.True(t, got.Status.StartedAt.Time.Equal(t0))
	f.clock.Step(time.Minute)
	assert.Equal(t, 30*time.Second, f.reconcile().RequeueAfter)
	assert.Equal(t, []time.Duration{time.Minute}, measuredAt(t, f.get().Status.MetricResults[0].Measurements))
}

func TestReconcileMeasurementRetention(t *testing.T) {
	run := successRateRun(func(m *v1alpha1.Metric) { m.Count = intOrStr(5) })
	run.Spec.MeasurementRetention = []v1alpha1.MeasurementRetention{{MetricName: "success-rate", Limit: 2}}
	f := newFixture(t, run, &fakeProm{values: []string{"0.991", "0.992", "0.993", "0.994", "0.995"}})
	f.drive(10)
	r := f.get().Status.MetricResults[0]
	assert.Equal(t, successful, r.Phase)
	assert.Equal(t, int32(5), r.Count)
	require.Len(t, r.Measurements, 2)
	assert.Equal(t, []string{"[0.994]", "[0.995]"}, []string{r.Measurements[0].Value, r.Measurements[1].Value})

	run = successRateRun(func(m *v1alpha1.Metric) { m.Count = intOrStr(12) })
	f = newFixture(t, run, &fakeProm{values: []string{"0.99"}})
	f.drive(20)
	assert.Len(t, f.get().Status.MetricResults[0].Measurements, DefaultMeasurementHistoryLimit)
}

func TestReconcileStartErrors(t *testing.T) {
	cases := []struct {
		name string
		run  func() *v1alpha1.AnalysisRun
		want string
	}{
		{"required argument without value", func() *v1alpha1.AnalysisRun {
			r := successRateRun(nil)
			r.Spec.Args = []v1alpha1.Argument{{Name: "service"}}
			return r
		}, `Unable to resolve metric arguments: argument "service" was not supplied`},
		{"argument not passed", func() *v1alpha1.AnalysisRun {
			r := successRateRun(nil)
			r.Spec.Args = nil
			return r
		}, "Unable to resolve metric arguments: failed to resolve {{args.service}}"},
		{"invalid metric", func() *v1alpha1.AnalysisRun {
			return successRateRun(func(m *v1alpha1.Metric) { m.Interval = "" })
		}, "Analysis spec invalid: metrics[0]: interval must be specified when count > 1"},
		{"duplicate metric", func() *v1alpha1.AnalysisRun {
			r := successRateRun(nil)
			r.Spec.Metrics = append(r.Spec.Metrics, r.Spec.Metrics[0])
			return r
		}, "Analysis spec invalid: metrics[1]: duplicate name 'success-rate'"},
		{"dry-run rule matching nothing", func() *v1alpha1.AnalysisRun {
			r := successRateRun(nil)
			r.Spec.DryRun = []v1alpha1.DryRun{{MetricName: "*"}}
			return r
		}, "Analysis spec invalid: dryRun[0]: Rule didn't match any metric name(s)"},
		{"retention rule matching nothing", func() *v1alpha1.AnalysisRun {
			r := successRateRun(nil)
			r.Spec.MeasurementRetention = []v1alpha1.MeasurementRetention{{MetricName: "cpu", Limit: 3}}
			return r
		}, "Analysis spec invalid: measurementRetention[0]: Rule didn't match any metric name(s)"},
		{"missing secret", func() *v1alpha1.AnalysisRun {
			r := successRateRun(nil)
			r.Spec.Args = append(r.Spec.Args, v1alpha1.Argument{Name: "token", ValueFrom: &v1alpha1.ValueFrom{SecretKeyRef: &v1alpha1.SecretKeyRef{Name: "prom-auth", Key: "token"}}})
			return r
		}, `Unable to resolve metric arguments: secrets "prom-auth" not found`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, tc.run(), &fakeProm{values: []string{"0.99"}})
			assert.Equal(t, reconcile.Result{}, f.reconcile())
			got := f.get()
			assert.Equal(t, errored, got.Status.Phase)
			assert.Equal(t, tc.want, got.Status.Message)
			assert.Empty(t, f.prom.queries, "nothing measured")
		})
	}
}

func TestReconcileSecretArgsAreReadAndNeverShown(t *testing.T) {
	const token = "s3cr3t-t0ken"
	run := successRateRun(func(m *v1alpha1.Metric) {
		m.Count = intOrStr(1)
		m.Interval = ""
		m.Provider.Prometheus.Query = `up{token="{{args.token}}"}`
		m.Provider.Prometheus.Headers = []v1alpha1.WebMetricHeader{{Key: "Authorization", Value: "Bearer {{args.token}}"}}
	})
	run.Spec.Args = append(run.Spec.Args, v1alpha1.Argument{Name: "token", ValueFrom: &v1alpha1.ValueFrom{SecretKeyRef: &v1alpha1.SecretKeyRef{Name: "prom-auth", Key: "token"}}})
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "prom-auth", Namespace: "default"}, Data: map[string][]byte{"token": []byte(token)}}
	f := newFixture(t, run, &fakeProm{values: []string{"0.99"}}, secret)
	f.drive(3)

	assert.Equal(t, `up{token="`+token+`"}`, f.prom.queries[0], "the secret reaches Prometheus")
	assert.Equal(t, "Bearer "+token, f.prom.headers[0].Get("Authorization"))
	got := f.get()
	assert.Equal(t, successful, got.Status.Phase)
	assert.Equal(t, map[string]string{provider.ResolvedPrometheusQuery: `up{token="*****"}`}, got.Status.MetricResults[0].Metadata)
	assert.NotContains(t, fmt.Sprintf("%+v", got.Status), token)
	assert.NotContains(t, fmt.Sprintf("%+v", got.Spec), token)

	// a missing key ends the run
	secret.Data = map[string][]byte{"other": []byte("x")}
	f2 := newFixture(t, run.DeepCopy(), &fakeProm{values: []string{"0.99"}}, secret)
	f2.reconcile()
	assert.Equal(t, "Unable to resolve metric arguments: key 'token' does not exist in secret 'prom-auth'", f2.get().Status.Message)
}

func TestReconcileRedactsSecretsFromErrors(t *testing.T) {
	const token = "hunter2-token"
	run := successRateRun(func(m *v1alpha1.Metric) { m.Provider.Prometheus.Query = `up{token="{{args.token}}"}` })
	run.Spec.Args = append(run.Spec.Args, v1alpha1.Argument{Name: "token", ValueFrom: &v1alpha1.ValueFrom{SecretKeyRef: &v1alpha1.SecretKeyRef{Name: "s", Key: "k"}}})
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "s", Namespace: "default"}, Data: map[string][]byte{"k": []byte(token)}}
	f := newFixture(t, run, &fakeProm{status: http.StatusBadRequest}, secret)
	f.reconcile()
	m := f.get().Status.MetricResults[0].Measurements[0]
	assert.Equal(t, errored, m.Phase)
	assert.Equal(t, "execution: parse error in up{token='*****'}", m.Message)
	assert.NotContains(t, fmt.Sprintf("%+v", f.get().Status), token)
}

func TestReconcileUnchangedStatusIsNotWritten(t *testing.T) {
	f := newFixture(t, successRateRun(nil), &fakeProm{values: []string{"0.99"}})
	f.reconcile()
	rv := f.get().ResourceVersion
	f.clock.Step(10 * time.Second)
	assert.Equal(t, 20*time.Second, f.reconcile().RequeueAfter, "called early: nothing due, same schedule")
	assert.Equal(t, rv, f.get().ResourceVersion)
}

func TestReconcileMissingRunIsIgnored(t *testing.T) {
	f := newFixture(t, successRateRun(nil), &fakeProm{values: []string{"0.99"}})
	res, err := f.r.Reconcile(context.Background(), reconcile.Request{NamespacedName: types.NamespacedName{Namespace: "default", Name: "gone"}})
	assert.NoError(t, err)
	assert.Equal(t, reconcile.Result{}, res)
}

func TestReconcileTTL(t *testing.T) {
	run := successRateRun(func(m *v1alpha1.Metric) { m.Count, m.Interval = intOrStr(1), "" })
	run.Spec.TTLStrategy = &v1alpha1.TTLStrategy{SecondsAfterSuccess: ptr.To[int32](60)}
	f := newFixture(t, run, &fakeProm{values: []string{"0.99"}})
	assert.Equal(t, reconcile.Result{}, f.reconcile())
	require.Equal(t, successful, f.get().Status.Phase)

	f.clock.Step(30 * time.Second)
	assert.Equal(t, 31*time.Second, f.reconcile().RequeueAfter)
	f.clock.Step(31 * time.Second)
	assert.Equal(t, reconcile.Result{}, f.reconcile())
	err := f.client.Get(context.Background(), f.key, &v1alpha1.AnalysisRun{})
	assert.True(t, apierrors.IsNotFound(err), "deleted after its TTL: %v", err)
}

func TestTTLDeadline(t *testing.T) {
	completed := func(phase v1alpha1.AnalysisPhase, ttl v1alpha1.TTLStrategy) *v1alpha1.AnalysisRun {
		return &v1alpha1.AnalysisRun{
			Spec:   v1alpha1.AnalysisRunSpec{TTLStrategy: &ttl},
			Status: v1alpha1.AnalysisRunStatus{Phase: phase, CompletedAt: metaTime(t0)},
		}
	}
	all := v1alpha1.TTLStrategy{SecondsAfterCompletion: ptr.To[int32](100), SecondsAfterSuccess: ptr.To[int32](10), SecondsAfterFailure: ptr.To[int32](20)}
	cases := []struct {
		name   string
		run    *v1alpha1.AnalysisRun
		want   time.Duration
		wantOK bool
	}{
		{"success", completed(successful, all), 11 * time.Second, true},
		{"failure", completed(failed, all), 21 * time.Second, true},
		{"error uses completion", completed(errored, all), 101 * time.Second, true},
		{"success falls back to completion", completed(successful, v1alpha1.TTLStrategy{SecondsAfterCompletion: ptr.To[int32](5)}), 6 * time.Second, true},
		{"nothing for failure", completed(failed, v1alpha1.TTLStrategy{SecondsAfterSuccess: ptr.To[int32](5)}), 0, false},
		{"running", &v1alpha1.AnalysisRun{Spec: v1alpha1.AnalysisRunSpec{TTLStrategy: &all}, Status: v1alpha1.AnalysisRunStatus{Phase: running}}, 0, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			at, ok := TTLDeadline(tc.run)
			assert.Equal(t, tc.wantOK, ok)
			if ok {
				assert.Equal(t, tc.want, at.Sub(t0))
			}
		})
	}
}

// scriptedProvider is an asynchronous provider: Run returns a Running measurement to resume
// later; Resume completes it; Terminate completes it Successful.
type scriptedProvider struct {
	now       func() time.Time
	resumeIn  time.Duration // zero: no resumeAt
	resumes   int
	terminate int
}

func (p *scriptedProvider) Type() string { return "Scripted" }
func (p *scriptedProvider) Run(context.Context, *v1alpha1.AnalysisRun, v1alpha1.Metric) v1alpha1.Measurement {
	m := v1alpha1.Measurement{Phase: running, StartedAt: metaTime(p.now())}
	if p.resumeIn > 0 {
		m.ResumeAt = metaTime(p.now().Add(p.resumeIn))
	}
	return m
}
func (p *scriptedProvider) Resume(_ context.Context, _ *v1alpha1.AnalysisRun, _ v1alpha1.Metric, m v1alpha1.Measurement) v1alpha1.Measurement {
	p.resumes++
	m.Phase, m.Value, m.FinishedAt = successful, "done", metaTime(p.now())
	return m
}
func (p *scriptedProvider) Terminate(_ context.Context, _ *v1alpha1.AnalysisRun, _ v1alpha1.Metric, m v1alpha1.Measurement) v1alpha1.Measurement {
	p.terminate++
	m.Phase, m.FinishedAt = successful, metaTime(p.now())
	return m
}
func (p *scriptedProvider) GarbageCollect(context.Context, *v1alpha1.AnalysisRun, v1alpha1.Metric, int) error {
	return nil
}
func (p *scriptedProvider) Metadata(v1alpha1.Metric) map[string]string { return nil }

type scriptedFactory struct{ p *scriptedProvider }

func (f scriptedFactory) NewProvider(v1alpha1.Metric) (provider.Provider, error) { return f.p, nil }

func TestReconcileResumesAndTerminatesInFlightMeasurements(t *testing.T) {
	run := &v1alpha1.AnalysisRun{Spec: v1alpha1.AnalysisRunSpec{Metrics: []v1alpha1.Metric{
		{Name: "job", Provider: v1alpha1.MetricProvider{Job: &v1alpha1.JobMetric{}}},
	}}}
	f := newFixture(t, run, &fakeProm{})
	sp := &scriptedProvider{now: f.clock.Now, resumeIn: 20 * time.Second}
	f.r.Providers = scriptedFactory{sp}

	assert.Equal(t, 20*time.Second, f.reconcile().RequeueAfter, "requeued at resumeAt")
	assert.Equal(t, running, f.get().Status.MetricResults[0].Phase)
	f.clock.Step(20 * time.Second)
	assert.Equal(t, reconcile.Result{}, f.reconcile())
	got := f.get()
	assert.Equal(t, 1, sp.resumes)
	assert.Equal(t, successful, got.Status.Phase)
	assert.Len(t, got.Status.MetricResults[0].Measurements, 1, "the resumed measurement replaces the in-flight one")
	assert.Equal(t, "done", got.Status.MetricResults[0].Measurements[0].Value)

	terminateAfter := func(resumeIn time.Duration) (*fixture, *scriptedProvider) {
		f := newFixture(t, run.DeepCopy(), &fakeProm{})
		sp := &scriptedProvider{now: f.clock.Now, resumeIn: resumeIn}
		f.r.Providers = scriptedFactory{sp}
		f.reconcile()
		latest := f.get()
		latest.Spec.Terminate = true
		require.NoError(t, f.client.Update(context.Background(), latest))
		f.clock.Step(5 * time.Second)
		f.reconcile()
		return f, sp
	}

	// terminated while in flight: the provider terminates the measurement
	f, sp = terminateAfter(0)
	got = f.get()
	assert.Equal(t, 1, sp.terminate)
	assert.Equal(t, successful, got.Status.Phase)
	assert.Equal(t, "Run Terminated", got.Status.Message)
	assert.Equal(t, "Metric Terminated", got.Status.MetricResults[0].Message)
	assert.Equal(t, "Metric Terminated", got.Status.MetricResults[0].Measurements[0].Message)

	// as in Argo, an in-flight measurement whose resumeAt has not come is not terminated: the
	// run ends Successful and the measurement stays as it was
	f, sp = terminateAfter(20 * time.Second)
	got = f.get()
	assert.Equal(t, 0, sp.terminate)
	assert.Equal(t, successful, got.Status.Phase)
	assert.Equal(t, running, got.Status.MetricResults[0].Measurements[0].Phase)
}

func TestReconcileProviderErrorIsAMeasurementError(t *testing.T) {
	run := successRateRun(func(m *v1alpha1.Metric) {
		m.Provider = v1alpha1.MetricProvider{Plugin: map[string]json.RawMessage{"argoproj-labs/sample": json.RawMessage(`{}`)}}
	})
	f := newFixture(t, run, &fakeProm{})
	assert.Equal(t, 10*time.Second, f.reconcile().RequeueAfter)
	r := f.get().Status.MetricResults[0]
	assert.Equal(t, errored, r.Measurements[0].Phase)
	assert.True(t, strings.Contains(r.Measurements[0].Message, "not supported"), r.Measurements[0].Message)
	assert.Nil(t, r.Metadata)
}

// TestReconcileStatusWriteSurvivesSpecChange: the spec changes between the read and the status
// write (the rollout controller sets terminate); the measurement taken is still recorded, as
// Argo's status patch would record it, and the terminate is honoured on the next call.
func TestReconcileStatusWriteSurvivesSpecChange(t *testing.T) {
	run := successRateRun(func(m *v1alpha1.Metric) { m.Count = nil })
	run.Namespace, run.Name = "default", "guestbook-6c5f-2-1"
	prom := &fakeProm{values: []string{"0.99"}}
	clk := clocktesting.NewFakeClock(t0)
	interfered, writes := false, 0
	c := fake.NewClientBuilder().WithScheme(scheme.New()).
		WithObjects(run).
		WithInterceptorFuncs(interceptor.Funcs{
			Update: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.UpdateOption) error {
				writes++
				if !interfered {
					interfered = true
					latest := &v1alpha1.AnalysisRun{}
					require.NoError(t, c.Get(ctx, client.ObjectKeyFromObject(obj), latest))
					latest.Spec.Terminate = true
					require.NoError(t, c.Update(ctx, latest))
				}
				return c.Update(ctx, obj, opts...)
			},
		}).Build()
	r := &Reconciler{Client: c, Clock: clk, Providers: &provider.DefaultFactory{Clock: clk, Transport: prom}}
	req := reconcile.Request{NamespacedName: client.ObjectKeyFromObject(run)}

	_, err := r.Reconcile(context.Background(), req)
	require.NoError(t, err)
	got := &v1alpha1.AnalysisRun{}
	require.NoError(t, c.Get(context.Background(), req.NamespacedName, got))
	assert.True(t, got.Spec.Terminate)
	assert.Equal(t, 2, writes, "the first write conflicted and was retried on the newer object")
	assert.Equal(t, running, got.Status.Phase)
	require.Len(t, got.Status.MetricResults, 1)
	assert.Len(t, got.Status.MetricResults[0].Measurements, 1)

	_, err = r.Reconcile(context.Background(), req)
	require.NoError(t, err)
	require.NoError(t, c.Get(context.Background(), req.NamespacedName, got))
	assert.Equal(t, successful, got.Status.Phase)
	assert.Equal(t, "Run Terminated", got.Status.Message)
	assert.Len(t, prom.queries, 1)
}
