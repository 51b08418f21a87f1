package rollout

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

func blueGreenRollout(pre bool) *v1alpha1.Rollout {
	ro := seedRollout()
	off := false
	bg := &v1alpha1.BlueGreenStrategy{ActiveService: "demo-app-active", PreviewService: "demo-app-preview", AutoPromotionEnabled: &off}
	if pre {
		bg.PrePromotionAnalysis = &v1alpha1.RolloutAnalysis{
			Templates: []v1alpha1.AnalysisTemplateRef{{TemplateName: "success-rate-check"}},
			Args:      []v1alpha1.AnalysisRunArgument{{Name: "service-name", Value: "demo-app"}},
		}
	}
	ro.Spec.Strategy = v1alpha1.RolloutStrategy{BlueGreen: bg}
	return ro
}

func bgFixture(t *testing.T, ro *v1alpha1.Rollout) *fixture {
	f := newFixture(t, ro, successRateTemplate(), service("demo-app-active"), service("demo-app-preview"))
	f.settle()
	return f
}

func (f *fixture) selector(svc string) string {
	return f.service(svc).Spec.Selector[v1alpha1.DefaultRolloutUniqueLabelKey]
}

func TestBlueGreenFirstDeploy(t *testing.T) {
	f := bgFixture(t, blueGreenRollout(false))
	ro := f.rollout()
	v1 := ro.Status.StableRS
	assert.NotEmpty(t, v1)
	assert.Equal(t, v1, f.selector("demo-app-active"))
	assert.Equal(t, v1, f.selector("demo-app-preview"))
	assert.Equal(t, v1alpha1.BlueGreenStatus{ActiveSelector: v1, PreviewSelector: v1}, ro.Status.BlueGreen)
	assert.Equal(t, v1alpha1.RolloutPhaseHealthy, ro.Status.Phase, ro.Status.Message)
	assert.Nil(t, ro.Status.CurrentStepIndex)
}

func TestBlueGreenPromotionInArgoOrder(t *testing.T) {
	f := bgFixture(t, blueGreenRollout(true))
	v1 := f.rollout().Status.StableRS
	f.setArgs("Version 2")
	f.settle()
	ro := f.rollout()
	v2 := ro.Status.CurrentPodHash
	// The preview follows the new ReplicaSet at once; users stay on the active v1.
	assert.Equal(t, map[string]int32{v1: 5, v2: 5}, f.sizes())
	assert.Equal(t, v2, f.selector("demo-app-preview"))
	assert.Equal(t, v1, f.selector("demo-app-active"))
	assert.Equal(t, v1alpha1.RolloutPhaseProgressing, ro.Status.Phase)
	assert.Equal(t, PhaseMsgActiveCutover, ro.Status.Message)
	pre := ro.Status.BlueGreen.PrePromotionAnalysisRunStatus
	require.NotNil(t, pre)
	assert.Equal(t, "demo-app-"+v2+"-2-pre", pre.Name)
	assert.Equal(t, v1alpha1.RolloutTypePrePromotionLabel, f.analysisRun(pre.Name).Labels[v1alpha1.RolloutTypeLabel])
	assert.Empty(t, ro.Status.PauseConditions, "no pause before the pre-promotion analysis succeeds")

	// Pre-promotion succeeds: the Rollout pauses for a promote (autoPromotionEnabled: false).
	f.finishRun(pre.Name, v1alpha1.AnalysisPhaseSuccessful, "")
	f.settle()
	ro = f.rollout()
	assert.Equal(t, v1alpha1.RolloutPhasePaused, ro.Status.Phase)
	assert.Equal(t, "BlueGreenPause", ro.Status.Message)
	assert.Equal(t, v1, f.selector("demo-app-active"))

	// promote: the active Service switches, the new ReplicaSet becomes stable, the old one waits
	// scaleDownDelaySeconds (30) before it is scaled down.
	f.operate(OpPromote)
	f.settle()
	ro = f.rollout()
	assert.Equal(t, v2, f.selector("demo-app-active"))
	assert.Equal(t, v2, ro.Status.StableRS)
	assert.Equal(t, v1alpha1.RolloutPhaseHealthy, ro.Status.Phase, ro.Status.Message)
	assert.Equal(t, map[string]int32{v1: 5, v2: 5}, f.sizes())
	assert.Contains(t, f.events, "Normal SwitchService Switched selector for service 'demo-app-active' from '"+v1+"' to '"+v2+"'")
	assert.Contains(t, f.events, "Normal RolloutCompleted Rollout completed update to revision 2 ("+v2+"): Completed blue-green update")
	f.clock.Step(30 * time.Second)
	f.settle()
	assert.Equal(t, map[string]int32{v1: 0, v2: 5}, f.sizes())
}

func TestBlueGreenPrePromotionFailureAborts(t *testing.T) {
	f := bgFixture(t, blueGreenRollout(true))
	v1 := f.rollout().Status.StableRS
	f.setArgs("Version 2")
	f.settle()
	ro := f.rollout()
	v2 := ro.Status.CurrentPodHash
	f.finishRun(ro.Status.BlueGreen.PrePromotionAnalysisRunStatus.Name, v1alpha1.AnalysisPhaseFailed, `Metric "success-rate" assessed Failed due to failed (1) > failureLimit (0)`)
	f.settle()
	ro = f.rollout()
	assert.True(t, ro.Status.Abort)
	assert.Equal(t, v1alpha1.RolloutPhaseDegraded, ro.Status.Phase)
	assert.Equal(t, `RolloutAborted: Rollout aborted update to revision 2: Blue/green pre-promotion analysis phase error/failed: Metric "success-rate" assessed Failed due to failed (1) > failureLimit (0)`, ro.Status.Message)
	assert.Equal(t, v1, f.selector("demo-app-active"), "the active Service never switched")
	assert.Equal(t, map[string]int32{v1: 5, v2: 5}, f.sizes(), "the preview waits abortScaleDownDelaySeconds")
	f.clock.Step(30 * time.Second)
	f.settle()
	assert.Equal(t, map[string]int32{v1: 5, v2: 0}, f.sizes())
	assert.Equal(t, v1, f.selector("demo-app-active"))
}

func TestBlueGreenAutoPromotionSecondsAndPostPromotion(t *testing.T) {
	ro := blueGreenRollout(false)
	bg := ro.Spec.Strategy.BlueGreen
	bg.AutoPromotionEnabled = nil
	bg.AutoPromotionSeconds = 60
	bg.ScaleDownDelaySeconds = i32(10)
	bg.PostPromotionAnalysis = &v1alpha1.RolloutAnalysis{
		Templates: []v1alpha1.AnalysisTemplateRef{{TemplateName: "success-rate-check"}},
		Args:      []v1alpha1.AnalysisRunArgument{{Name: "service-name", Value: "demo-app"}},
	}
	f := bgFixture(t, ro)
	v1 := f.rollout().Status.StableRS
	f.setArgs("Version 2")
	f.settle()
	v2 := f.rollout().Status.CurrentPodHash
	assert.Equal(t, "BlueGreenPause", f.rollout().Status.Message)
	assert.Equal(t, 60*time.Second, f.lastResult.RequeueAfter)
	f.clock.Step(60 * time.Second)
	f.settle()
	cur := f.rollout()
	assert.Equal(t, v2, f.selector("demo-app-active"), "auto-promoted after 60s")
	assert.Equal(t, v1, cur.Status.StableRS, "not stable until post-promotion analysis succeeds")
	assert.Equal(t, PhaseMsgWaitingAnalysis, cur.Status.Message)
	post := cur.Status.BlueGreen.PostPromotionAnalysisRunStatus
	require.NotNil(t, post)
	assert.Equal(t, "demo-app-"+v2+"-2-post", post.Name)
	f.finishRun(post.Name, v1alpha1.AnalysisPhaseSuccessful, "")
	f.settle()
	assert.Equal(t, v2, f.rollout().Status.StableRS)
	f.clock.Step(10 * time.Second)
	f.settle()
	assert.Equal(t, map[string]int32{v1: 0, v2: 5}, f.sizes())
}

func TestBlueGreenPreviewReplicaCount(t *testing.T) {
	ro := blueGreenRollout(false)
	ro.Spec.Strategy.BlueGreen.PreviewReplicaCount = i32(1)
	f := bgFixture(t, ro)
	v1 := f.rollout().Status.StableRS
	f.setArgs("Version 2")
	f.settle()
	v2 := f.rollout().Status.CurrentPodHash
	assert.Equal(t, map[string]int32{v1: 5, v2: 1}, f.sizes(), "one preview pod")
	assert.Equal(t, "BlueGreenPause", f.rollout().Status.Message)
	f.operate(OpPromote)
	f.settle()
	cur := f.rollout()
	assert.Equal(t, v2, cur.Status.StableRS)
	assert.Equal(t, v2, f.selector("demo-app-active"))
	assert.Equal(t, int32(5), f.sizes()[v2], "scaled up to full size before the switch")
}
