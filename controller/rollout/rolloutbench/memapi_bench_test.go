package rolloutbench_test

import (
	"context"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	clocktesting "k8s.io/utils/clock/testing"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/canarydrill/canarydrill/api/scheme"
	"github.com/canarydrill/canarydrill/api/v1alpha1"
	"github.com/canarydrill/canarydrill/controller/rollout"
	"github.com/canarydrill/canarydrill/sim/memapi"
)

// world is the seed exercise on the simulator's in-memory API, with the ReplicaSet controller
// and the AnalysisRun controller played by hand.
type world struct {
	b     *testing.B
	ctx   context.Context
	clk   *clocktesting.FakeClock
	c     client.Client
	r     *rollout.Reconciler
	req   reconcile.Request
	calls int
}

func newWorld(b *testing.B) *world {
	clk := clocktesting.NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	c := memapi.New(scheme.New(), clk).Client()
	w := &world{b: b, ctx: context.Background(), clk: clk, c: c,
		r:   &rollout.Reconciler{Client: c, Clock: clk, OwnerIndex: memapi.OwnerUIDField},
		req: reconcile.Request{NamespacedName: types.NamespacedName{Namespace: "lab", Name: "demo-app"}}}
	d := intstr.FromString("30s")
	pause := v1alpha1.CanaryStep{Pause: &v1alpha1.RolloutPause{Duration: &d}}
	replicas, w20, w50, w80 := int32(5), int32(20), int32(50), int32(80)
	ro := &v1alpha1.Rollout{
		ObjectMeta: metav1.ObjectMeta{Name: "demo-app", Namespace: "lab"},
		Spec: v1alpha1.RolloutSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "demo-app"}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "demo-app"}},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "demo-app", Image: "demo:v1"}}},
			},
			Strategy: v1alpha1.RolloutStrategy{Canary: &v1alpha1.CanaryStrategy{Steps: []v1alpha1.CanaryStep{
				{SetWeight: &w20}, pause,
				{Analysis: &v1alpha1.RolloutAnalysis{Templates: []v1alpha1.AnalysisTemplateRef{{TemplateName: "ok"}}}},
				{SetWeight: &w50}, pause, {SetWeight: &w80}, pause,
			}}},
		},
	}
	tmpl := &v1alpha1.AnalysisTemplate{ObjectMeta: metav1.ObjectMeta{Name: "ok", Namespace: "lab"},
		Spec: v1alpha1.AnalysisTemplateSpec{Metrics: []v1alpha1.Metric{{Name: "m"}}}}
	for _, o := range []client.Object{ro, tmpl} {
		if err := c.Create(w.ctx, o); err != nil {
			b.Fatal(err)
		}
	}
	return w
}

// step reconciles, then lets the ReplicaSet and AnalysisRun controllers act; it reports whether
// anything changed.
func (w *world) step() (bool, time.Duration) {
	res, err := w.r.Reconcile(w.ctx, w.req)
	if err != nil {
		w.b.Fatal(err)
	}
	w.calls++
	changed := false
	var rss appsv1.ReplicaSetList
	if err := w.c.List(w.ctx, &rss, client.InNamespace("lab")); err != nil {
		w.b.Fatal(err)
	}
	for i := range rss.Items {
		rs := &rss.Items[i]
		n := *rs.Spec.Replicas
		if rs.Status.Replicas != n || rs.Status.AvailableReplicas != n {
			rs.Status.Replicas, rs.Status.ReadyReplicas, rs.Status.AvailableReplicas = n, n, n
			if err := w.c.Status().Update(w.ctx, rs); err != nil {
				w.b.Fatal(err)
			}
			changed = true
		}
	}
	var ars v1alpha1.AnalysisRunList
	if err := w.c.List(w.ctx, &ars, client.InNamespace("lab")); err != nil {
		w.b.Fatal(err)
	}
	for i := range ars.Items {
		if ar := &ars.Items[i]; ar.Status.Phase == "" {
			ar.Status.Phase = v1alpha1.AnalysisPhaseSuccessful
			if err := w.c.Update(w.ctx, ar); err != nil {
				w.b.Fatal(err)
			}
			changed = true
		}
	}
	return changed, res.RequeueAfter
}

// run drives the world until it is quiet and no timer is pending.
func (w *world) run() {
	for i := 0; i < 1000; i++ {
		before := w.rolloutVersion()
		changed, after := w.step()
		if changed || w.rolloutVersion() != before {
			continue
		}
		if after == 0 {
			return
		}
		w.clk.Step(after)
	}
	w.b.Fatal("did not settle")
}

func (w *world) rolloutVersion() string {
	ro := &v1alpha1.Rollout{}
	if err := w.c.Get(w.ctx, w.req.NamespacedName, ro); err != nil {
		w.b.Fatal(err)
	}
	return ro.ResourceVersion
}

func (w *world) update(image string) {
	ro := &v1alpha1.Rollout{}
	if err := w.c.Get(w.ctx, w.req.NamespacedName, ro); err != nil {
		w.b.Fatal(err)
	}
	ro.Spec.Template.Spec.Containers[0].Image = image
	if err := w.c.Update(w.ctx, ro); err != nil {
		w.b.Fatal(err)
	}
}

// BenchmarkSteadyState is one Reconcile of a Healthy Rollout with nothing to do.
func BenchmarkSteadyState(b *testing.B) {
	w := newWorld(b)
	w.run()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := w.r.Reconcile(w.ctx, w.req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCanaryUpdate is a whole update of the seed exercise, from the new template to Healthy,
// including the in-memory API's own cost.
func BenchmarkCanaryUpdate(b *testing.B) {
	w := newWorld(b)
	w.run()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w.update("demo:v" + string(rune('a'+i%26)) + time.Duration(i).String())
		w.run()
	}
	b.ReportMetric(float64(w.calls)/float64(b.N), "reconciles/update")
}
