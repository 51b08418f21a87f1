package rollout

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

// deployed returns a fixture whose seed Rollout finished its first deploy, and the stable hash.
func deployed(t *testing.T) (*fixture, string) {
	f := newFixture(t, seedRollout(), successRateTemplate())
	f.settle()
	ro := f.rollout()
	require.Equal(t, v1alpha1.RolloutPhaseHealthy, ro.Status.Phase, ro.Status.Message)
	return f, ro.Status.StableRS
}

// toAnalysisStep updates the seed Rollout and runs it to the analysis step; it returns the new
// pod hash and the step AnalysisRun's name.
func toAnalysisStep(t *testing.T, f *fixture) (string, string) {
	f.setArgs("Version 2")
	f.settle()
	ro := f.rollout()
	require.Equal(t, int32(1), *ro.Status.CurrentStepIndex)
	f.clock.Step(30 * time.Second)
	f.settle()
	ro = f.rollout()
	require.Equal(t, int32(2), *ro.Status.CurrentStepIndex)
	require.NotNil(t, ro.Status.Canary.CurrentStepAnalysisRunStatus)
	return ro.Status.CurrentPodHash, ro.Status.Canary.CurrentStepAnalysisRunStatus.Name
}

func TestFirstDeployGoesHealthy(t *testing.T) {
	f := newFixture(t, seedRollout(), successRateTemplate())

	// First reconcile: the ReplicaSet for revision 1 with zero pods.
	f.reconcile()
	rss := f.replicaSets()
	require.Len(t, rss, 1)
	rs := rss[0]
	hash := ComputePodTemplateHash(&seedRollout().Spec.Template, nil)
	assert.Equal(t, "demo-app-"+hash, rs.Name)
	assert.Equal(t, hash, rs.Labels[v1alpha1.DefaultRolloutUniqueLabelKey])
	assert.Equal(t, "demo-app", rs.Labels["app"])
	assert.Equal(t, hash, rs.Spec.Selector.MatchLabels[v1alpha1.DefaultRolloutUniqueLabelKey])
	assert.Equal(t, hash, rs.Spec.Template.Labels[v1alpha1.DefaultRolloutUniqueLabelKey])
	assert.Equal(t, "1", rs.Annotations[AnnotationRevision])
	assert.Equal(t, "5", rs.Annotations[AnnotationDesiredReplicas])
	assert.Equal(t, int32(0), rsReplicas(rs))
	require.Len(t, rs.OwnerReferences, 1)
	assert.Equal(t, "Rollout", rs.OwnerReferences[0].Kind)
	assert.Equal(t, "argoproj.io/v1alpha1", rs.OwnerReferences[0].APIVersion)
	assert.Equal(t, seedRollout().UID, rs.OwnerReferences[0].UID)
	assert.True(t, *rs.OwnerReferences[0].Controller)

	ro := f.rollout()
	assert.Equal(t, "1", ro.Annotations[AnnotationRevision])
	assert.Equal(t, v1alpha1.RolloutPhaseProgressing, ro.Status.Phase)
	assert.Equal(t, PhaseMsgMoreReplicas, ro.Status.Message)
	assert.Equal(t, int32(0), *ro.Status.CurrentStepIndex)
	assert.Equal(t, ComputeStepHash(seedRollout()), ro.Status.CurrentStepHash)
	assert.Equal(t, hash, ro.Status.CurrentPodHash)

	// Second: the first deploy skips the steps and scales straight to 5.
	f.reconcile()
	assert.Equal(t, int32(5), rsReplicas(f.replicaSet(hash)))
	ro = f.rollout()
	assert.Equal(t, hash, ro.Status.StableRS)
	assert.Equal(t, int32(7), *ro.Status.CurrentStepIndex)

	f.runReplicaSetController()
	f.settle()
	ro = f.rollout()
	assert.Equal(t, v1alpha1.RolloutPhaseHealthy, ro.Status.Phase)
	assert.Equal(t, "", ro.Status.Message)
	assert.Equal(t, int32(5), ro.Status.AvailableReplicas)
	assert.Equal(t, int32(5), ro.Status.UpdatedReplicas)
	assert.Equal(t, "app=demo-app", ro.Status.Selector)
	assert.Equal(t, "1", ro.Status.ObservedGeneration)
	assert.Equal(t, corev1.ConditionTrue, f.condition(v1alpha1.RolloutHealthy).Status)
	assert.Equal(t, corev1.ConditionTrue, f.condition(v1alpha1.RolloutCompleted).Status)
	assert.Equal(t, corev1.ConditionTrue, f.condition(v1alpha1.RolloutAvailable).Status)
	prog := f.condition(v1alpha1.RolloutProgressing)
	assert.Equal(t, ReasonNewReplicaSetAvailable, prog.Reason)
	assert.Equal(t, `ReplicaSet "demo-app-`+hash+`" has successfully progressed.`, prog.Message)
	assert.Nil(t, ro.Status.Canary.Weights, "a basic canary has no traffic weights")
	assert.Zero(t, f.lastResult.RequeueAfter, "a healthy rollout needs no timer")

	assert.Contains(t, f.events, "Normal RolloutUpdated Rollout updated to revision 1")
	assert.Contains(t, f.events, "Normal NewReplicaSetCreated Created ReplicaSet demo-app-"+hash+" (revision 1)")
	assert.Contains(t, f.events, "Normal ScalingReplicaSet Scaled up ReplicaSet demo-app-"+hash+" (revision 1) from 0 to 5")
	assert.Contains(t, f.events, "Normal RolloutCompleted Rollout completed update to revision 1 ("+hash+"): Initial deploy")

	// A settled rollout writes nothing more.
	rv := f.rollout().ResourceVersion
	f.reconcile()
	assert.Equal(t, rv, f.rollout().ResourceVersion)
}

func TestSeedCanaryPromotes(t *testing.T) {
	f, stable := deployed(t)
	mark := len(f.events)

	f.setArgs("Version 2 - Also Healthy")
	f.settle()
	ro := f.rollout()
	canary := ro.Status.CurrentPodHash
	require.NotEqual(t, stable, canary)
	assert.Equal(t, "2", ro.Annotations[AnnotationRevision])
	assert.Equal(t, "2", f.replicaSet(canary).Annotations[AnnotationRevision])

	// setWeight 20 of 5 pods with 25%/25%: 1 canary, 4 stable; then the 30s pause.
	assert.Equal(t, map[string]int32{stable: 4, canary: 1}, f.sizes())
	assert.Equal(t, int32(1), *ro.Status.CurrentStepIndex)
	assert.Equal(t, v1alpha1.RolloutPhasePaused, ro.Status.Phase)
	assert.Equal(t, "CanaryPauseStep", ro.Status.Message)
	require.Len(t, ro.Status.PauseConditions, 1)
	assert.True(t, ro.Status.ControllerPause)
	assert.Equal(t, 30*time.Second, f.lastResult.RequeueAfter)
	assert.Equal(t, ReasonRolloutPaused, f.condition(v1alpha1.RolloutProgressing).Reason)
	assert.Equal(t, corev1.ConditionTrue, f.condition(v1alpha1.RolloutPaused).Status)
	events := f.eventsSince(mark)
	assert.Contains(t, events, "Normal RolloutUpdated Rollout updated to revision 2")
	assert.Contains(t, events, "Normal ScalingReplicaSet Scaled down ReplicaSet demo-app-"+stable+" (revision 1) from 5 to 4")
	assert.Contains(t, events, "Normal ScalingReplicaSet Scaled up ReplicaSet demo-app-"+canary+" (revision 2) from 0 to 1")
	assert.Contains(t, events, "Normal RolloutStepCompleted Rollout step 1/7 completed (setWeight: 20)")
	assert.Contains(t, events, "Normal RolloutPaused Rollout is paused (CanaryPauseStep)")

	// Not before the 30 seconds are over.
	f.clock.Step(29 * time.Second)
	f.settle()
	assert.Equal(t, int32(1), *f.rollout().Status.CurrentStepIndex)
	assert.Equal(t, time.Second, f.lastResult.RequeueAfter)

	mark = len(f.events)
	f.clock.Step(time.Second)
	f.settle()
	ro = f.rollout()
	assert.Equal(t, int32(2), *ro.Status.CurrentStepIndex)
	assert.Empty(t, ro.Status.PauseConditions)
	assert.False(t, ro.Status.ControllerPause)
	events = f.eventsSince(mark)
	assert.Contains(t, events, "Normal RolloutStepCompleted Rollout step 2/7 completed (pause: 30s)")
	assert.Contains(t, events, "Normal RolloutResumed Rollout is resumed")

	// The step AnalysisRun.
	name := "demo-app-" + canary + "-2-2"
	require.NotNil(t, ro.Status.Canary.CurrentStepAnalysisRunStatus)
	assert.Equal(t, name, ro.Status.Canary.CurrentStepAnalysisRunStatus.Name)
	ar := f.analysisRun(name)
	assert.Equal(t, map[string]string{
		v1alpha1.DefaultRolloutUniqueLabelKey: canary,
		v1alpha1.RolloutTypeLabel:             v1alpha1.RolloutTypeStepLabel,
		v1alpha1.RolloutCanaryStepIndexLabel:  "2",
		"app":                                 "demo-app",
	}, ar.Labels)
	assert.Equal(t, map[string]string{AnnotationRevision: "2"}, ar.Annotations)
	require.Len(t, ar.Spec.Args, 1)
	assert.Equal(t, "service-name", ar.Spec.Args[0].Name)
	assert.Equal(t, "demo-app", *ar.Spec.Args[0].Value)
	require.Len(t, ar.Spec.Metrics, 1)
	assert.Equal(t, "success-rate", ar.Spec.Metrics[0].Name)
	require.Len(t, ar.OwnerReferences, 1)
	assert.Equal(t, f.rollout().UID, ar.OwnerReferences[0].UID)
	assert.Equal(t, v1alpha1.RolloutPhaseProgressing, ro.Status.Phase)
	assert.Zero(t, f.lastResult.RequeueAfter, "an analysis step waits for the run, not for time")

	// A running run holds the step.
	f.finishRun(name, v1alpha1.AnalysisPhaseRunning, "")
	f.settle()
	assert.Equal(t, int32(2), *f.rollout().Status.CurrentStepIndex)
	assert.Equal(t, v1alpha1.AnalysisPhaseRunning, f.rollout().Status.Canary.CurrentStepAnalysisRunStatus.Status)

	mark = len(f.events)
	f.finishRun(name, v1alpha1.AnalysisPhaseSuccessful, "")
	f.settle()
	ro = f.rollout()
	// setWeight 50 of 5 pods picks 3 canary of 6 with surge: exactly 50%.
	assert.Equal(t, map[string]int32{stable: 3, canary: 3}, f.sizes())
	assert.Equal(t, int32(4), *ro.Status.CurrentStepIndex)
	assert.Nil(t, ro.Status.Canary.CurrentStepAnalysisRunStatus)
	events = f.eventsSince(mark)
	assert.Contains(t, events, "Normal AnalysisRunSuccessful Step Analysis Run '"+name+"' Status New: 'Successful' Previous: 'Running'")
	assert.Contains(t, events, "Normal RolloutStepCompleted Rollout step 3/7 completed (analysis)")
	assert.Contains(t, events, "Normal RolloutStepCompleted Rollout step 4/7 completed (setWeight: 50)")

	f.clock.Step(30 * time.Second)
	f.settle()
	assert.Equal(t, map[string]int32{stable: 1, canary: 4}, f.sizes())
	assert.Equal(t, int32(6), *f.rollout().Status.CurrentStepIndex)

	mark = len(f.events)
	f.clock.Step(30 * time.Second)
	f.settle()
	ro = f.rollout()
	assert.Equal(t, v1alpha1.RolloutPhaseHealthy, ro.Status.Phase, ro.Status.Message)
	assert.Equal(t, canary, ro.Status.StableRS)
	assert.Equal(t, int32(7), *ro.Status.CurrentStepIndex)
	assert.Equal(t, map[string]int32{stable: 0, canary: 5}, f.sizes())
	assert.Equal(t, corev1.ConditionTrue, f.condition(v1alpha1.RolloutCompleted).Status)
	events = f.eventsSince(mark)
	assert.Contains(t, events, "Normal RolloutStepCompleted Rollout step 7/7 completed (pause: 30s)")
	assert.Contains(t, events, "Normal RolloutCompleted Rollout completed update to revision 2 ("+canary+"): Completed all 7 canary steps")
	assert.Contains(t, events, "Normal ScalingReplicaSet Scaled down ReplicaSet demo-app-"+stable+" (revision 1) from 1 to 0")
	assert.Equal(t, v1alpha1.AnalysisPhaseSuccessful, f.analysisRun(name).Status.Phase, "a finished run is kept")
}

func TestFailedAnalysisAborts(t *testing.T) {
	f, stable := deployed(t)
	canary, name := toAnalysisStep(t, f)
	require.Equal(t, map[string]int32{stable: 4, canary: 1}, f.sizes())

	mark := len(f.events)
	runMsg := `Metric "success-rate" assessed Failed due to failed (1) > failureLimit (0)`
	f.finishRun(name, v1alpha1.AnalysisPhaseFailed, runMsg)
	f.reconcile()
	ro := f.rollout()
	want := "Rollout aborted update to revision 2: Step-based analysis phase error/failed: " + runMsg
	assert.True(t, ro.Status.Abort)
	require.NotNil(t, ro.Status.AbortedAt)
	assert.Equal(t, f.clock.Now().Unix(), ro.Status.AbortedAt.Unix())
	assert.Equal(t, v1alpha1.RolloutPhaseDegraded, ro.Status.Phase)
	assert.Equal(t, "RolloutAborted: "+want, ro.Status.Message)
	assert.Equal(t, int32(0), *ro.Status.CurrentStepIndex)
	prog := f.condition(v1alpha1.RolloutProgressing)
	assert.Equal(t, corev1.ConditionFalse, prog.Status)
	assert.Equal(t, ReasonRolloutAborted, prog.Reason)
	assert.Equal(t, want, prog.Message)
	events := f.eventsSince(mark)
	assert.Contains(t, events, "Warning AnalysisRunFailed Step Analysis Run '"+name+"' Status New: 'Failed' Previous: ''")
	assert.Contains(t, events, "Warning RolloutAborted "+want)

	// A basic canary scales back at once: the stable first, then the canary.
	f.runReplicaSetController()
	f.settle()
	ro = f.rollout()
	assert.Equal(t, map[string]int32{stable: 5, canary: 0}, f.sizes())
	assert.Equal(t, v1alpha1.RolloutPhaseDegraded, ro.Status.Phase)
	assert.Equal(t, "RolloutAborted: "+want, ro.Status.Message, "the abort message stays")
	assert.Equal(t, stable, ro.Status.StableRS)
	assert.Equal(t, int32(5), ro.Status.AvailableReplicas)
	assert.Equal(t, name, ro.Status.Canary.CurrentStepAnalysisRunStatus.Name, "the failed run stays recorded")
	assert.Equal(t, v1alpha1.AnalysisPhaseFailed, ro.Status.Canary.CurrentStepAnalysisRunStatus.Status)
	assert.Contains(t, f.events, "Normal ScalingReplicaSet Scaled down ReplicaSet demo-app-"+canary+" (revision 2) from 1 to 0")
}

func TestAbortTerminatesBackgroundRun(t *testing.T) {
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
	cur := f.rollout()
	canary := cur.Status.CurrentPodHash
	bgName := "demo-app-" + canary + "-2"
	require.NotNil(t, cur.Status.Canary.CurrentBackgroundAnalysisRunStatus, "background analysis starts at step 1")
	assert.Equal(t, bgName, cur.Status.Canary.CurrentBackgroundAnalysisRunStatus.Name)
	bg := f.analysisRun(bgName)
	assert.Equal(t, v1alpha1.RolloutTypeBackgroundRunLabel, bg.Labels[v1alpha1.RolloutTypeLabel])
	assert.NotContains(t, bg.Labels, v1alpha1.RolloutCanaryStepIndexLabel)
	f.finishRun(bgName, v1alpha1.AnalysisPhaseRunning, "")

	f.operate(OpAbort)
	f.settle()
	cur = f.rollout()
	assert.Equal(t, v1alpha1.RolloutPhaseDegraded, cur.Status.Phase)
	assert.Equal(t, "RolloutAborted: Rollout aborted update to revision 2", cur.Status.Message)
	assert.True(t, f.analysisRun(bgName).Spec.Terminate, "the running background run is terminated")
	assert.Equal(t, int32(0), f.sizes()[canary])
}

func TestBackgroundAnalysisFailureAborts(t *testing.T) {
	ro := seedRollout()
	ro.Spec.Strategy.Canary.Analysis = &v1alpha1.RolloutAnalysisBackground{
		RolloutAnalysis: v1alpha1.RolloutAnalysis{
			Templates: []v1alpha1.AnalysisTemplateRef{{TemplateName: "success-rate-check"}},
			Args:      []v1alpha1.AnalysisRunArgument{{Name: "service-name", Value: "demo-app"}},
		},
	}
	f := newFixture(t, ro, successRateTemplate())
	f.settle()
	f.setArgs("Version 2")
	f.settle()
	canary := f.rollout().Status.CurrentPodHash
	f.finishRun("demo-app-"+canary+"-2", v1alpha1.AnalysisPhaseError, "boom")
	f.settle()
	cur := f.rollout()
	assert.Equal(t, "RolloutAborted: Rollout aborted update to revision 2: Background analysis phase error/failed: boom", cur.Status.Message)
	assert.Equal(t, int32(0), f.sizes()[canary])
}

func TestInconclusiveAnalysisPauses(t *testing.T) {
	f, stable := deployed(t)
	canary, name := toAnalysisStep(t, f)

	mark := len(f.events)
	f.finishRun(name, v1alpha1.AnalysisPhaseInconclusive, "")
	f.settle()
	ro := f.rollout()
	assert.Equal(t, v1alpha1.RolloutPhasePaused, ro.Status.Phase)
	assert.Equal(t, "InconclusiveAnalysisRun", ro.Status.Message)
	require.Len(t, ro.Status.PauseConditions, 1)
	assert.Equal(t, v1alpha1.PauseReasonInconclusiveAnalysis, ro.Status.PauseConditions[0].Reason)
	assert.True(t, ro.Status.ControllerPause)
	assert.False(t, ro.Status.Abort)
	assert.Equal(t, int32(2), *ro.Status.CurrentStepIndex)
	assert.Equal(t, map[string]int32{stable: 4, canary: 1}, f.sizes(), "nothing scales while paused")
	assert.Contains(t, f.eventsSince(mark), "Normal RolloutPaused Rollout is paused (InconclusiveAnalysisRun)")

	// Promote moves past the inconclusive step.
	f.operate(OpPromote)
	ro = f.rollout()
	assert.Empty(t, ro.Status.PauseConditions)
	assert.Equal(t, int32(3), *ro.Status.CurrentStepIndex, "promote skips the inconclusive analysis step")
	f.settle()
	ro = f.rollout()
	assert.Equal(t, int32(4), *ro.Status.CurrentStepIndex)
	assert.Equal(t, map[string]int32{stable: 3, canary: 3}, f.sizes())
	assert.Equal(t, v1alpha1.RolloutPhasePaused, ro.Status.Phase)
}

func TestPromoteSkipsPause(t *testing.T) {
	f, stable := deployed(t)
	f.setArgs("Version 2")
	f.settle()
	require.Equal(t, int32(1), *f.rollout().Status.CurrentStepIndex)

	f.operate(OpPromote)
	ro := f.rollout()
	assert.Empty(t, ro.Status.PauseConditions, "promote clears the pause conditions")
	assert.True(t, ro.Status.ControllerPause)
	f.settle()
	ro = f.rollout()
	assert.Equal(t, int32(2), *ro.Status.CurrentStepIndex, "the pause step completed without waiting")
	assert.NotNil(t, ro.Status.Canary.CurrentStepAnalysisRunStatus)
	_ = stable
}

func TestPromoteFull(t *testing.T) {
	f, stable := deployed(t)
	f.setArgs("Version 2")
	f.settle()
	canary := f.rollout().Status.CurrentPodHash

	f.operate(OpPromoteFull)
	assert.True(t, f.rollout().Status.PromoteFull)
	f.settle()
	ro := f.rollout()
	assert.Equal(t, v1alpha1.RolloutPhaseHealthy, ro.Status.Phase, ro.Status.Message)
	assert.Equal(t, canary, ro.Status.StableRS)
	assert.False(t, ro.Status.PromoteFull)
	assert.Equal(t, int32(7), *ro.Status.CurrentStepIndex)
	assert.Equal(t, map[string]int32{stable: 0, canary: 5}, f.sizes())
	assert.Empty(t, f.analysisRuns(), "no analysis runs on a full promotion")
	assert.Contains(t, f.events, "Normal RolloutCompleted Rollout completed update to revision 2 ("+canary+"): Full promotion requested")
}

func TestAbortAndRetry(t *testing.T) {
	f, stable := deployed(t)
	canary, name := toAnalysisStep(t, f)
	f.finishRun(name, v1alpha1.AnalysisPhaseRunning, "")

	f.operate(OpAbort)
	f.settle()
	ro := f.rollout()
	assert.Equal(t, v1alpha1.RolloutPhaseDegraded, ro.Status.Phase)
	assert.Equal(t, "RolloutAborted: Rollout aborted update to revision 2", ro.Status.Message)
	assert.Equal(t, map[string]int32{stable: 5, canary: 0}, f.sizes())
	assert.True(t, f.analysisRun(name).Spec.Terminate, "the running step run is terminated")
	f.finishRun(name, v1alpha1.AnalysisPhaseSuccessful, "terminated")

	mark := len(f.events)
	f.operate(OpRetry)
	f.settle()
	ro = f.rollout()
	assert.False(t, ro.Status.Abort)
	assert.Nil(t, ro.Status.AbortedAt)
	assert.Equal(t, int32(1), *ro.Status.CurrentStepIndex, "the update starts again from the first step")
	assert.Equal(t, map[string]int32{stable: 4, canary: 1}, f.sizes())
	assert.Equal(t, v1alpha1.RolloutPhasePaused, ro.Status.Phase)
	assert.Contains(t, f.eventsSince(mark), "Normal RolloutStepCompleted Rollout step 1/7 completed (setWeight: 20)")

	// Back at the analysis step the run's name is taken by the finished run: ".1" is added.
	f.clock.Step(30 * time.Second)
	f.settle()
	ro = f.rollout()
	require.NotNil(t, ro.Status.Canary.CurrentStepAnalysisRunStatus)
	assert.Equal(t, name+".1", ro.Status.Canary.CurrentStepAnalysisRunStatus.Name)
	assert.Equal(t, v1alpha1.AnalysisPhase(""), f.analysisRun(name+".1").Status.Phase)
}

func TestNewTemplateWhileAbortedStartsNewUpdate(t *testing.T) {
	f, stable := deployed(t)
	_, name := toAnalysisStep(t, f)
	f.finishRun(name, v1alpha1.AnalysisPhaseFailed, "bad")
	f.settle()
	require.True(t, f.rollout().Status.Abort)

	f.setArgs("Version 3 - Fixed")
	f.settle()
	ro := f.rollout()
	assert.False(t, ro.Status.Abort)
	assert.Nil(t, ro.Status.AbortedAt)
	assert.Equal(t, "3", ro.Annotations[AnnotationRevision])
	assert.Equal(t, int32(1), *ro.Status.CurrentStepIndex)
	assert.Equal(t, v1alpha1.RolloutPhasePaused, ro.Status.Phase)
	v3 := ro.Status.CurrentPodHash
	assert.Equal(t, int32(1), f.sizes()[v3])
	assert.Equal(t, int32(4), f.sizes()[stable])
}
