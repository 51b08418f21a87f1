package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

// TestInstanceIDSharding runs two controllers with different --instance-id values: each brings
// its own Rollout to Healthy, and a Rollout labelled for a third ID is left alone.
func TestInstanceIDSharding(t *testing.T) {
	e, ns := setup(t)
	ctx := context.Background()
	idA, idB := ns+"-a", ns+"-b"
	startDriver(t, e.controller, idA)
	startDriver(t, e.controller, idB)
	if err := applyYAML(ctx, e.admin, ns, []byte(
		simpleYAML(idA, "ra")+"---\n"+simpleYAML(idB, "rb")+"---\n"+simpleYAML(ns+"-nobody", "rc"))); err != nil {
		t.Fatal(err)
	}
	waitPhase(t, e.admin, ns, "ra", v1alpha1.RolloutPhaseHealthy, 60*time.Second)
	waitPhase(t, e.admin, ns, "rb", v1alpha1.RolloutPhaseHealthy, 60*time.Second)
	time.Sleep(time.Second)
	if rc := getRollout(t, e.admin, ns, "rc"); rc.Status.ObservedGeneration != "" || rc.Status.Phase != "" {
		t.Errorf("a Rollout of another instance was reconciled: %+v", rc.Status)
	}
}

// simpleYAML is a two-replica canary with one weight step and no analysis.
func simpleYAML(id, name string) string {
	return fmt.Sprintf(`apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: %[2]s
  labels: {argo-rollouts.argoproj.io/controller-instance-id: %[1]s}
spec:
  replicas: 2
  selector: {matchLabels: {app: %[2]s}}
  template:
    metadata: {labels: {app: %[2]s}}
    spec:
      containers: [{name: app, image: demo:v1}]
  strategy:
    canary:
      steps: [{setWeight: 50}]
`, id, name)
}
