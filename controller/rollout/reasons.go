package rollout

// Event and condition reasons, with Argo Rollouts' exact text (utils/conditions and rollout/).
const (
	ReasonInvalidSpec              = "InvalidSpec"
	ReasonAvailable                = "AvailableReason"
	ReasonReplicaSetUpdated        = "ReplicaSetUpdated"
	ReasonReplicaSetCreateError    = "ReplicaSetCreateError"
	ReasonNewReplicaSetCreated     = "NewReplicaSetCreated"
	ReasonFoundNewReplicaSet       = "FoundNewReplicaSet"
	ReasonNewReplicaSetAvailable   = "NewReplicaSetAvailable"
	ReasonReplicaSetNotAvailable   = "ReplicaSetNotAvailable"
	ReasonProgressDeadlineExceeded = "ProgressDeadlineExceeded"
	ReasonRolloutUpdated           = "RolloutUpdated"
	ReasonRolloutCompleted         = "RolloutCompleted"
	ReasonRolloutNotCompleted      = "RolloutNotCompleted"
	ReasonRolloutHealthy           = "RolloutHealthy"
	ReasonRolloutAborted           = "RolloutAborted"
	ReasonRolloutRetry             = "RolloutRetry"
	ReasonRolloutPaused            = "RolloutPaused"
	ReasonRolloutResumed           = "RolloutResumed"
	ReasonRolloutStepCompleted     = "RolloutStepCompleted"
	ReasonScalingReplicaSet        = "ScalingReplicaSet"
	ReasonSwitchService            = "SwitchService"
	ReasonSkipSteps                = "SkipSteps"
	ReasonTrafficWeightUpdated     = "TrafficWeightUpdated"
	ReasonTrafficRoutingError      = "TrafficRoutingError"
	ReasonWeightVerifyError        = "WeightVerifyError"
	// ReasonAnalysisRunPrefix is followed by the run's phase: AnalysisRunFailed, AnalysisRunSuccessful, ...
	ReasonAnalysisRunPrefix = "AnalysisRun"
	// ReasonAnalysisRunFailed is the event reason when a run of the Rollout fails.
	ReasonAnalysisRunFailed = ReasonAnalysisRunPrefix + "Failed"
)

// Condition and event messages; the ones with verbs are fmt formats.
const (
	MsgAvailable              = "Rollout has minimum availability"
	MsgNotAvailable           = "Rollout does not have minimum availability"
	MsgRolloutProgressing     = "Rollout %q is progressing."
	MsgReplicaSetProgressing  = "ReplicaSet %q is progressing."
	MsgReplicaSetCompleted    = "ReplicaSet %q has successfully progressed."
	MsgRolloutTimeOut         = "Rollout %q has timed out progressing."
	MsgReplicaSetTimeOut      = "ReplicaSet %q has timed out progressing."
	MsgFailedRSCreate         = "Failed to create new replica set %q: %v"
	MsgNewReplicaSet          = "Created new replica set %q"
	MsgNewReplicaSetDetailed  = "Created ReplicaSet %s (revision %d)"
	MsgFoundNewReplicaSet     = "Found new replica set %q"
	MsgRolloutUpdated         = "Rollout updated to revision %s"
	MsgRolloutCompleted       = "Rollout completed update to revision %d (%s): %s"
	MsgRolloutNotCompleted    = "Rollout not completed, started update to revision %d (%s)"
	MsgRolloutHealthy         = "Rollout is healthy"
	MsgRolloutNotHealthy      = "Rollout is not healthy"
	MsgRolloutAborted         = "Rollout aborted update to revision %d"
	MsgRolloutRetry           = "Retrying Rollout after abort"
	MsgRolloutPaused          = "Rollout is paused"
	MsgRolloutResumed         = "Rollout is resumed"
	MsgRolloutStepCompleted   = "Rollout step %d/%d completed (%s)"
	MsgScalingReplicaSet      = "Scaled %s ReplicaSet %s (revision %d) from %d to %d"
	MsgSwitchService          = "Switched selector for service '%s' from '%s' to '%s'"
	MsgRollbackToStable       = "Rollback to stable ReplicaSets"
	MsgRollbackWithinWindow   = "Rollback to active ReplicaSets within RollbackWindow"
	MsgTrafficWeightUpdated   = "Traffic weight updated %s"
	MsgWeightVerifyError      = "Failed to verify weight: %s"
	MsgAnalysisRunStatus      = "%s Analysis Run '%s' Status New: '%s' Previous: '%s'"
	MsgNoPreviousStatus       = "NoPreviousStatus"
	MsgStepAnalysisFailed     = "Step-based analysis phase error/failed"
	MsgBackgroundAnalysisFail = "Background analysis phase error/failed"
	MsgInvalidSpec            = "The Rollout \"%s\" is invalid: %s"
	MsgTemplateNotFound       = "AnalysisTemplate '%s' not found"
	MsgClusterTemplateMissing = "ClusterAnalysisTemplate '%s' not found"
)

// Reasons given for marking the desired ReplicaSet stable (the last part of MsgRolloutCompleted).
const (
	PromoteReasonInitialDeploy   = "Initial deploy"
	PromoteReasonFull            = "Full promotion requested"
	PromoteReasonRollbackWindow  = "Rollback within window"
	PromoteReasonCompletedStepsF = "Completed all %d canary steps"
)

// Phase messages of CalculateRolloutPhase (utils/rollout).
const (
	PhaseMsgManuallyPaused       = "manually paused"
	PhaseMsgRestarting           = "rollout is restarting"
	PhaseMsgMoreReplicas         = "more replicas need to be updated"
	PhaseMsgBecomingAvailable    = "updated replicas are still becoming available"
	PhaseMsgActiveCutover        = "active service cutover pending"
	PhaseMsgWaitingAnalysis      = "waiting for analysis to complete"
	PhaseMsgWaitingVerification  = "waiting for post-promotion verification to complete"
	PhaseMsgOldReplicasPending   = "old replicas are pending termination"
	PhaseMsgWaitingForSteps      = "waiting for all steps to complete"
	phaseMsgDegradedFormat       = "%s: %s"
	stepStringInvalid            = "invalid"
	trafficWeightToFormat        = "to %d"
	trafficWeightFromToFormat    = "from %d to %d"
	trafficWeightAdditionalFormt = "additional: %v"
)
