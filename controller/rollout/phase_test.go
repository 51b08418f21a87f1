package rollout

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

func TestCalculateRolloutPhase(t *testing.T) {
	canary := v1alpha1.RolloutSpec{Replicas: i32(5), Strategy: v1alpha1.RolloutStrategy{Canary: &v1alpha1.CanaryStrategy{}}}
	routed := v1alpha1.RolloutSpec{Replicas: i32(5), Strategy: v1alpha1.RolloutStrategy{Canary: &v1alpha1.CanaryStrategy{TrafficRouting: &v1alpha1.RolloutTrafficRouting{}}}}
	blueGreen := v1alpha1.RolloutSpec{Replicas: i32(5), Strategy: v1alpha1.RolloutStrategy{BlueGreen: &v1alpha1.BlueGreenStrategy{ActiveService: "a"}}}
	blueGreenPost := v1alpha1.RolloutSpec{Replicas: i32(5), Strategy: v1alpha1.RolloutStrategy{BlueGreen: &v1alpha1.BlueGreenStrategy{ActiveService: "a", PostPromotionAnalysis: &v1alpha1.RolloutAnalysis{}}}}
	paused := canary
	paused.Paused = true
	restart := canary
	restart.RestartAt = &metav1.Time{Time: time.Unix(100, 0)}
	done := v1alpha1.RolloutStatus{Replicas: 5, UpdatedReplicas: 5, AvailableReplicas: 5, StableRS: "a", CurrentPodHash: "a"}
	with := func(s v1alpha1.RolloutStatus, f func(*v1alpha1.RolloutStatus)) v1alpha1.RolloutStatus {
		f(&s)
		return s
	}
	cond := func(t v1alpha1.RolloutConditionType, reason, msg string) v1alpha1.RolloutCondition {
		return v1alpha1.RolloutCondition{Type: t, Reason: reason, Message: msg}
	}

	tests := []struct {
		name    string
		spec    v1alpha1.RolloutSpec
		status  v1alpha1.RolloutStatus
		phase   v1alpha1.RolloutPhase
		message string
	}{
		{"healthy", canary, done, v1alpha1.RolloutPhaseHealthy, ""},
		{"aborted", canary, with(done, func(s *v1alpha1.RolloutStatus) {
			s.Conditions = []v1alpha1.RolloutCondition{cond(v1alpha1.RolloutProgressing, ReasonRolloutAborted, "Rollout aborted update to revision 2: Step-based analysis phase error/failed: x")}
		}), v1alpha1.RolloutPhaseDegraded, "RolloutAborted: Rollout aborted update to revision 2: Step-based analysis phase error/failed: x"},
		{"progress deadline", canary, with(done, func(s *v1alpha1.RolloutStatus) {
			s.Conditions = []v1alpha1.RolloutCondition{cond(v1alpha1.RolloutProgressing, ReasonProgressDeadlineExceeded, `ReplicaSet "ro-abc" has timed out progressing.`)}
		}), v1alpha1.RolloutPhaseDegraded, `ProgressDeadlineExceeded: ReplicaSet "ro-abc" has timed out progressing.`},
		{"invalid spec wins", canary, with(done, func(s *v1alpha1.RolloutStatus) {
			s.Conditions = []v1alpha1.RolloutCondition{cond(v1alpha1.InvalidSpec, ReasonInvalidSpec, "bad")}
		}), v1alpha1.RolloutPhaseDegraded, "InvalidSpec: bad"},
		{"manually paused", paused, done, v1alpha1.RolloutPhasePaused, "manually paused"},
		{"pause step", canary, with(done, func(s *v1alpha1.RolloutStatus) {
			s.PauseConditions = []v1alpha1.PauseCondition{{Reason: v1alpha1.PauseReasonCanaryPauseStep}}
		}), v1alpha1.RolloutPhasePaused, "CanaryPauseStep"},
		{"inconclusive", canary, with(done, func(s *v1alpha1.RolloutStatus) {
			s.PauseConditions = []v1alpha1.PauseCondition{{Reason: v1alpha1.PauseReasonInconclusiveAnalysis}}
		}), v1alpha1.RolloutPhasePaused, "InconclusiveAnalysisRun"},
		{"restarting", restart, done, v1alpha1.RolloutPhaseProgressing, "rollout is restarting"},
		{"more replicas", canary, with(done, func(s *v1alpha1.RolloutStatus) { s.UpdatedReplicas = 1 }), v1alpha1.RolloutPhaseProgressing, "more replicas need to be updated"},
		{"becoming available", canary, with(done, func(s *v1alpha1.RolloutStatus) { s.AvailableReplicas = 4 }), v1alpha1.RolloutPhaseProgressing, "updated replicas are still becoming available"},
		{"old replicas", canary, with(done, func(s *v1alpha1.RolloutStatus) { s.Replicas = 6 }), v1alpha1.RolloutPhaseProgressing, "old replicas are pending termination"},
		{"old replicas with routing", routed, with(done, func(s *v1alpha1.RolloutStatus) { s.Replicas = 6 }), v1alpha1.RolloutPhaseHealthy, ""},
		{"steps", canary, with(done, func(s *v1alpha1.RolloutStatus) { s.CurrentPodHash = "b" }), v1alpha1.RolloutPhaseProgressing, "waiting for all steps to complete"},
		{"blue-green healthy", blueGreen, with(done, func(s *v1alpha1.RolloutStatus) { s.BlueGreen.ActiveSelector = "a" }), v1alpha1.RolloutPhaseHealthy, ""},
		{"blue-green cutover", blueGreen, with(done, func(s *v1alpha1.RolloutStatus) {
			s.CurrentPodHash, s.BlueGreen.ActiveSelector = "b", "a"
		}), v1alpha1.RolloutPhaseProgressing, "active service cutover pending"},
		{"blue-green verification", blueGreen, with(done, func(s *v1alpha1.RolloutStatus) {
			s.CurrentPodHash, s.BlueGreen.ActiveSelector = "b", "b"
		}), v1alpha1.RolloutPhaseProgressing, "waiting for post-promotion verification to complete"},
		{"blue-green post-promotion analysis", blueGreenPost, with(done, func(s *v1alpha1.RolloutStatus) {
			s.CurrentPodHash, s.BlueGreen.ActiveSelector = "b", "b"
			s.BlueGreen.PostPromotionAnalysisRunStatus = &v1alpha1.RolloutAnalysisRunStatus{Status: v1alpha1.AnalysisPhaseRunning}
		}), v1alpha1.RolloutPhaseProgressing, "waiting for analysis to complete"},
		{"blue-green pause", blueGreen, with(done, func(s *v1alpha1.RolloutStatus) {
			s.PauseConditions = []v1alpha1.PauseCondition{{Reason: v1alpha1.PauseReasonBlueGreenPause}}
		}), v1alpha1.RolloutPhasePaused, "BlueGreenPause"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			phase, msg := CalculateRolloutPhase(tc.spec, tc.status)
			assert.Equal(t, tc.phase, phase)
			assert.Equal(t, tc.message, msg)
		})
	}
}
