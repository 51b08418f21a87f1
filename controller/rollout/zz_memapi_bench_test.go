package rollout

import (
	"context"
	"testing"

	"k8s.io/apimachinery/pkg/types"
	clocktesting "k8s.io/utils/clock/testing"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/canarydrill/canarydrill/api/scheme"
	"github.com/canarydrill/canarydrill/sim/memapi"
)

func BenchmarkSteadyStateMemAPI(b *testing.B) {
	clk := clocktesting.NewFakeClock(epoch)
	st := memapi.New(scheme.New(), clk)
	c := st.Client()
	ctx := context.Background()
	ro := seedRollout()
	ro.UID = ""
	if err := c.Create(ctx, ro); err != nil {
		b.Fatal(err)
	}
	if err := c.Create(ctx, successRateTemplate()); err != nil {
		b.Fatal(err)
	}
	r := &Reconciler{Client: c, Clock: clk}
	req := reconcile.Request{NamespacedName: types.NamespacedName{Namespace: "lab", Name: "demo-app"}}
	f := &fixture{t: &testing.T{}, ctx: ctx, c: c, clock: clk, r: r, key: req.NamespacedName, podsUnavailable: map[string]bool{}}
	for i := 0; i < 10; i++ {
		if _, err := r.Reconcile(ctx, req); err != nil {
			b.Fatal(err)
		}
		f.runReplicaSetController()
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := r.Reconcile(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}
