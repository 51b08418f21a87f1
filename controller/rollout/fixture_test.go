package rollout

import (
	"context"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/tools/record"
	clocktesting "k8s.io/utils/clock/testing"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/canarydrill/canarydrill/api/scheme"
	"github.com/canarydrill/canarydrill/api/v1alpha1"
	"github.com/canarydrill/canarydrill/controller/ops"
	"github.com/canarydrill/canarydrill/sim/memapi"
)

// fixture runs the Reconciler against controller-runtime's fake client and a fake clock, with a
// tiny stand-in for the ReplicaSet controller: every ReplicaSet's pods are created, ready and
// available as soon as it is resized.
type fixture struct {
	t     *testing.T
	ctx   context.Context
	c     client.Client
	clock *clocktesting.FakeClock
	rec   *record.FakeRecorder
	r     *Reconciler
	key   types.NamespacedName
	// events collects everything recorded so far, "Type Reason message" per line.
	events []string
	// lastResult is the result of the last Reconcile.
	lastResult reconcile.Result
	// podsUnavailable keeps the pods of ReplicaSets with these hashes from becoming available.
	podsUnavailable map[string]bool
}

var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func newFixture(t *testing.T, ro *v1alpha1.Rollout, objs ...client.Object) *fixture {
	t.Helper()
	all := append([]client.Object{ro}, objs...)
	// Objects get UIDs as from an API server (the fake client gives none).
	clk := clocktesting.NewFakeClock(epoch)
	setUID := func(o client.Object) {
		if o.GetUID() == "" {
			o.SetUID(types.UID("uid-" + o.GetName()))
		}
		if ts := o.GetCreationTimestamp(); ts.IsZero() {
			o.SetCreationTimestamp(metav1.NewTime(clk.Now()))
		}
	}
	for _, o := range all {
		setUID(o)
	}
	// Of the three, only the Rollout CRD has a status subresource (as Argo's CRDs).
	c := fake.NewClientBuilder().WithScheme(scheme.New()).
		WithStatusSubresource(&v1alpha1.Rollout{}).
		WithObjects(all...).
		// The owner index the simulator lists by, registered as a manager's cache would have it.
		WithIndex(&appsv1.ReplicaSet{}, memapi.OwnerUIDField, memapi.OwnerUIDs).
		WithIndex(&v1alpha1.AnalysisRun{}, memapi.OwnerUIDField, memapi.OwnerUIDs).
		WithIndex(&v1alpha1.Experiment{}, memapi.OwnerUIDField, memapi.OwnerUIDs).
		WithInterceptorFuncs(interceptor.Funcs{Create: func(ctx context.Context, c client.WithWatch, o client.Object, opts ...client.CreateOption) error {
			setUID(o)
			return c.Create(ctx, o, opts...)
		}}).Build()
	rec := record.NewFakeRecorder(10000)
	return &fixture{
		t: t, ctx: context.Background(), c: c, clock: clk, rec: rec,
		r:               &Reconciler{Client: c, Clock: clk, Recorder: rec, OwnerIndex: memapi.OwnerUIDField},
		key:             types.NamespacedName{Namespace: ro.Namespace, Name: ro.Name},
		podsUnavailable: map[string]bool{},
	}
}

// seedRollout is the seed's exercise: 5 replicas; setWeight 20, pause 30s, analysis
// success-rate-check, setWeight 50, pause 30s, setWeight 80, pause 30s.
func seedRollout() *v1alpha1.Rollout {
	d := intstr.FromString("30s")
	pause := func() v1alpha1.CanaryStep { return v1alpha1.CanaryStep{Pause: &v1alpha1.RolloutPause{Duration: &d}} }
	return &v1alpha1.Rollout{
		ObjectMeta: metav1.ObjectMeta{Name: "demo-app", Namespace: "lab", UID: "uid-demo-app", Generation: 1},
		Spec: v1alpha1.RolloutSpec{
			Replicas:             i32(5),
			RevisionHistoryLimit: i32(3),
			Selector:             &metav1.LabelSelector{MatchLabels: map[string]string{"app": "demo-app"}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "demo-app"}},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{
					Name: "demo-app", Image: "hashicorp/http-echo:0.2.3",
					Args: []string{"-text=Version 1 - Healthy", "-listen=:8080"},
				}}},
			},
			Strategy: v1alpha1.RolloutStrategy{Canary: &v1alpha1.CanaryStrategy{
				Steps: []v1alpha1.CanaryStep{
					{SetWeight: i32(20)},
					pause(),
					{Analysis: &v1alpha1.RolloutAnalysis{
						Templates: []v1alpha1.AnalysisTemplateRef{{TemplateName: "success-rate-check"}},
						Args:      []v1alpha1.AnalysisRunArgument{{Name: "service-name", Value: "demo-app"}},
					}},
					{SetWeight: i32(50)},
					pause(),
					{SetWeight: i32(80)},
					pause(),
				},
			}},
		},
	}
}

func successRateTemplate() *v1alpha1.AnalysisTemplate {
	return &v1alpha1.AnalysisTemplate{
		ObjectMeta: metav1.ObjectMeta{Name: "success-rate-check", Namespace: "lab"},
		Spec: v1alpha1.AnalysisTemplateSpec{
			Args: []v1alpha1.Argument{{Name: "service-name"}},
			Metrics: []v1alpha1.Metric{{
				Name: "success-rate", Interval: "30s", Count: intOrStr(intstr.FromInt32(3)),
				SuccessCondition: "result[0] >= 0.95", FailureCondition: "result[0] < 0.90",
				FailureLimit: intOrStr(intstr.FromInt32(0)),
				Provider: v1alpha1.MetricProvider{Prometheus: &v1alpha1.PrometheusMetric{
					Address: "http://prometheus.monitoring:9090",
					Query:   `sum(rate(http_requests_total{app="{{args.service-name}}",status!~"5.."}[1m])) / sum(rate(http_requests_total{app="{{args.service-name}}"}[1m]))`,
				}},
			}},
		},
	}
}

func (f *fixture) reconcile() reconcile.Result {
	f.t.Helper()
	res, err := f.r.Reconcile(f.ctx, reconcile.Request{NamespacedName: f.key})
	require.NoError(f.t, err)
	f.lastResult = res
	f.drainEvents()
	return res
}

func (f *fixture) drainEvents() {
	for {
		select {
		case e := <-f.rec.Events:
			f.events = append(f.events, e)
		default:
			return
		}
	}
}

// runReplicaSetController makes every ReplicaSet's status match its spec.
func (f *fixture) runReplicaSetController() {
	f.t.Helper()
	for _, rs := range f.replicaSets() {
		n := rsReplicas(rs)
		avail := n
		if f.podsUnavailable[podHashOf(rs)] {
			avail = 0
		}
		if rs.Status.Replicas == n && rs.Status.ReadyReplicas == avail && rs.Status.AvailableReplicas == avail && rs.Status.ObservedGeneration == rs.Generation {
			continue
		}
		rs.Status.Replicas, rs.Status.ReadyReplicas, rs.Status.AvailableReplicas = n, avail, avail
		rs.Status.ObservedGeneration = rs.Generation
		require.NoError(f.t, f.c.Status().Update(f.ctx, rs))
	}
}

// fingerprint changes whenever any object of the lab changes.
func (f *fixture) fingerprint() string {
	var parts []string
	var rss appsv1.ReplicaSetList
	var ars v1alpha1.AnalysisRunList
	var svcs corev1.ServiceList
	var exs v1alpha1.ExperimentList
	var pods corev1.PodList
	require.NoError(f.t, f.c.List(f.ctx, &rss))
	require.NoError(f.t, f.c.List(f.ctx, &ars))
	require.NoError(f.t, f.c.List(f.ctx, &svcs))
	require.NoError(f.t, f.c.List(f.ctx, &exs))
	require.NoError(f.t, f.c.List(f.ctx, &pods))
	for _, o := range exs.Items {
		parts = append(parts, "ex/"+o.Name+"@"+o.ResourceVersion)
	}
	for _, o := range pods.Items {
		parts = append(parts, "pod/"+o.Name+"@"+o.ResourceVersion)
	}
	for _, o := range rss.Items {
		parts = append(parts, "rs/"+o.Name+"@"+o.ResourceVersion)
	}
	for _, o := range ars.Items {
		parts = append(parts, "ar/"+o.Name+"@"+o.ResourceVersion)
	}
	for _, o := range svcs.Items {
		parts = append(parts, "svc/"+o.Name+"@"+o.ResourceVersion)
	}
	parts = append(parts, "ro@"+f.rollout().ResourceVersion)
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

// settle reconciles and runs the ReplicaSet controller until nothing changes any more, as the
// informers of a real controller would; it returns how many reconciles that took.
func (f *fixture) settle() int {
	f.t.Helper()
	for i := 1; i <= 100; i++ {
		before := f.fingerprint()
		f.reconcile()
		f.runReplicaSetController()
		if f.fingerprint() == before {
			return i
		}
	}
	f.t.Fatalf("rollout did not settle")
	return 0
}

func (f *fixture) rollout() *v1alpha1.Rollout {
	f.t.Helper()
	ro := &v1alpha1.Rollout{}
	require.NoError(f.t, f.c.Get(f.ctx, f.key, ro))
	return ro
}

func (f *fixture) replicaSets() []*appsv1.ReplicaSet {
	f.t.Helper()
	var list appsv1.ReplicaSetList
	require.NoError(f.t, f.c.List(f.ctx, &list, client.InNamespace(f.key.Namespace)))
	out := make([]*appsv1.ReplicaSet, len(list.Items))
	for i := range list.Items {
		out[i] = &list.Items[i]
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func (f *fixture) replicaSet(hash string) *appsv1.ReplicaSet {
	f.t.Helper()
	for _, rs := range f.replicaSets() {
		if podHashOf(rs) == hash {
			return rs
		}
	}
	f.t.Fatalf("no ReplicaSet with hash %s", hash)
	return nil
}

// sizes maps each ReplicaSet's pod hash to its spec.replicas.
func (f *fixture) sizes() map[string]int32 {
	out := map[string]int32{}
	for _, rs := range f.replicaSets() {
		out[podHashOf(rs)] = rsReplicas(rs)
	}
	return out
}

func (f *fixture) analysisRuns() []v1alpha1.AnalysisRun {
	f.t.Helper()
	var list v1alpha1.AnalysisRunList
	require.NoError(f.t, f.c.List(f.ctx, &list, client.InNamespace(f.key.Namespace)))
	sort.Slice(list.Items, func(i, j int) bool { return list.Items[i].Name < list.Items[j].Name })
	return list.Items
}

func (f *fixture) analysisRun(name string) *v1alpha1.AnalysisRun {
	f.t.Helper()
	ar := &v1alpha1.AnalysisRun{}
	require.NoError(f.t, f.c.Get(f.ctx, types.NamespacedName{Namespace: f.key.Namespace, Name: name}, ar))
	return ar
}

// finishRun plays the AnalysisRun controller: the run ends in phase with message.
func (f *fixture) finishRun(name string, phase v1alpha1.AnalysisPhase, message string) {
	f.t.Helper()
	ar := f.analysisRun(name)
	ar.Status.Phase = phase
	ar.Status.Message = message
	require.NoError(f.t, f.c.Update(f.ctx, ar))
}

// updateTemplate changes the pod template, as `kubectl argo rollouts set image` would.
func (f *fixture) updateTemplate(mutate func(*corev1.PodTemplateSpec)) {
	f.t.Helper()
	ro := f.rollout()
	mutate(&ro.Spec.Template)
	ro.Generation++
	require.NoError(f.t, f.c.Update(f.ctx, ro))
}

func (f *fixture) setArgs(text string) {
	f.updateTemplate(func(t *corev1.PodTemplateSpec) {
		t.Spec.Containers[0].Args = []string{"-text=" + text, "-listen=:8080"}
	})
}

// operation is a `kubectl argo rollouts` verb, carried out by controller/ops as the CLI and the
// simulator do.
type operation string

const (
	OpPromote     operation = "promote"
	OpPromoteFull operation = "promote-full"
	OpAbort       operation = "abort"
	OpRetry       operation = "retry"
	OpPause       operation = "pause"
	OpResume      operation = "resume"
	OpUndo        operation = "undo"
	OpRestart     operation = "restart"
)

func (f *fixture) operate(op operation) {
	f.t.Helper()
	var err error
	switch op {
	case OpPromote:
		err = ops.Promote(f.ctx, f.c, f.key, ops.PromoteOptions{})
	case OpPromoteFull:
		err = ops.Promote(f.ctx, f.c, f.key, ops.PromoteOptions{Full: true})
	case OpAbort:
		err = ops.Abort(f.ctx, f.c, f.key)
	case OpRetry:
		err = ops.Retry(f.ctx, f.c, f.key)
	case OpPause:
		err = ops.Pause(f.ctx, f.c, f.key)
	case OpResume:
		err = ops.Resume(f.ctx, f.c, f.key)
	case OpUndo:
		_, err = ops.Undo(f.ctx, f.c, f.key, 0)
	case OpRestart:
		err = ops.Restart(f.ctx, f.c, f.key, f.clock.Now())
	}
	require.NoError(f.t, err)
}

// eventsSince returns the events recorded from index from on.
func (f *fixture) eventsSince(from int) []string { return append([]string(nil), f.events[from:]...) }

func (f *fixture) condition(t v1alpha1.RolloutConditionType) *v1alpha1.RolloutCondition {
	ro := f.rollout()
	return getCondition(&ro.Status, t)
}

func reconcileRequest(f *fixture) reconcile.Request { return reconcile.Request{NamespacedName: f.key} }
