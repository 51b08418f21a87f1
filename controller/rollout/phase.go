package rollout

import (
	"fmt"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

// CalculateRolloutPhase is Argo's phase and message for a Rollout (utils/rollout): Degraded for an
// invalid spec, an abort or an exceeded progress deadline; Paused with the first pause reason;
// Progressing with what it waits for; else Healthy.
func CalculateRolloutPhase(spec v1alpha1.RolloutSpec, status v1alpha1.RolloutStatus) (v1alpha1.RolloutPhase, string) {
	for _, c := range status.Conditions {
		if c.Type == v1alpha1.InvalidSpec {
			return v1alpha1.RolloutPhaseDegraded, fmt.Sprintf(phaseMsgDegradedFormat, v1alpha1.InvalidSpec, c.Message)
		}
		if c.Reason == ReasonRolloutAborted || c.Reason == ReasonProgressDeadlineExceeded {
			return v1alpha1.RolloutPhaseDegraded, fmt.Sprintf(phaseMsgDegradedFormat, c.Reason, c.Message)
		}
	}
	if spec.Paused {
		return v1alpha1.RolloutPhasePaused, PhaseMsgManuallyPaused
	}
	if len(status.PauseConditions) > 0 {
		return v1alpha1.RolloutPhasePaused, string(status.PauseConditions[0].Reason)
	}
	if spec.RestartAt != nil && (status.RestartedAt == nil || !spec.RestartAt.Time.Equal(status.RestartedAt.Time)) {
		return v1alpha1.RolloutPhaseProgressing, PhaseMsgRestarting
	}
	if status.UpdatedReplicas < replicasOrDefault(spec.Replicas) {
		return v1alpha1.RolloutPhaseProgressing, PhaseMsgMoreReplicas
	}
	if status.AvailableReplicas < status.UpdatedReplicas {
		return v1alpha1.RolloutPhaseProgressing, PhaseMsgBecomingAvailable
	}
	fullyPromoted := status.StableRS == status.CurrentPodHash
	if b := spec.Strategy.BlueGreen; b != nil {
		if status.BlueGreen.ActiveSelector == "" || status.BlueGreen.ActiveSelector != status.CurrentPodHash {
			return v1alpha1.RolloutPhaseProgressing, PhaseMsgActiveCutover
		}
		if status.StableRS == "" || !fullyPromoted {
			if b.PostPromotionAnalysis != nil && (status.BlueGreen.PostPromotionAnalysisRunStatus == nil ||
				!status.BlueGreen.PostPromotionAnalysisRunStatus.Status.Completed()) {
				return v1alpha1.RolloutPhaseProgressing, PhaseMsgWaitingAnalysis
			}
			return v1alpha1.RolloutPhaseProgressing, PhaseMsgWaitingVerification
		}
	} else if c := spec.Strategy.Canary; c != nil {
		// Only a basic canary: with traffic routing the old stable may stay up for its scale-down delay.
		if c.TrafficRouting == nil && status.Replicas > status.UpdatedReplicas {
			return v1alpha1.RolloutPhaseProgressing, PhaseMsgOldReplicasPending
		}
		if status.StableRS == "" || !fullyPromoted {
			return v1alpha1.RolloutPhaseProgressing, PhaseMsgWaitingForSteps
		}
	}
	return v1alpha1.RolloutPhaseHealthy, ""
}
