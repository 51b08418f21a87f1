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
	// ReasonRolloutAddedToInformer is sent by a real cluster's driver, not by the reconciler.
	ReasonRolloutAddedToInformer = "RolloutAddedToInformer"
	ReasonRolloutCompleted       = "RolloutCompleted"
	ReasonRolloutNotCompleted    = "RolloutNotCompleted"
	ReasonRolloutHealthy         = "RolloutHealthy"
	ReasonRolloutAborted         = "RolloutAborted"
	ReasonRolloutRetry           = "RolloutRetry"
	ReasonRolloutPaused          = "RolloutPaused"
	ReasonRolloutResumed         = "RolloutResumed"
	ReasonRolloutStepCompleted   = "RolloutStepCompleted"
	ReasonScalingReplicaSet      = "ScalingReplicaSet"
	ReasonSwitchService          = "SwitchService"
	ReasonSkipSteps              = "SkipSteps"
	ReasonTrafficWeightUpdated   = "TrafficWeightUpdated"
	ReasonTrafficRoutingError    = "TrafficRoutingError"
	ReasonWeightVerifyError      = "WeightVerifyError"
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
	MsgRolloutAddedToInformer = "Rollout resource added to informer: %s/%s"
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

// Validation messages (Argo's pkg/apis/rollouts/validation and utils/conditions).
const (
	MsgMissingField                = "Rollout has missing field '%s'"
	MsgEmptySelector               = "empty selector is invalid for deployment"
	MsgInvalidSelector             = "invalid label selector"
	MsgSelectorNotMatchLabels      = "`selector` does not match template `labels`"
	MsgDeadlineBelowMinReady       = "must be greater than minReadySeconds"
	MsgInvalidSetWeight            = "SetWeight needs to be between 0 and %d"
	MsgExperimentWeightNoRouting   = "Experiment template weight cannot be set unless TrafficRouting is enabled"
	MsgExperimentWeightRouters     = "Experiment template weight is only available for TrafficRouting with SMI, ALB, Istio and Plugins at this time"
	MsgSetCanaryScaleRouting       = "SetCanaryScale requires TrafficRouting to be set"
	MsgSetHeaderRouteRouting       = "SetHeaderRoute requires TrafficRouting, supports Istio and ALB and Apisix"
	MsgSetMirrorRouteRouting       = "SetMirrorRoute requires TrafficRouting, supports Istio only"
	MsgStringMatchMultiple         = "StringMatch match value must have exactly one of the following: exact, regex, prefix"
	MsgStringMatchMissing          = "StringMatch value missed, match value must have one of the following: exact, regex, prefix"
	MsgInvalidDuration             = "Duration needs to be greater than 0"
	MsgMaxSurgeMaxUnavailable      = "MaxSurge and MaxUnavailable both can not be zero"
	MsgInvalidStep                 = "Step must have one of the following set: experiment, setWeight, setCanaryScale, plugin or pause"
	MsgMultipleStrategies          = "Multiple Strategies can not be listed"
	MsgDuplicatedServicesBG        = "This rollout uses the same service for the active and preview services, but two different services are required."
	MsgDuplicatedServicesCanary    = "This rollout uses the same service for the stable and canary services, but two different services are required."
	MsgAntiAffinityStrategy        = "AntiAffinity must have exactly one strategy listed"
	MsgAntiAffinityWeight          = "AntiAffinity weight must be between 1-100"
	MsgScaleDownLimitAboveHistory  = "This rollout's revision history limit can not be smaller than the rollout's scale down limit"
	MsgTrafficRoutingServices      = "Canary service and Stable service must to be set to use Traffic Routing"
	MsgInvalidAnalysisArgs         = "Analyses arguments must refer to valid object metadata supported by downwardAPI"
	MsgCanaryScaleDownDelay        = "Canary scaleDownDelaySeconds can only be used with traffic routing"
	MsgCanaryDynamicStableScale    = "Canary dynamicStableScale can only be used with traffic routing"
	MsgDynamicStableScaleWithDelay = "Canary dynamicStableScale cannot be used with scaleDownDelaySeconds"
	MsgMaxWeightNginxPlugins       = "Canary maxTrafficWeight in traffic routing only supported in Nginx and Plugins"
	MsgRouteNotInManagedRoutes     = "Steps define a route that does not exist in spec.strategy.canary.trafficRouting.managedRoutes"
	MsgServiceUnmatchedLabel       = "Service %q has unmatch label %q in rollout"
	MsgServiceManagedByOther       = "Service %q is managed by another Rollout"
	MsgMissingAnalysisArgs         = "missing analysis arguments in rollout spec"
	MsgMetricRunsForever           = "AnalysisTemplate %s has metric %s which runs indefinitely. Invalid value for count: %s"
	MsgWorkloadTemplateNotEmpty    = "template must be empty for workload reference rollout"
	MsgWorkloadNotSupported        = "workload of type %s/%s is not supported"
)

// More reasons for marking the desired ReplicaSet stable.
const (
	PromoteReasonBlueGreen          = "Completed blue-green update"
	PromoteReasonRollbackScaleDownF = "Rollback to '%s' within scaleDownDelay"
)

// Experiment step events and messages.
const (
	ReasonExperimentCreated = "ExperimentCreated"
	MsgExperimentCreated    = "Created Experiment '%s'"
	MsgExperimentFailed     = "Experiment analysis phase is error/failed"
)

// Blue-green analysis messages and run name infixes.
const (
	MsgPrePromotionAnalysisFail  = "Blue/green pre-promotion analysis phase error/failed"
	MsgPostPromotionAnalysisFail = "Blue/green post-promotion analysis phase error/failed"
	infixPrePromotion            = "pre"
	infixPostPromotion           = "post"
)
