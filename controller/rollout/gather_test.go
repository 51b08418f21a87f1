package rollout

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

// TestGatherWithAndWithoutOwnerIndex reads a Rollout's objects both ways, among look-alikes in
// its namespace: another Rollout's ReplicaSet, AnalysisRun and Experiment, and objects that
// name this Rollout as an owner but not as their controller. Listing by the owner index must
// find exactly what listing the namespace and filtering by controller does.
func TestGatherWithAndWithoutOwnerIndex(t *testing.T) {
	ro := seedRollout()
	ro.Spec.Strategy.Canary.Analysis = &v1alpha1.RolloutAnalysisBackground{
		RolloutAnalysis: v1alpha1.RolloutAnalysis{
			Templates: []v1alpha1.AnalysisTemplateRef{{TemplateName: "success-rate-check"}},
			Args:      []v1alpha1.AnalysisRunArgument{{Name: "service-name", Value: "demo-app"}},
		},
		StartingStep: i32(1),
	}
	f := newFixture(t, ro, successRateTemplate())
	f.settle()
	f.setArgs("Version 2")
	f.settle()
	ro = f.rollout()

	other := metav1.OwnerReference{APIVersion: "argoproj.io/v1alpha1", Kind: "Rollout", Name: "other", UID: "uid-other", Controller: ptr.To(true)}
	plain := metav1.OwnerReference{APIVersion: "argoproj.io/v1alpha1", Kind: "Rollout", Name: ro.Name, UID: ro.UID}
	meta := func(name string, refs ...metav1.OwnerReference) metav1.ObjectMeta {
		return metav1.ObjectMeta{Name: name, Namespace: ro.Namespace, OwnerReferences: refs}
	}
	for _, o := range []client.Object{
		&appsv1.ReplicaSet{ObjectMeta: meta("other-rs", other)},
		&appsv1.ReplicaSet{ObjectMeta: meta("shared-rs", other, plain)},
		&appsv1.ReplicaSet{ObjectMeta: meta("plain-rs", plain)},
		&v1alpha1.AnalysisRun{ObjectMeta: meta("other-run", other)},
		&v1alpha1.AnalysisRun{ObjectMeta: meta("plain-run", plain)},
		&v1alpha1.Experiment{ObjectMeta: meta("other-ex", other)},
		&v1alpha1.Experiment{ObjectMeta: meta("plain-ex", plain)},
	} {
		require.NoError(t, f.c.Create(f.ctx, o))
	}

	gathered := func(index string) []string {
		r := &Reconciler{Client: f.c, Clock: f.clock, OwnerIndex: index}
		c, err := r.gather(f.ctx, ro.DeepCopy(), nil)
		require.NoError(t, err)
		var out []string
		for _, rs := range c.allRSs {
			out = append(out, "rs/"+rs.Name)
		}
		for _, ar := range append(c.currentArs.all(), c.otherArs...) {
			out = append(out, "ar/"+ar.Name)
		}
		if c.currentEx != nil {
			out = append(out, "current-ex/"+c.currentEx.Name)
		}
		for _, ex := range c.otherExs {
			out = append(out, "ex/"+ex.Name)
		}
		return out
	}
	byNamespace := gathered("")
	require.NotEmpty(t, byNamespace)
	assert.Contains(t, byNamespace, "ar/demo-app-"+ro.Status.CurrentPodHash+"-2", "the background run is found")
	assert.Equal(t, byNamespace, gathered(f.r.OwnerIndex))
}
