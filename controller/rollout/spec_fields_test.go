package rollout

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

func TestAntiAffinityInjectedIntoCanaryPods(t *testing.T) {
	ro := seedRollout()
	ro.Spec.Strategy.Canary.AntiAffinity = &v1alpha1.AntiAffinity{PreferredDuringSchedulingIgnoredDuringExecution: &v1alpha1.PreferredDuringSchedulingIgnoredDuringExecution{Weight: 50}}
	f := newFixture(t, ro, successRateTemplate())
	f.settle()
	v1 := f.rollout().Status.StableRS
	assert.Nil(t, f.replicaSet(v1).Spec.Template.Spec.Affinity, "a first deploy has no stable to keep away from")
	f.setArgs("Version 2")
	f.settle()
	v2 := f.rollout().Status.CurrentPodHash
	a := f.replicaSet(v2).Spec.Template.Spec.Affinity
	require.NotNil(t, a)
	require.Len(t, a.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution, 1)
	term := a.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution[0]
	assert.Equal(t, int32(50), term.Weight)
	assert.Equal(t, "kubernetes.io/hostname", term.PodAffinityTerm.TopologyKey)
	assert.Equal(t, []string{"lab"}, term.PodAffinityTerm.Namespaces)
	assert.Equal(t, []metav1.LabelSelectorRequirement{{Key: v1alpha1.DefaultRolloutUniqueLabelKey, Operator: metav1.LabelSelectorOpIn, Values: []string{v1}}},
		term.PodAffinityTerm.LabelSelector.MatchExpressions)
	assert.Equal(t, v2, f.rollout().Status.CurrentPodHash, "the injected rule does not change the pod hash")
}

func TestCanaryAndStableMetadata(t *testing.T) {
	ro := seedRollout()
	ro.Spec.Strategy.Canary.CanaryMetadata = &v1alpha1.PodTemplateMetadata{Labels: map[string]string{"role": "canary"}}
	ro.Spec.Strategy.Canary.StableMetadata = &v1alpha1.PodTemplateMetadata{Labels: map[string]string{"role": "stable"}, Annotations: map[string]string{"tier": "stable"}}
	f := newFixture(t, ro, successRateTemplate())
	f.settle()
	v1 := f.rollout().Status.StableRS
	assert.Equal(t, "stable", f.replicaSet(v1).Spec.Template.Labels["role"])
	f.readyPod(v1, 0, epoch)
	f.setArgs("Version 2")
	f.settle()
	v2 := f.rollout().Status.CurrentPodHash
	assert.Equal(t, "canary", f.replicaSet(v2).Spec.Template.Labels["role"])
	assert.Equal(t, `{"labels":{"role":"canary"}}`, f.replicaSet(v2).Annotations[AnnotationEphemeralMetadata])
	f.readyPod(v2, 0, epoch)

	// Promoted: the new stable's template and its running pods get the stable metadata.
	f.operate(OpPromoteFull)
	f.settle()
	f.settle()
	rs2 := f.replicaSet(v2)
	assert.Equal(t, "stable", rs2.Spec.Template.Labels["role"])
	assert.Equal(t, "stable", rs2.Spec.Template.Annotations["tier"])
	for _, p := range f.pods() {
		if p.Labels[v1alpha1.DefaultRolloutUniqueLabelKey] == v2 {
			assert.Equal(t, "stable", p.Labels["role"], p.Name)
			assert.Equal(t, "stable", p.Annotations["tier"], p.Name)
		}
	}
	// The old stable is no longer the stable: its injected metadata goes.
	_, ok := f.replicaSet(v1).Spec.Template.Labels["role"]
	assert.False(t, ok)
	assert.NotContains(t, f.replicaSet(v1).Annotations, AnnotationEphemeralMetadata)
}

func TestSyncPodMetadata(t *testing.T) {
	l, a, mod := syncPodMetadata(map[string]string{"app": "x", "role": "canary"}, nil,
		&v1alpha1.PodTemplateMetadata{Labels: map[string]string{"role": "canary"}},
		&v1alpha1.PodTemplateMetadata{Annotations: map[string]string{"n": "1"}})
	assert.True(t, mod)
	assert.Equal(t, map[string]string{"app": "x"}, l, "injected labels no longer wanted go")
	assert.Equal(t, map[string]string{"n": "1"}, a)
	_, _, mod = syncPodMetadata(l, a, &v1alpha1.PodTemplateMetadata{Annotations: map[string]string{"n": "1"}}, &v1alpha1.PodTemplateMetadata{Annotations: map[string]string{"n": "1"}})
	assert.False(t, mod)
}

func TestWorkloadRefRunsTheDeploymentTemplate(t *testing.T) {
	ro := seedRollout()
	tmpl := ro.Spec.Template
	ro.Spec.Template = corev1.PodTemplateSpec{}
	ro.Spec.Selector = nil
	ro.Spec.WorkloadRef = &v1alpha1.ObjectRef{APIVersion: "apps/v1", Kind: "Deployment", Name: "demo-app", ScaleDown: v1alpha1.ScaleDownOnSuccess}
	dep := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "demo-app", Namespace: "lab", Generation: 4},
		Spec: appsv1.DeploymentSpec{
			Replicas: i32(5),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "demo-app"}},
			Template: tmpl,
		},
	}
	f := newFixture(t, ro, successRateTemplate(), dep)
	f.settle()
	cur := f.rollout()
	assert.Equal(t, ComputePodTemplateHash(&tmpl, nil), cur.Status.StableRS)
	assert.Equal(t, "4", cur.Status.WorkloadObservedGeneration)
	assert.Empty(t, cur.Spec.Template.Spec.Containers, "the template is never written into the Rollout")
	assert.Equal(t, "app=demo-app", cur.Status.Selector)
	assert.Equal(t, v1alpha1.RolloutPhaseHealthy, cur.Status.Phase, cur.Status.Message)
	got := &appsv1.Deployment{}
	require.NoError(t, f.c.Get(f.ctx, f.key, got))
	assert.Equal(t, int32(0), *got.Spec.Replicas, "scaleDown: onsuccess, once Healthy")

	// A missing workload makes the spec invalid.
	ro2 := seedRollout()
	ro2.Spec.Template = corev1.PodTemplateSpec{}
	ro2.Spec.WorkloadRef = &v1alpha1.ObjectRef{APIVersion: "apps/v1", Kind: "Deployment", Name: "nope"}
	f2 := newFixture(t, ro2, successRateTemplate())
	f2.reconcile()
	assert.Equal(t, `InvalidSpec: The Rollout "demo-app" is invalid: deployments.apps "nope" not found`, f2.rollout().Status.Message)
	ro3 := seedRollout()
	ro3.Spec.WorkloadRef = &v1alpha1.ObjectRef{APIVersion: "apps/v1", Kind: "Deployment", Name: "demo-app"}
	f3 := newFixture(t, ro3, successRateTemplate())
	f3.reconcile()
	assert.Equal(t, `InvalidSpec: The Rollout "demo-app" is invalid: template must be empty for workload reference rollout`, f3.rollout().Status.Message)
}

func TestReplicaProgressThreshold(t *testing.T) {
	rs := mathRS("canary", 10, 7)
	for _, tc := range []struct {
		name string
		t    *v1alpha1.ReplicaProgressThreshold
		want bool
	}{
		{"none: all must be available", nil, false},
		{"70 percent", &v1alpha1.ReplicaProgressThreshold{Type: v1alpha1.ProgressTypePercentage, Value: 70}, true},
		{"80 percent", &v1alpha1.ReplicaProgressThreshold{Type: v1alpha1.ProgressTypePercentage, Value: 80}, false},
		{"7 pods", &v1alpha1.ReplicaProgressThreshold{Type: v1alpha1.ProgressTypePods, Value: 7}, true},
		{"8 pods", &v1alpha1.ReplicaProgressThreshold{Type: v1alpha1.ProgressTypePods, Value: 8}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, ReplicaProgressThresholdMet(tc.t, rs, 10))
		})
	}
	assert.True(t, ReplicaProgressThresholdMet(&v1alpha1.ReplicaProgressThreshold{Type: v1alpha1.ProgressTypePercentage, Value: 50}, rs, 0), "nothing desired")
}

func TestBlueGreenNewRSReplicas(t *testing.T) {
	mk := func(preview *int32, active string, current string, checkpoint, paused bool) *rolloutContext {
		ro := blueGreenRollout(false)
		ro.Spec.Strategy.BlueGreen.PreviewReplicaCount = preview
		ro.Status.BlueGreen.ActiveSelector = active
		ro.Status.CurrentPodHash = current
		ro.Status.BlueGreen.ScaleUpPreviewCheckPoint = checkpoint
		if paused {
			ro.Status.PauseConditions = []v1alpha1.PauseCondition{{Reason: v1alpha1.PauseReasonBlueGreenPause}}
		}
		return &rolloutContext{ro: ro, newRS: mathRS("new", 0, 0), allRSs: []*appsv1.ReplicaSet{mathRS("old", 5, 5), mathRS("new", 0, 0)}}
	}
	assert.Equal(t, int32(5), mk(nil, "old", "new", false, false).blueGreenNewRSReplicas())
	assert.Equal(t, int32(2), mk(i32(2), "old", "new", false, false).blueGreenNewRSReplicas())
	assert.Equal(t, int32(2), mk(i32(2), "old", "other", false, false).blueGreenNewRSReplicas(), "a new update")
	assert.Equal(t, int32(5), mk(i32(2), "old", "new", true, false).blueGreenNewRSReplicas(), "past the checkpoint")
	assert.Equal(t, int32(2), mk(i32(2), "old", "new", true, true).blueGreenNewRSReplicas(), "still paused")
	assert.Equal(t, int32(5), mk(i32(2), "new", "new", false, false).blueGreenNewRSReplicas(), "already active")
}
