package e2e

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/canarydrill/canarydrill/api/scheme"
	"github.com/canarydrill/canarydrill/api/v1alpha1"
	"github.com/canarydrill/canarydrill/controller/trafficrouting"
)

// nginxYAML is a traffic-routed canary: Services web-stable and web-canary, the stable Ingress
// web, and a Rollout that sends 20% to the canary, then analyses.
func nginxYAML(id, image string) string {
	return fmt.Sprintf(`apiVersion: v1
kind: Service
metadata: {name: web-stable}
spec: {selector: {app: web}, ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: web-canary}
spec: {selector: {app: web}, ports: [{port: 80}]}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec:
  rules:
    - host: web.example
      http:
        paths:
          - {path: /, pathType: Prefix, backend: {service: {name: web-stable, port: {number: 80}}}}
---
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: web
  labels: {argo-rollouts.argoproj.io/controller-instance-id: %[1]s}
spec:
  replicas: 4
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: app, image: %[2]q}]
  strategy:
    canary:
      stableService: web-stable
      canaryService: web-canary
      trafficRouting:
        nginx: {stableIngress: web}
      steps:
        - setWeight: 20
        - analysis: {templates: [{templateName: web-check}]}
`, id, image)
}

const canaryWeight = "nginx.ingress.kubernetes.io/canary-weight"

// TestNginxAbortToWeightZero runs a traffic-routed canary with the nginx router as the
// controller's ServiceAccount (the canary Ingress is created and patched with config/rbac's
// role), then measures the time from the AnalysisRun's Failed to the canary Ingress's weight 0.
func TestNginxAbortToWeightZero(t *testing.T) {
	e, ns := setup(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	v := newVerdict(t, false)
	startDriver(t, e.controller, ns)
	if err := applyYAML(ctx, e.admin, ns, []byte(templateYAML(ns, v.url)+"---\n"+nginxYAML(ns, "web:v1"))); err != nil {
		t.Fatal(err)
	}
	waitPhase(t, e.admin, ns, "web", v1alpha1.RolloutPhaseHealthy, 60*time.Second)

	var mu sync.Mutex
	var failed, zero, twenty time.Time
	wc, err := client.NewWithWatch(e.cp.Config, client.Options{Scheme: scheme.New()})
	if err != nil {
		t.Fatal(err)
	}
	canaryName := trafficrouting.CanaryIngressName("web", "web")
	for _, l := range []client.ObjectList{&v1alpha1.AnalysisRunList{}, &networkingv1.IngressList{}} {
		w, err := wc.Watch(ctx, l, client.InNamespace(ns))
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			defer w.Stop()
			for ev := range w.ResultChan() {
				now := time.Now()
				if ev.Type == watch.Error {
					continue
				}
				mu.Lock()
				switch o := ev.Object.(type) {
				case *v1alpha1.AnalysisRun:
					if o.Status.Phase == v1alpha1.AnalysisPhaseFailed && failed.IsZero() {
						failed = now
					}
				case *networkingv1.Ingress:
					if o.Name == canaryName && o.Annotations[canaryWeight] == "20" && twenty.IsZero() {
						twenty = now
					}
					// The two watches are separate streams: order by the weight's own history.
					if o.Name == canaryName && !twenty.IsZero() && o.Annotations[canaryWeight] == "0" && zero.IsZero() {
						zero = now
					}
				}
				mu.Unlock()
			}
		}()
	}
	mustCLI(t, e, ns, "set", "image", "web", "app=web:v2")
	waitPhase(t, e.admin, ns, "web", v1alpha1.RolloutPhaseDegraded, 60*time.Second)
	waitFor(t, 30*time.Second, "canary weight 0 and the run's Failed seen", func() (bool, error) {
		mu.Lock()
		defer mu.Unlock()
		return !zero.IsZero() && !failed.IsZero(), nil
	})
	mu.Lock()
	defer mu.Unlock()
	if twenty.IsZero() {
		t.Error("the canary Ingress never had weight 20")
	}
	d := zero.Sub(failed)
	t.Logf("nginx: AnalysisRun Failed -> canary Ingress weight 0 in %s (goal 1s)", d.Round(time.Millisecond))
	if d > 3*time.Second {
		t.Errorf("weight 0 only %s after the run failed", d)
	}
	ing := &networkingv1.Ingress{}
	if err := e.admin.Get(ctx, types.NamespacedName{Namespace: ns, Name: canaryName}, ing); err != nil {
		t.Fatal(err)
	}
	if ing.Annotations["nginx.ingress.kubernetes.io/canary"] != "true" {
		t.Errorf("canary Ingress annotations %v", ing.Annotations)
	}
}
