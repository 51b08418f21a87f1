package e2e

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

// conflicts is the number of 409 answers the API has given this process's clients.
func conflicts(t *testing.T) float64 {
	mfs, err := ctrlmetrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var n float64
	for _, mf := range mfs {
		if mf.GetName() != "rest_client_requests_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			if label(m, "code") == "409" {
				n += m.GetCounter().GetValue()
			}
		}
	}
	return n
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

// TestSecondWriter runs an update while another writer keeps changing the AnalysisRuns and the
// Rollout (merge patches, which never conflict themselves): the controller's writes that carry
// a resourceVersion meet conflicts, and it must retry them and finish the update.
func TestSecondWriter(t *testing.T) {
	e, ns := setup(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	v := newVerdict(t, true)
	startDriver(t, e.controller, ns)
	// Fifteen measurements 200ms apart: fifteen status writes for the writer to get in the way of.
	fast := strings.NewReplacer("interval: 1s", "interval: 200ms", "count: 3", "count: 15").Replace(templateYAML(ns, v.url))
	if err := applyYAML(ctx, e.admin, ns, []byte(fast+"---\n"+restartYAML(ns, "demo:v1"))); err != nil {
		t.Fatal(err)
	}
	waitPhase(t, e.admin, ns, "demo", v1alpha1.RolloutPhaseHealthy, 60*time.Second)
	// Conflicts come from races of milliseconds: up to three updates until one met some.
	var got float64
	var writes atomic.Int64
	for _, image := range []string{"demo:v2", "demo:v3", "demo:v4"} {
		mustCLI(t, e, ns, "set", "image", "demo", "app="+image) // before the writer: set image does not retry, as Argo's
		before := conflicts(t)
		var wg sync.WaitGroup
		wctx, stopWriter := context.WithCancel(ctx)
		wg.Go(func() { secondWriter(wctx, e, ns, &writes) })
		waitPhase(t, e.admin, ns, "demo", v1alpha1.RolloutPhaseHealthy, 120*time.Second)
		stopWriter()
		wg.Wait()
		if got = conflicts(t) - before; got > 0 {
			break
		}
	}
	t.Logf("second writer: %d writes; the controller met %v conflicts and finished the update", writes.Load(), got)
	if got == 0 {
		t.Errorf("no conflict happened in three updates: the test does not test what it says")
	}
	var list v1alpha1.AnalysisRunList
	if err := e.admin.List(ctx, &list, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	for _, r := range list.Items {
		if r.Status.Phase != v1alpha1.AnalysisPhaseSuccessful {
			t.Errorf("run %s %s, want Successful", r.Name, r.Status.Phase)
		}
	}
}

// secondWriter patches every AnalysisRun and the Rollout of ns, as fast as it can, until ctx ends.
func secondWriter(ctx context.Context, e *env, ns string, writes *atomic.Int64) {
	for i := 0; ctx.Err() == nil; i++ {
		patch := client.RawPatch(types.MergePatchType, fmt.Appendf(nil, `{"metadata":{"annotations":{"e2e/second-writer":"%d"}}}`, i))
		var runs v1alpha1.AnalysisRunList
		if e.admin.List(ctx, &runs, client.InNamespace(ns)) == nil {
			for j := range runs.Items {
				if e.admin.Patch(ctx, &runs.Items[j], patch) == nil {
					writes.Add(1)
				}
			}
		}
		ro := &v1alpha1.Rollout{}
		ro.Namespace, ro.Name = ns, "demo"
		if e.admin.Patch(ctx, ro, patch) == nil {
			writes.Add(1)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestStaleWriteReported: `set image` from a stale read is refused by the API with a conflict, and
// the CLI reports it in one line instead of overwriting someone else's change.
func TestStaleWriteReported(t *testing.T) {
	e, ns := setup(t)
	ctx := context.Background()
	if err := applyYAML(ctx, e.admin, ns, []byte(rolloutYAML(ns, "demo:v1"))); err != nil {
		t.Fatal(err)
	}
	stale := getRollout(t, e.admin, ns, "demo")
	fresh := stale.DeepCopy()
	fresh.Annotations = map[string]string{"e2e/changed": "yes"}
	if err := e.admin.Update(ctx, fresh); err != nil {
		t.Fatal(err)
	}
	stale.Spec.Template.Spec.Containers[0].Image = "demo:v9"
	err := e.admin.Update(ctx, stale)
	if err == nil || !strings.Contains(err.Error(), "the object has been modified; please apply your changes to the latest version and try again") {
		t.Fatalf("stale update: %v", err)
	}
}
