package e2e

import (
	"context"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
	"github.com/canarydrill/canarydrill/driver"
)

// TestLeaderElection runs two replicas of the controller with leader election: one holds the
// Lease and reconciles; when it stops, the other takes the Lease over and carries on.
func TestLeaderElection(t *testing.T) {
	e, ns := setup(t)
	ctx := context.Background()
	o := driver.Options{
		InstanceID: ns, MetricsAddr: "0", ProbeAddr: "0", Log: testLog(),
		LeaderElection: true, LeaderElectionNamespace: ns,
		LeaseDuration: 3 * time.Second, RenewDeadline: 2 * time.Second, RetryPeriod: 200 * time.Millisecond,
	}
	type replica struct {
		cancel context.CancelFunc
		done   chan error
	}
	start := func() replica {
		d, err := driver.New(e.controller, o)
		if err != nil {
			t.Fatal(err)
		}
		rctx, cancel := context.WithCancel(ctx)
		r := replica{cancel: cancel, done: make(chan error, 1)}
		go func() { r.done <- d.Start(rctx) }()
		t.Cleanup(func() { cancel(); <-r.done })
		return r
	}
	holder := func() string {
		l := &coordinationv1.Lease{}
		if err := e.admin.Get(ctx, types.NamespacedName{Namespace: ns, Name: driver.DefaultLeaderElectionID}, l); err != nil || l.Spec.HolderIdentity == nil {
			return ""
		}
		return *l.Spec.HolderIdentity
	}
	first := start()
	waitFor(t, 30*time.Second, "a leader", func() (bool, error) { return holder() != "", nil })
	leader := holder()
	start()
	if err := applyYAML(ctx, e.admin, ns, []byte(simpleYAML(ns, "demo"))); err != nil {
		t.Fatal(err)
	}
	waitPhase(t, e.admin, ns, "demo", v1alpha1.RolloutPhaseHealthy, 60*time.Second)
	if h := holder(); h != leader {
		t.Fatalf("leader changed from %s to %s without a reason", leader, h)
	}

	first.cancel() // releases the Lease on the way out
	if err := <-first.done; err != nil {
		t.Fatalf("leader stopped with %v", err)
	}
	first.done <- nil // for the cleanup
	waitFor(t, 30*time.Second, "the other replica leading", func() (bool, error) { h := holder(); return h != "" && h != leader, nil })
	mustCLI(t, e, ns, "set", "image", "demo", "app=demo:v2")
	waitPhase(t, e.admin, ns, "demo", v1alpha1.RolloutPhaseHealthy, 60*time.Second)
	if ro := getRollout(t, e.admin, ns, "demo"); ro.Status.StableRS != ro.Status.CurrentPodHash || ro.Spec.Template.Spec.Containers[0].Image != "demo:v2" {
		t.Errorf("the new leader did not finish the update: %+v", ro.Status)
	}
}
