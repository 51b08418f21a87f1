package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Annotations that tie an experiment's ReplicaSets and Services to the experiment and its template.
const (
	ExperimentNameAnnotationKey         = "experiment.argoproj.io/name"
	ExperimentTemplateNameAnnotationKey = "experiment.argoproj.io/template-name"
)

// No status subresource, as in Argo's CRD: controllers (Argo's and ours) write the status with
// the object, so canarydrill runs on clusters that have Argo's CRDs.

// Experiment runs temporary ReplicaSets, optionally with analyses, for a duration.
//
// +kubebuilder:object:root=true
// +kubebuilder:resource:path=experiments,shortName=exp
// +kubebuilder:printcolumn:name="Status",type="string",JSONPath=".status.phase"
// +kubebuilder:printcolumn:name="Age",type="date",JSONPath=".metadata.creationTimestamp"
type Experiment struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              ExperimentSpec   `json:"spec"`
	Status            ExperimentStatus `json:"status,omitempty"`
}

// ExperimentList is a list of Experiments.
//
// +kubebuilder:object:root=true
type ExperimentList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Experiment `json:"items"`
}

// ExperimentSpec is what an Experiment runs.
type ExperimentSpec struct {
	Templates               []TemplateSpec                  `json:"templates"`
	Duration                DurationString                  `json:"duration,omitempty"`
	ProgressDeadlineSeconds *int32                          `json:"progressDeadlineSeconds,omitempty"`
	Terminate               bool                            `json:"terminate,omitempty"`
	Analyses                []ExperimentAnalysisTemplateRef `json:"analyses,omitempty"`
	ScaleDownDelaySeconds   *int32                          `json:"scaleDownDelaySeconds,omitempty"`
	DryRun                  []DryRun                        `json:"dryRun,omitempty"`
	MeasurementRetention    []MeasurementRetention          `json:"measurementRetention,omitempty"`
	AnalysisRunMetadata     AnalysisRunMetadata             `json:"analysisRunMetadata,omitempty"`
}

// TemplateSpec is one ReplicaSet of an Experiment.
type TemplateSpec struct {
	Name            string                `json:"name"`
	Replicas        *int32                `json:"replicas,omitempty"`
	MinReadySeconds int32                 `json:"minReadySeconds,omitempty"`
	Selector        *metav1.LabelSelector `json:"selector"`
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	Template corev1.PodTemplateSpec `json:"template"`
	Service  *TemplateService       `json:"service,omitempty"`
}

// TemplateService asks for a Service in front of an experiment ReplicaSet.
type TemplateService struct {
	Name string `json:"name,omitempty"`
}

// ExperimentAnalysisTemplateRef is an analysis that an Experiment runs.
type ExperimentAnalysisTemplateRef struct {
	Name                  string     `json:"name"`
	TemplateName          string     `json:"templateName"`
	ClusterScope          *bool      `json:"clusterScope,omitempty"`
	Args                  []Argument `json:"args,omitempty"`
	RequiredForCompletion bool       `json:"requiredForCompletion,omitempty"`
}

// TemplateStatusCode is the state of one experiment ReplicaSet.
type TemplateStatusCode string

// The states of an experiment ReplicaSet.
const (
	TemplateStatusProgressing TemplateStatusCode = "Progressing"
	TemplateStatusRunning     TemplateStatusCode = "Running"
	TemplateStatusSuccessful  TemplateStatusCode = "Successful"
	TemplateStatusFailed      TemplateStatusCode = "Failed"
	TemplateStatusError       TemplateStatusCode = "Error"
)

// TemplateStatus is the observed state of one experiment ReplicaSet.
type TemplateStatus struct {
	Name               string             `json:"name"`
	Replicas           int32              `json:"replicas"`
	UpdatedReplicas    int32              `json:"updatedReplicas"`
	ReadyReplicas      int32              `json:"readyReplicas"`
	AvailableReplicas  int32              `json:"availableReplicas"`
	CollisionCount     *int32             `json:"collisionCount,omitempty"`
	Status             TemplateStatusCode `json:"status,omitempty"`
	Message            string             `json:"message,omitempty"`
	LastTransitionTime *metav1.Time       `json:"lastTransitionTime,omitempty"`
	ServiceName        string             `json:"serviceName,omitempty"`
	PodTemplateHash    string             `json:"podTemplateHash,omitempty"`
}

// ExperimentStatus is the observed state of an Experiment.
type ExperimentStatus struct {
	Phase            AnalysisPhase                 `json:"phase,omitempty"`
	Message          string                        `json:"message,omitempty"`
	TemplateStatuses []TemplateStatus              `json:"templateStatuses,omitempty"`
	AvailableAt      *metav1.Time                  `json:"availableAt,omitempty"`
	Conditions       []ExperimentCondition         `json:"conditions,omitempty"`
	AnalysisRuns     []ExperimentAnalysisRunStatus `json:"analysisRuns,omitempty"`
}

// ExperimentConditionType names an Experiment condition.
type ExperimentConditionType string

// The conditions an Experiment reports.
const (
	InvalidExperimentSpec    ExperimentConditionType = "InvalidSpec"
	ExperimentCompleted      ExperimentConditionType = "Completed"
	ExperimentProgressing    ExperimentConditionType = "Progressing"
	ExperimentRunning        ExperimentConditionType = "Running"
	ExperimentReplicaFailure ExperimentConditionType = "ReplicaFailure"
)

// ExperimentCondition is one condition of an Experiment.
type ExperimentCondition struct {
	Type               ExperimentConditionType `json:"type"`
	Status             corev1.ConditionStatus  `json:"status"`
	LastUpdateTime     metav1.Time             `json:"lastUpdateTime"`
	LastTransitionTime metav1.Time             `json:"lastTransitionTime"`
	Reason             string                  `json:"reason"`
	Message            string                  `json:"message"`
}

// ExperimentAnalysisRunStatus is the Experiment's view of one of its AnalysisRuns.
type ExperimentAnalysisRunStatus struct {
	Name        string        `json:"name"`
	AnalysisRun string        `json:"analysisRun"`
	Phase       AnalysisPhase `json:"phase"`
	Message     string        `json:"message,omitempty"`
}
