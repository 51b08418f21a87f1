package experiment

import "time"

// Event reasons, condition reasons and messages, with Argo Rollouts' text (experiments/ and
// utils/conditions/experiments.go).
const (
	ReasonInvalidSpec         = "InvalidSpec"
	ReasonReplicaSetUpdated   = "ReplicaSetUpdated"
	ReasonNewRSAvailable      = "NewReplicaSetAvailable"
	ReasonExperimentCompleted = "ExperimentCompleted"
	ReasonScalingReplicaSet   = "ScalingReplicaSet"
	ReasonReplicaSetCreate    = "ReplicaSetCreateError"
	ReasonNewReplicaSet       = "NewReplicaSetCreated"
	ReasonRSUpdateError       = "ReplicaSetUpdateError"
	ReasonRunTerminating      = "AnalysisRunTerminating"
	// ReasonTemplatePrefix is followed by the template's new status: TemplateRunning, ...
	ReasonTemplatePrefix = "Template"
	// ReasonRunPrefix is followed by a run's new phase: AnalysisRunSuccessful, ...
	ReasonRunPrefix = "AnalysisRun"
	// ReasonExperimentPrefix is followed by the experiment's new phase: ExperimentRunning, ...
	ReasonExperimentPrefix = "Experiment"

	MsgProgressing        = "Experiment %q is progressing."
	MsgRunning            = "Experiment %q is running."
	MsgCompleted          = "Experiment %q has successfully ran and completed."
	MsgMissingField       = "Rollout has missing field '%s'"
	MsgSelectAll          = "This experiment is selecting all pods at index %d. A non-empty selector is required."
	MsgMinReadyOverDL     = "MinReadySeconds cannot be longer than ProgressDeadlineSeconds. Check template index %d"
	MsgTemplateNameEmpty  = "Experiment %s has empty template name at index %d"
	MsgTemplateNameRepeat = "Experiment %s has repeated template name '%s' in templates"
	MsgRequiredCompleted  = "Required AnalysisRuns completed"
	MsgTemplateDeadline   = "Template '%s' exceeded its progressDeadlineSeconds (%d)"
	MsgTemplateTransition = "Template '%s' transitioned from %s -> %s"
	MsgRunTransition      = "AnalysisRun '%s' transitioned from %s -> %s"
	MsgPhaseTransition    = "Experiment transitioned from %s -> %s"
	MsgRunTerminating     = "Terminating %s (%s)"
	MsgScaled             = "Scaled %s ReplicaSet %s from %d to %d"
	MsgScaleFailed        = "Failed to scale %s %s: %v"
	MsgRSCreateFailed     = "Failed to create new replica set %q: %v"
	MsgTemplateRSFailed   = "Failed to create ReplicaSet for template '%s': %v"
	MsgTemplateScaleError = "Unable to scale ReplicaSet for template '%s' to desired replica count '%v': %v"
	MsgServiceFailed      = "Failed to create Service %s for template '%s': %v"
	MsgServiceDeleteError = "Failed to delete Service for template '%s': %v"
	MsgTemplateVerify     = "AnalysisTemplate verification failed for analysis '%s': %v"
	MsgClusterVerify      = "ClusterAnalysisTemplate verification failed for analysis '%s': %v"
	MsgRunCreateFailed    = "Failed to create AnalysisRun for analysis '%s': %v"
	MsgServiceNotOwned    = "service %s already exists and is not owned by experiment template %s"
)

// Argo's defaults for Experiments.
const (
	defaultProgressDeadlineSeconds int32 = 600
	defaultScaleDownDelaySeconds   int32 = 30
	// conflictRetry is how soon a scale that hit a conflict is tried again.
	conflictRetry = time.Second
)

// Annotations and labels the Experiment controller reads and writes.
const (
	annotationScaleDownDeadline = "scale-down-deadline"
	labelInstanceID             = "argo-rollouts.argoproj.io/controller-instance-id"
)
