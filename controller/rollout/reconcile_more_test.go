package rollout

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

func service(name string) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "lab"},
		Spec:       corev1.ServiceSpec{Selector: map[string]string{"app": "demo-app"}},
	}
}

func (f *fixture) service(name string) *corev1.Service {
	f.t.Helper()
	svc := &corev1.Service{}
	require.NoError(f.t, f.c.Get(f.ctx, types.NamespacedName{Namespace: "lab", Name: name}, svc))
	return svc
}

func withServices(ro *v1alpha1.Rollout) *v1alpha1.Rollout {
	ro.Spec.Strategy.Canary.StableService = "demo-app-stable"
	ro.Spec.Strategy.Canary.CanaryService = "demo-app-canary"
	return ro
}

func TestServicesFollowStableAndCanary(t *testing.T) {
	f := newFixture(t, withServices(seedRollout()), successRateTemplate(), service("demo-app-stable"), service("demo-app-canary"))
	f.settle()
	v1 := f.rollout().Status.StableRS
	for _, name := range []string{"demo-app-stable", "demo-app-canary"} {
		svc := f.service(name)
		assert.Equal(t, v1, svc.Spec.Selector[v1alpha1.DefaultRolloutUniqueLabelKey], name)
		assert.Equal(t, "demo-app", svc.Spec.Selector["app"], "the Service's own selector stays")
		assert.Equal(t, "demo-app", svc.Annotations[AnnotationManagedByRollouts], name)
	}
	assert.Contains(t, f.events, "Normal SwitchService Switched selector for service 'demo-app-stable' from '' to '"+v1+"'")

	f.setArgs("Version 2")
	f.settle()
	v2 := f.rollout().Status.CurrentPodHash
	assert.Equal(t, v1, f.service("demo-app-stable").Spec.Selector[v1alpha1.DefaultRolloutUniqueLabelKey])
	assert.Equal(t, v2, f.service("demo-app-canary").Spec.Selector[v1alpha1.DefaultRolloutUniqueLabelKey])

	// An aborted basic canary points its canary Service back at the stable.
	f.operate(OpAbort)
	f.settle()
	assert.Equal(t, v1, f.service("demo-app-canary").Spec.Selector[v1alpha1.DefaultRolloutUniqueLabelKey])
	assert.Contains(t, f.events, "Normal SwitchService Switched selector for service 'demo-app-canary' from '"+v2+"' to '"+v1+"'")
}

func TestMissingReferencesMakeSpecInvalid(t *testing.T) {
	f := newFixture(t, seedRollout())
	res := f.reconcile()
	ro := f.rollout()
	want := `The Rollout "demo-app" is invalid: spec.strategy.canary.steps[2].analysis.templates: Invalid value: "success-rate-check": AnalysisTemplate 'success-rate-check' not found`
	assert.Equal(t, v1alpha1.RolloutPhaseDegraded, ro.Status.Phase)
	assert.Equal(t, "InvalidSpec: "+want, ro.Status.Message)
	assert.Equal(t, want, f.condition(v1alpha1.InvalidSpec).Message)
	assert.Equal(t, 20*time.Second, res.RequeueAfter)
	assert.Empty(t, f.replicaSets(), "nothing is created for an invalid spec")

	require.NoError(t, f.c.Create(f.ctx, successRateTemplate()))
	f.settle()
	ro = f.rollout()
	assert.Equal(t, v1alpha1.RolloutPhaseHealthy, ro.Status.Phase)
	assert.Nil(t, f.condition(v1alpha1.InvalidSpec))

	ro.Spec.Strategy.Canary.StableService = "missing"
	require.NoError(t, f.c.Update(f.ctx, ro))
	f.reconcile()
	assert.Equal(t, `InvalidSpec: The Rollout "demo-app" is invalid: spec.strategy.canary.stableService: Invalid value: "missing": services "missing" not found`, f.rollout().Status.Message)
}

func TestProgressDeadline(t *testing.T) {
	for _, abort := range []bool{false, true} {
		t.Run(map[bool]string{false: "degraded", true: "abort"}[abort], func(t *testing.T) {
			ro := seedRollout()
			ro.Spec.ProgressDeadlineAbort = abort
			f := newFixture(t, ro, successRateTemplate())
			f.settle()
			v1 := f.rollout().Status.StableRS

			f.setArgs("Version 2 - never ready")
			v2 := ComputePodTemplateHash(&f.rollout().Spec.Template, nil)
			f.podsUnavailable[v2] = true
			f.settle()
			cur := f.rollout()
			require.Equal(t, int32(0), *cur.Status.CurrentStepIndex, "stuck at setWeight 20")
			assert.Equal(t, v1alpha1.RolloutPhaseProgressing, cur.Status.Phase)
			assert.Equal(t, 601*time.Second, f.lastResult.RequeueAfter, "progressDeadlineSeconds plus Argo's second")

			f.clock.Step(600 * time.Second)
			f.reconcile()
			assert.Equal(t, v1alpha1.RolloutPhaseProgressing, f.rollout().Status.Phase, "not before the deadline has passed")
			f.clock.Step(time.Second)
			f.reconcile()
			cur = f.rollout()
			msg := `ReplicaSet "demo-app-` + v2 + `" has timed out progressing.`
			prog := f.condition(v1alpha1.RolloutProgressing)
			if !abort {
				assert.Equal(t, v1alpha1.RolloutPhaseDegraded, cur.Status.Phase)
				assert.Equal(t, "ProgressDeadlineExceeded: "+msg, cur.Status.Message)
				assert.Equal(t, ReasonProgressDeadlineExceeded, prog.Reason)
				assert.False(t, cur.Status.Abort)
				return
			}
			assert.True(t, cur.Status.Abort)
			assert.Contains(t, f.events, "Warning RolloutAborted "+msg)
			f.settle()
			cur = f.rollout()
			assert.Equal(t, v1alpha1.RolloutPhaseDegraded, cur.Status.Phase)
			assert.Equal(t, "RolloutAborted: Rollout aborted update to revision 2", cur.Status.Message)
			assert.Equal(t, map[string]int32{v1: 5, v2: 0}, f.sizes())
		})
	}
}

func TestPauseDoesNotCountTowardsDeadline(t *testing.T) {
	ro := seedRollout()
	ro.Spec.Strategy.Canary.Steps[1].Pause.Duration = nil // pause: {}
	f := newFixture(t, ro, successRateTemplate())
	f.settle()
	f.setArgs("Version 2")
	f.settle()
	require.Equal(t, int32(1), *f.rollout().Status.CurrentStepIndex)
	assert.Zero(t, f.lastResult.RequeueAfter, "an indefinite pause waits for a promote")

	f.clock.Step(2 * time.Hour)
	f.settle()
	cur := f.rollout()
	assert.Equal(t, v1alpha1.RolloutPhasePaused, cur.Status.Phase)
	assert.Equal(t, "CanaryPauseStep", cur.Status.Message)

	f.operate(OpPromote)
	f.settle()
	cur = f.rollout()
	assert.Equal(t, int32(2), *cur.Status.CurrentStepIndex)
	assert.Equal(t, v1alpha1.RolloutPhaseProgressing, cur.Status.Phase, "two hours of pause are no missed deadline")
	prog := f.condition(v1alpha1.RolloutProgressing)
	assert.Equal(t, corev1.ConditionTrue, prog.Status)
	assert.Equal(t, f.clock.Now().Unix(), prog.LastUpdateTime.Unix(), "resuming restarts the progress clock")
}

func TestUserPauseHaltsScaling(t *testing.T) {
	f, v1 := deployed(t)
	f.operate(OpPause)
	f.setArgs("Version 2")
	f.settle()
	cur := f.rollout()
	assert.Equal(t, v1alpha1.RolloutPhasePaused, cur.Status.Phase)
	assert.Equal(t, "manually paused", cur.Status.Message)
	v2 := cur.Status.CurrentPodHash
	assert.Equal(t, map[string]int32{v1: 5, v2: 0}, f.sizes())

	f.operate(OpPromote)
	assert.False(t, f.rollout().Spec.Paused)
	f.settle()
	assert.Equal(t, map[string]int32{v1: 4, v2: 1}, f.sizes())
}

func TestRollbackToStableSkipsSteps(t *testing.T) {
	f, v1 := deployed(t)
	f.setArgs("Version 2")
	f.settle()
	v2 := f.rollout().Status.CurrentPodHash

	// Back to the stable template in the middle of the update.
	f.setArgs("Version 1 - Healthy")
	f.settle()
	cur := f.rollout()
	assert.Equal(t, v1, cur.Status.CurrentPodHash)
	assert.Equal(t, v1alpha1.RolloutPhaseHealthy, cur.Status.Phase, cur.Status.Message)
	assert.Equal(t, int32(7), *cur.Status.CurrentStepIndex)
	assert.Equal(t, map[string]int32{v1: 5, v2: 0}, f.sizes())
	assert.Equal(t, "3", cur.Annotations[AnnotationRevision])
	rs := f.replicaSet(v1)
	assert.Equal(t, "3", rs.Annotations[AnnotationRevision])
	assert.Equal(t, "1", rs.Annotations[AnnotationRevisionHistory])
	assert.Contains(t, f.events, "Normal SkipSteps Rollback to stable ReplicaSets")
}

func TestScalingEvent(t *testing.T) {
	f, v1 := deployed(t)
	ro := f.rollout()
	ro.Spec.Replicas = i32(7)
	ro.Generation++
	require.NoError(t, f.c.Update(f.ctx, ro))
	f.settle()
	rs := f.replicaSet(v1)
	assert.Equal(t, int32(7), rsReplicas(rs))
	assert.Equal(t, "7", rs.Annotations[AnnotationDesiredReplicas])
	cur := f.rollout()
	assert.Equal(t, v1alpha1.RolloutPhaseHealthy, cur.Status.Phase)
	assert.Equal(t, int32(7), cur.Status.AvailableReplicas)
	assert.Equal(t, int32(7), cur.Status.HPAReplicas)
}

func TestReplicasDefaultToOne(t *testing.T) {
	ro := seedRollout()
	ro.Spec.Replicas = nil
	f := newFixture(t, ro, successRateTemplate())
	f.reconcile()
	got := f.rollout()
	require.NotNil(t, got.Spec.Replicas)
	assert.Equal(t, int32(1), *got.Spec.Replicas)
	assert.Empty(t, f.replicaSets(), "the defaulting write ends the reconcile")
}

func TestRevisionHistoryLimit(t *testing.T) {
	f, _ := deployed(t)
	var hashes []string
	hashes = append(hashes, f.rollout().Status.StableRS)
	for i := 2; i <= 6; i++ {
		f.clock.Step(time.Minute)
		f.setArgs("Version " + string(rune('0'+i)))
		f.settle()
		f.operate(OpPromoteFull)
		f.settle()
		cur := f.rollout()
		require.Equal(t, v1alpha1.RolloutPhaseHealthy, cur.Status.Phase, cur.Status.Message)
		hashes = append(hashes, cur.Status.StableRS)
	}
	// revisionHistoryLimit 3: the stable plus the three newest old ReplicaSets remain.
	var names []string
	for _, rs := range f.replicaSets() {
		names = append(names, podHashOf(rs))
	}
	assert.ElementsMatch(t, hashes[2:], names)
	assert.Contains(t, f.events, "Normal RolloutCompleted Rollout completed update to revision 6 ("+hashes[5]+"): Full promotion requested")
}

func TestTrafficRoutedCanaryWithNoopRouter(t *testing.T) {
	ro := withServices(seedRollout())
	ro.Spec.Strategy.Canary.TrafficRouting = &v1alpha1.RolloutTrafficRouting{Nginx: &v1alpha1.NginxTrafficRouting{StableIngress: "demo-app"}}
	f := newFixture(t, ro, successRateTemplate(), service("demo-app-stable"), service("demo-app-canary"))
	f.settle()
	v1 := f.rollout().Status.StableRS
	w := f.rollout().Status.Canary.Weights
	require.NotNil(t, w)
	assert.Equal(t, int32(0), w.Canary.Weight)
	assert.Equal(t, int32(100), w.Stable.Weight)

	f.setArgs("Version 2")
	f.settle()
	cur := f.rollout()
	v2 := cur.Status.CurrentPodHash
	// With traffic routing the stable keeps every pod; the canary gets ceil(20% of 5).
	assert.Equal(t, map[string]int32{v1: 5, v2: 1}, f.sizes())
	w = cur.Status.Canary.Weights
	require.NotNil(t, w)
	assert.Equal(t, v1alpha1.WeightDestination{Weight: 20, PodTemplateHash: v2, ServiceName: "demo-app-canary"}, w.Canary)
	assert.Equal(t, v1alpha1.WeightDestination{Weight: 80, PodTemplateHash: v1, ServiceName: "demo-app-stable"}, w.Stable)
	assert.Contains(t, f.events, "Normal TrafficWeightUpdated Traffic weight updated from 0 to 20")
	assert.Equal(t, v1alpha1.RolloutPhasePaused, cur.Status.Phase)

	// Abort: the weight goes back at once, the canary waits out abortScaleDownDelaySeconds (30s).
	f.operate(OpAbort)
	f.settle()
	cur = f.rollout()
	assert.Equal(t, int32(0), cur.Status.Canary.Weights.Canary.Weight)
	assert.Equal(t, int32(100), cur.Status.Canary.Weights.Stable.Weight)
	assert.Equal(t, map[string]int32{v1: 5, v2: 1}, f.sizes())
	deadline := f.replicaSet(v2).Annotations[AnnotationScaleDownDeadline]
	assert.Equal(t, f.clock.Now().Add(30*time.Second).UTC().Format(time.RFC3339), deadline)
	assert.Equal(t, 30*time.Second, f.lastResult.RequeueAfter)
	assert.Equal(t, v1, f.service("demo-app-canary").Spec.Selector[v1alpha1.DefaultRolloutUniqueLabelKey])

	f.clock.Step(30 * time.Second)
	f.settle()
	assert.Equal(t, map[string]int32{v1: 5, v2: 0}, f.sizes())
	// As in Argo, the deadline stays on the scaled-down canary while the Rollout is aborted.
	assert.Contains(t, f.replicaSet(v2).Annotations, AnnotationScaleDownDeadline)
	assert.Zero(t, f.lastResult.RequeueAfter)
}

func TestTrafficRoutedPromotionKeepsOldStableForScaleDownDelay(t *testing.T) {
	ro := withServices(seedRollout())
	ro.Spec.Strategy.Canary.TrafficRouting = &v1alpha1.RolloutTrafficRouting{Nginx: &v1alpha1.NginxTrafficRouting{StableIngress: "demo-app"}}
	f := newFixture(t, ro, successRateTemplate(), service("demo-app-stable"), service("demo-app-canary"))
	f.settle()
	v1 := f.rollout().Status.StableRS
	f.setArgs("Version 2")
	f.settle()
	v2 := f.rollout().Status.CurrentPodHash

	f.operate(OpPromoteFull)
	f.settle()
	cur := f.rollout()
	assert.Equal(t, v2, cur.Status.StableRS)
	assert.Equal(t, v1alpha1.RolloutPhaseHealthy, cur.Status.Phase, cur.Status.Message)
	// Once promoted, Argo records the new stable with all the weight (and the canary with none).
	assert.Equal(t, v1alpha1.WeightDestination{Weight: 100, PodTemplateHash: v2, ServiceName: "demo-app-stable"}, cur.Status.Canary.Weights.Stable)
	assert.Equal(t, int32(0), cur.Status.Canary.Weights.Canary.Weight)
	assert.Equal(t, map[string]int32{v1: 5, v2: 5}, f.sizes(), "the old stable waits for scaleDownDelaySeconds")
	assert.NotEmpty(t, f.replicaSet(v1).Annotations[AnnotationScaleDownDeadline])
	assert.Equal(t, v2, f.service("demo-app-stable").Spec.Selector[v1alpha1.DefaultRolloutUniqueLabelKey])

	f.clock.Step(30 * time.Second)
	f.settle()
	assert.Equal(t, map[string]int32{v1: 0, v2: 5}, f.sizes())
}

func TestRetryAfterFailedRunCreatesNewRun(t *testing.T) {
	f, _ := deployed(t)
	_, name := toAnalysisStep(t, f)
	f.finishRun(name, v1alpha1.AnalysisPhaseFailed, "bad")
	f.settle()
	f.operate(OpRetry)
	f.settle()
	f.clock.Step(30 * time.Second)
	f.settle()
	cur := f.rollout()
	require.NotNil(t, cur.Status.Canary.CurrentStepAnalysisRunStatus)
	assert.Equal(t, name+".1", cur.Status.Canary.CurrentStepAnalysisRunStatus.Name)
	assert.Equal(t, v1alpha1.AnalysisPhaseFailed, f.analysisRun(name).Status.Phase, "the failed run is kept")
	assert.False(t, cur.Status.Abort)
}

func TestTemplateDeletedLaterMakesSpecInvalid(t *testing.T) {
	f, _ := deployed(t)
	require.NoError(t, f.c.Delete(f.ctx, successRateTemplate()))
	f.setArgs("Version 2")
	f.settle()
	f.clock.Step(30 * time.Second)
	var err error
	for i := 0; i < 5 && err == nil; i++ {
		_, err = f.r.Reconcile(f.ctx, reconcileRequest(f))
	}
	require.Error(t, err, "the run cannot be built without its template")
	assert.Equal(t, int32(2), *f.rollout().Status.CurrentStepIndex)
	res := f.reconcile()
	assert.Equal(t, 20*time.Second, res.RequeueAfter)
	assert.Equal(t, `InvalidSpec: The Rollout "demo-app" is invalid: spec.strategy.canary.steps[2].analysis.templates: Invalid value: "success-rate-check": AnalysisTemplate 'success-rate-check' not found`,
		f.rollout().Status.Message)
}
