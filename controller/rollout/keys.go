package rollout

import (
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

// Annotations and labels that Argo Rollouts reads and writes, with Argo's keys.
const (
	// AnnotationRevision records the rollout sequence number on the Rollout, its ReplicaSets and its AnalysisRuns.
	AnnotationRevision = "rollout.argoproj.io/revision"
	// AnnotationRevisionHistory keeps the older revisions a ReplicaSet served before it was rolled back to.
	AnnotationRevisionHistory = "rollout.argoproj.io/revision-history"
	// AnnotationDesiredReplicas is spec.replicas of the Rollout when the ReplicaSet was last scaled.
	AnnotationDesiredReplicas = "rollout.argoproj.io/desired-replicas"
	// AnnotationScaleDownDeadline is the RFC 3339 time after which a ReplicaSet may be scaled to zero.
	AnnotationScaleDownDeadline = "scale-down-deadline"
	// AnnotationManagedByRollouts names the Rollout that owns a Service's selector.
	AnnotationManagedByRollouts = "argo-rollouts.argoproj.io/managed-by-rollouts"
	// LabelControllerInstanceID is copied to AnalysisRuns when the Rollout carries it.
	LabelControllerInstanceID = "argo-rollouts.argoproj.io/controller-instance-id"

	// AnnotationEphemeralMetadata records on a ReplicaSet the canary or stable metadata injected
	// into its pods.
	AnnotationEphemeralMetadata = "rollout.argoproj.io/ephemeral-metadata"

	annotationWorkloadGeneration = "rollout.argoproj.io/workload-generation"
	annotationNotificationEngine = "notified.notifications.argoproj.io"
)

// rolloutKind is the GroupVersionKind written into owner references.
var rolloutKind = v1alpha1.GroupVersion.WithKind("Rollout")

// Rollout annotations that are never copied onto ReplicaSets.
func skipCopyAnnotation(key string) bool {
	switch key {
	case corev1.LastAppliedConfigAnnotation, AnnotationRevision, AnnotationRevisionHistory,
		AnnotationDesiredReplicas, annotationNotificationEngine:
		return true
	}
	return false
}

// Argo's defaults (utils/defaults).
const (
	defaultReplicas                    int32 = 1
	defaultRevisionHistoryLimit        int32 = 10
	defaultSuccessfulRunHistoryLimit   int32 = 5
	defaultUnsuccessfulRunHistoryLimit int32 = 5
	defaultProgressDeadlineSeconds     int32 = 600
	defaultScaleDownDelaySeconds       int32 = 30
	defaultAbortScaleDownDelaySeconds  int32 = 30
	defaultMaxTrafficWeight            int32 = 100

	// Argo writes these without a '%'; intstr's legacy parser reads any string as a percentage.
	defaultMaxSurge       = "25"
	defaultMaxUnavailable = "25"

	// invalidSpecRequeue is how soon Argo looks again at a Rollout with an invalid spec.
	invalidSpecRequeue = 20 * time.Second
	// weightVerifyRetry is how soon Argo looks again when a traffic weight is not yet verified.
	weightVerifyRetry = 10 * time.Second
	// progressCheckSkew is the second Argo adds to a progress-deadline requeue.
	progressCheckSkew = time.Second
	// restartPodCheck is how soon Argo looks again while pods still wait for their restart.
	restartPodCheck = 30 * time.Second
)
