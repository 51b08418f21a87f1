package v1alpha1

import (
	"encoding/json"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Rollout replaces a Deployment with a canary or blue-green update strategy.
//
// +kubebuilder:object:root=true
// +kubebuilder:resource:path=rollouts,shortName=ro
// +kubebuilder:subresource:status
// +kubebuilder:subresource:scale:specpath=.spec.replicas,statuspath=.status.HPAReplicas,selectorpath=.status.selector
// +kubebuilder:printcolumn:name="Desired",type="integer",JSONPath=".spec.replicas"
// +kubebuilder:printcolumn:name="Current",type="integer",JSONPath=".status.replicas"
// +kubebuilder:printcolumn:name="Up-to-date",type="integer",JSONPath=".status.updatedReplicas"
// +kubebuilder:printcolumn:name="Available",type="integer",JSONPath=".status.availableReplicas"
// +kubebuilder:printcolumn:name="Age",type="date",JSONPath=".metadata.creationTimestamp"
type Rollout struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   RolloutSpec   `json:"spec"`
	Status RolloutStatus `json:"status,omitempty"`
}

// RolloutList is a list of Rollouts.
//
// +kubebuilder:object:root=true
type RolloutList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Rollout `json:"items"`
}

// RolloutSpec is the desired state of a Rollout.
type RolloutSpec struct {
	// Replicas is the number of desired pods; nil means 1.
	// +optional
	Replicas *int32 `json:"replicas,omitempty"`
	// Selector selects the pods this Rollout owns.
	// +optional
	Selector *metav1.LabelSelector `json:"selector,omitempty"`
	// Template is the pod template; required unless workloadRef is set.
	// +optional
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	Template corev1.PodTemplateSpec `json:"template"`
	// WorkloadRef takes the pod template from another workload, such as a Deployment.
	// +optional
	WorkloadRef *ObjectRef `json:"workloadRef,omitempty"`
	// MinReadySeconds is how long a pod must be ready before it counts as available.
	// +optional
	MinReadySeconds int32 `json:"minReadySeconds,omitempty"`
	// RollbackWindow lets an update back to a recent revision skip the steps.
	// +optional
	RollbackWindow *RollbackWindowSpec `json:"rollbackWindow,omitempty"`
	// Strategy is the update strategy: canary or blueGreen.
	Strategy RolloutStrategy `json:"strategy"`
	// RevisionHistoryLimit is how many old ReplicaSets to keep; nil means 10.
	// +optional
	RevisionHistoryLimit *int32 `json:"revisionHistoryLimit,omitempty"`
	// Paused stops the rollout from progressing.
	// +optional
	Paused bool `json:"paused,omitempty"`
	// ProgressDeadlineSeconds is how long the rollout may make no progress before it is Degraded; nil means 600.
	// +optional
	ProgressDeadlineSeconds *int32 `json:"progressDeadlineSeconds,omitempty"`
	// ProgressDeadlineAbort aborts the update when the progress deadline is exceeded.
	// +optional
	ProgressDeadlineAbort bool `json:"progressDeadlineAbort,omitempty"`
	// RestartAt restarts every pod created before this time.
	// +optional
	RestartAt *metav1.Time `json:"restartAt,omitempty"`
	// Analysis limits how many finished AnalysisRuns are kept.
	// +optional
	Analysis *AnalysisRunStrategy `json:"analysis,omitempty"`
}

// ObjectRef names a workload that holds the pod template.
type ObjectRef struct {
	APIVersion string `json:"apiVersion,omitempty"`
	Kind       string `json:"kind,omitempty"`
	Name       string `json:"name,omitempty"`
	// ScaleDown says what happens to the referenced Deployment: never, onsuccess or progressively.
	ScaleDown string `json:"scaleDown,omitempty"`
}

// The values of ObjectRef.ScaleDown.
const (
	ScaleDownNever         = "never"
	ScaleDownOnSuccess     = "onsuccess"
	ScaleDownProgressively = "progressively"
)

// RollbackWindowSpec is how many recent revisions a rollback may return to without steps.
type RollbackWindowSpec struct {
	Revisions int32 `json:"revisions,omitempty"`
}

// AnalysisRunStrategy limits how many finished AnalysisRuns are kept.
type AnalysisRunStrategy struct {
	SuccessfulRunHistoryLimit   *int32 `json:"successfulRunHistoryLimit,omitempty"`
	UnsuccessfulRunHistoryLimit *int32 `json:"unsuccessfulRunHistoryLimit,omitempty"`
}

// RolloutStrategy holds exactly one of the two strategies.
type RolloutStrategy struct {
	BlueGreen *BlueGreenStrategy `json:"blueGreen,omitempty"`
	Canary    *CanaryStrategy    `json:"canary,omitempty"`
}

// BlueGreenStrategy runs the new version beside the old one and switches the active service at once.
type BlueGreenStrategy struct {
	ActiveService               string               `json:"activeService"`
	PreviewService              string               `json:"previewService,omitempty"`
	PreviewReplicaCount         *int32               `json:"previewReplicaCount,omitempty"`
	AutoPromotionEnabled        *bool                `json:"autoPromotionEnabled,omitempty"`
	AutoPromotionSeconds        int32                `json:"autoPromotionSeconds,omitempty"`
	MaxUnavailable              *intstr.IntOrString  `json:"maxUnavailable,omitempty"`
	ScaleDownDelaySeconds       *int32               `json:"scaleDownDelaySeconds,omitempty"`
	ScaleDownDelayRevisionLimit *int32               `json:"scaleDownDelayRevisionLimit,omitempty"`
	PrePromotionAnalysis        *RolloutAnalysis     `json:"prePromotionAnalysis,omitempty"`
	AntiAffinity                *AntiAffinity        `json:"antiAffinity,omitempty"`
	PostPromotionAnalysis       *RolloutAnalysis     `json:"postPromotionAnalysis,omitempty"`
	PreviewMetadata             *PodTemplateMetadata `json:"previewMetadata,omitempty"`
	ActiveMetadata              *PodTemplateMetadata `json:"activeMetadata,omitempty"`
	AbortScaleDownDelaySeconds  *int32               `json:"abortScaleDownDelaySeconds,omitempty"`
}

// AntiAffinity keeps canary pods off the nodes that run stable pods.
type AntiAffinity struct {
	PreferredDuringSchedulingIgnoredDuringExecution *PreferredDuringSchedulingIgnoredDuringExecution `json:"preferredDuringSchedulingIgnoredDuringExecution,omitempty"`
	RequiredDuringSchedulingIgnoredDuringExecution  *RequiredDuringSchedulingIgnoredDuringExecution  `json:"requiredDuringSchedulingIgnoredDuringExecution,omitempty"`
}

// PreferredDuringSchedulingIgnoredDuringExecution is a soft anti-affinity with a weight from 1 to 100.
type PreferredDuringSchedulingIgnoredDuringExecution struct {
	Weight int32 `json:"weight"`
}

// RequiredDuringSchedulingIgnoredDuringExecution is a hard anti-affinity.
type RequiredDuringSchedulingIgnoredDuringExecution struct{}

// CanaryStrategy moves traffic to the new version in steps.
type CanaryStrategy struct {
	CanaryService               string                     `json:"canaryService,omitempty"`
	StableService               string                     `json:"stableService,omitempty"`
	Steps                       []CanaryStep               `json:"steps,omitempty"`
	TrafficRouting              *RolloutTrafficRouting     `json:"trafficRouting,omitempty"`
	MaxUnavailable              *intstr.IntOrString        `json:"maxUnavailable,omitempty"`
	MaxSurge                    *intstr.IntOrString        `json:"maxSurge,omitempty"`
	Analysis                    *RolloutAnalysisBackground `json:"analysis,omitempty"`
	AntiAffinity                *AntiAffinity              `json:"antiAffinity,omitempty"`
	CanaryMetadata              *PodTemplateMetadata       `json:"canaryMetadata,omitempty"`
	StableMetadata              *PodTemplateMetadata       `json:"stableMetadata,omitempty"`
	ScaleDownDelaySeconds       *int32                     `json:"scaleDownDelaySeconds,omitempty"`
	ScaleDownDelayRevisionLimit *int32                     `json:"scaleDownDelayRevisionLimit,omitempty"`
	AbortScaleDownDelaySeconds  *int32                     `json:"abortScaleDownDelaySeconds,omitempty"`
	DynamicStableScale          bool                       `json:"dynamicStableScale,omitempty"`
	MinPodsPerReplicaSet        *int32                     `json:"minPodsPerReplicaSet,omitempty"`
	// ReplicaProgressThreshold is how many canary pods must be available before a step counts as
	// done; nil means all of them.
	ReplicaProgressThreshold *ReplicaProgressThreshold `json:"replicaProgressThreshold,omitempty"`
}

// ProgressType says whether a ReplicaProgressThreshold counts pods or a percentage.
type ProgressType string

// The two kinds of replica progress threshold.
const (
	ProgressTypePercentage ProgressType = "Percent"
	ProgressTypePods       ProgressType = "Pods"
)

// ReplicaProgressThreshold is a number or percentage of available canary pods.
type ReplicaProgressThreshold struct {
	Type  ProgressType `json:"type"`
	Value int32        `json:"value"`
}

// RolloutTrafficRouting names the router that splits traffic between stable and canary.
type RolloutTrafficRouting struct {
	Istio *IstioTrafficRouting `json:"istio,omitempty"`
	Nginx *NginxTrafficRouting `json:"nginx,omitempty"`
	SMI   *SMITrafficRouting   `json:"smi,omitempty"`
	// ManagedRoutes lists, in precedence order, the routes that header and mirror steps may create.
	ManagedRoutes []MangedRoutes `json:"managedRoutes,omitempty"`
	// Plugins holds router plugin configuration by plugin name (e.g. argoproj-labs/gatewayAPI).
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	Plugins map[string]json.RawMessage `json:"plugins,omitempty"`
	// MaxTrafficWeight is the total weight that traffic is split over; nil means 100.
	MaxTrafficWeight *int32 `json:"maxTrafficWeight,omitempty"`
}

// MangedRoutes names one managed route. (The misspelling is Argo's and is kept for compatibility.)
type MangedRoutes struct {
	Name string `json:"name"`
}

// SMITrafficRouting configures an SMI TrafficSplit.
type SMITrafficRouting struct {
	RootService      string `json:"rootService,omitempty"`
	TrafficSplitName string `json:"trafficSplitName,omitempty"`
}

// NginxTrafficRouting configures a canary Ingress cloned from the stable one.
type NginxTrafficRouting struct {
	AnnotationPrefix             string            `json:"annotationPrefix,omitempty"`
	StableIngress                string            `json:"stableIngress,omitempty"`
	AdditionalIngressAnnotations map[string]string `json:"additionalIngressAnnotations,omitempty"`
	StableIngresses              []string          `json:"stableIngresses,omitempty"`
	CanaryIngressAnnotations     map[string]string `json:"canaryIngressAnnotations,omitempty"`
}

// IstioTrafficRouting configures Istio VirtualServices and, for subset splits, a DestinationRule.
type IstioTrafficRouting struct {
	VirtualService  *IstioVirtualService  `json:"virtualService,omitempty"`
	DestinationRule *IstioDestinationRule `json:"destinationRule,omitempty"`
	VirtualServices []IstioVirtualService `json:"virtualServices,omitempty"`
}

// IstioVirtualService names a VirtualService and the routes in it to manage.
type IstioVirtualService struct {
	Name      string     `json:"name"`
	Routes    []string   `json:"routes,omitempty"`
	TLSRoutes []TLSRoute `json:"tlsRoutes,omitempty"`
	TCPRoutes []TCPRoute `json:"tcpRoutes,omitempty"`
}

// TLSRoute selects an Istio TLS route by port and SNI hosts.
type TLSRoute struct {
	Port     int64    `json:"port,omitempty"`
	SNIHosts []string `json:"sniHosts,omitempty"`
}

// TCPRoute selects an Istio TCP route by port.
type TCPRoute struct {
	Port int64 `json:"port,omitempty"`
}

// IstioDestinationRule names the subsets that carry canary and stable traffic.
type IstioDestinationRule struct {
	Name                  string   `json:"name"`
	CanarySubsetName      string   `json:"canarySubsetName"`
	StableSubsetName      string   `json:"stableSubsetName"`
	AdditionalSubsetNames []string `json:"additionalSubsetNames,omitempty"`
}

// CanaryStep is one step of a canary update; exactly one field is set.
type CanaryStep struct {
	SetWeight      *int32                 `json:"setWeight,omitempty"`
	Pause          *RolloutPause          `json:"pause,omitempty"`
	Experiment     *RolloutExperimentStep `json:"experiment,omitempty"`
	Analysis       *RolloutAnalysis       `json:"analysis,omitempty"`
	SetCanaryScale *SetCanaryScale        `json:"setCanaryScale,omitempty"`
	SetHeaderRoute *SetHeaderRoute        `json:"setHeaderRoute,omitempty"`
	SetMirrorRoute *SetMirrorRoute        `json:"setMirrorRoute,omitempty"`
}

// RolloutPause waits for a duration, or until promoted when the duration is absent.
type RolloutPause struct {
	// Duration is seconds as an integer, or a string such as "30s", "5m" or "1h".
	Duration *intstr.IntOrString `json:"duration,omitempty"`
}

// SetCanaryScale sets the canary's scale apart from its traffic weight.
type SetCanaryScale struct {
	Weight             *int32 `json:"weight,omitempty"`
	Replicas           *int32 `json:"replicas,omitempty"`
	MatchTrafficWeight bool   `json:"matchTrafficWeight,omitempty"`
}

// SetHeaderRoute sends requests that match headers to the canary.
type SetHeaderRoute struct {
	Name  string               `json:"name,omitempty"`
	Match []HeaderRoutingMatch `json:"match,omitempty"`
}

// HeaderRoutingMatch matches one request header.
type HeaderRoutingMatch struct {
	HeaderName  string       `json:"headerName"`
	HeaderValue *StringMatch `json:"headerValue"`
}

// StringMatch matches a string exactly, by prefix or by regular expression.
type StringMatch struct {
	Exact  string `json:"exact,omitempty"`
	Prefix string `json:"prefix,omitempty"`
	Regex  string `json:"regex,omitempty"`
}

// SetMirrorRoute copies a percentage of matching requests to the canary.
type SetMirrorRoute struct {
	Name       string       `json:"name"`
	Match      []RouteMatch `json:"match,omitempty"`
	Percentage *int32       `json:"percentage,omitempty"`
}

// RouteMatch matches a request by method, path and headers.
type RouteMatch struct {
	Method  *StringMatch           `json:"method,omitempty"`
	Path    *StringMatch           `json:"path,omitempty"`
	Headers map[string]StringMatch `json:"headers,omitempty"`
}

// RolloutExperimentStep runs an Experiment as a step.
type RolloutExperimentStep struct {
	Templates             []RolloutExperimentTemplate                `json:"templates"`
	Duration              DurationString                             `json:"duration,omitempty"`
	Analyses              []RolloutExperimentStepAnalysisTemplateRef `json:"analyses,omitempty"`
	DryRun                []DryRun                                   `json:"dryRun,omitempty"`
	AnalysisRunMetadata   AnalysisRunMetadata                        `json:"analysisRunMetadata,omitempty"`
	ScaleDownDelaySeconds *int32                                     `json:"scaleDownDelaySeconds,omitempty"`
}

// RolloutExperimentStepAnalysisTemplateRef is an analysis run by an experiment step.
type RolloutExperimentStepAnalysisTemplateRef struct {
	Name                  string                `json:"name"`
	TemplateName          string                `json:"templateName"`
	ClusterScope          *bool                 `json:"clusterScope,omitempty"`
	Args                  []AnalysisRunArgument `json:"args,omitempty"`
	RequiredForCompletion bool                  `json:"requiredForCompletion,omitempty"`
}

// RolloutExperimentTemplate is one ReplicaSet of an experiment step.
type RolloutExperimentTemplate struct {
	Name     string                `json:"name"`
	SpecRef  ReplicaSetSpecRef     `json:"specRef"`
	Replicas *int32                `json:"replicas,omitempty"`
	Metadata PodTemplateMetadata   `json:"metadata,omitempty"`
	Selector *metav1.LabelSelector `json:"selector,omitempty"`
	Weight   *int32                `json:"weight,omitempty"`
	Service  *TemplateService      `json:"service,omitempty"`
}

// ReplicaSetSpecRef names which pod template an experiment ReplicaSet copies.
type ReplicaSetSpecRef string

// The pod templates an experiment can copy.
const (
	CanarySpecRef ReplicaSetSpecRef = "canary"
	StableSpecRef ReplicaSetSpecRef = "stable"
)

// PodTemplateMetadata is extra metadata put on pods.
type PodTemplateMetadata struct {
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// AnalysisRunMetadata is extra metadata put on AnalysisRuns.
type AnalysisRunMetadata struct {
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// RolloutAnalysisBackground is an analysis that runs beside the steps from startingStep on.
type RolloutAnalysisBackground struct {
	RolloutAnalysis `json:",inline"`
	StartingStep    *int32 `json:"startingStep,omitempty"`
}

// RolloutAnalysis names the templates of an AnalysisRun and their arguments.
type RolloutAnalysis struct {
	Templates            []AnalysisTemplateRef  `json:"templates,omitempty"`
	Args                 []AnalysisRunArgument  `json:"args,omitempty"`
	DryRun               []DryRun               `json:"dryRun,omitempty"`
	MeasurementRetention []MeasurementRetention `json:"measurementRetention,omitempty"`
	AnalysisRunMetadata  *AnalysisRunMetadata   `json:"analysisRunMetadata,omitempty"`
}

// AnalysisTemplateRef names an AnalysisTemplate, or a ClusterAnalysisTemplate when clusterScope is true.
type AnalysisTemplateRef struct {
	TemplateName string `json:"templateName"`
	ClusterScope *bool  `json:"clusterScope,omitempty"`
}

// AnalysisRunArgument is an argument passed by a Rollout to its AnalysisRuns.
type AnalysisRunArgument struct {
	Name      string             `json:"name"`
	Value     string             `json:"value,omitempty"`
	ValueFrom *ArgumentValueFrom `json:"valueFrom,omitempty"`
}

// ArgumentValueFrom takes an argument's value from the Rollout.
type ArgumentValueFrom struct {
	PodTemplateHashValue *ValueFromPodTemplateHash `json:"podTemplateHashValue,omitempty"`
	FieldRef             *FieldRef                 `json:"fieldRef,omitempty"`
}

// FieldRef is a path into the Rollout, such as metadata.labels['app'].
type FieldRef struct {
	FieldPath string `json:"fieldPath"`
}

// ValueFromPodTemplateHash says whose pod-template-hash an argument takes.
type ValueFromPodTemplateHash string

// The two pod-template-hash values an argument can take.
const (
	Stable ValueFromPodTemplateHash = "Stable"
	Latest ValueFromPodTemplateHash = "Latest"
)

// Labels Argo puts on objects it creates, and their values.
const (
	DefaultRolloutUniqueLabelKey  = "rollouts-pod-template-hash"
	RolloutTypeLabel              = "rollout-type"
	RolloutTypeStepLabel          = "Step"
	RolloutTypeBackgroundRunLabel = "Background"
	RolloutTypePrePromotionLabel  = "PrePromotion"
	RolloutTypePostPromotionLabel = "PostPromotion"
	RolloutCanaryStepIndexLabel   = "step-index"
)

// PauseReason says why a rollout paused.
type PauseReason string

// The reasons a rollout can pause.
const (
	PauseReasonInconclusiveAnalysis   PauseReason = "InconclusiveAnalysisRun"
	PauseReasonInconclusiveExperiment PauseReason = "InconclusiveExperiment"
	PauseReasonCanaryPauseStep        PauseReason = "CanaryPauseStep"
	PauseReasonBlueGreenPause         PauseReason = "BlueGreenPause"
)

// PauseCondition records a pause and when it began.
type PauseCondition struct {
	Reason    PauseReason `json:"reason"`
	StartTime metav1.Time `json:"startTime"`
}

// RolloutPhase is the summary state of a Rollout.
type RolloutPhase string

// The phases of a Rollout.
const (
	RolloutPhaseHealthy     RolloutPhase = "Healthy"
	RolloutPhaseDegraded    RolloutPhase = "Degraded"
	RolloutPhaseProgressing RolloutPhase = "Progressing"
	RolloutPhasePaused      RolloutPhase = "Paused"
)

// RolloutStatus is the observed state of a Rollout.
type RolloutStatus struct {
	Abort                      bool               `json:"abort,omitempty"`
	PauseConditions            []PauseCondition   `json:"pauseConditions,omitempty"`
	ControllerPause            bool               `json:"controllerPause,omitempty"`
	AbortedAt                  *metav1.Time       `json:"abortedAt,omitempty"`
	CurrentPodHash             string             `json:"currentPodHash,omitempty"`
	CurrentStepHash            string             `json:"currentStepHash,omitempty"`
	Replicas                   int32              `json:"replicas,omitempty"`
	UpdatedReplicas            int32              `json:"updatedReplicas,omitempty"`
	ReadyReplicas              int32              `json:"readyReplicas,omitempty"`
	AvailableReplicas          int32              `json:"availableReplicas,omitempty"`
	CurrentStepIndex           *int32             `json:"currentStepIndex,omitempty"`
	CollisionCount             *int32             `json:"collisionCount,omitempty"`
	ObservedGeneration         string             `json:"observedGeneration,omitempty"`
	Conditions                 []RolloutCondition `json:"conditions,omitempty"`
	Canary                     CanaryStatus       `json:"canary,omitempty"`
	BlueGreen                  BlueGreenStatus    `json:"blueGreen,omitempty"`
	HPAReplicas                int32              `json:"HPAReplicas,omitempty"`
	Selector                   string             `json:"selector,omitempty"`
	StableRS                   string             `json:"stableRS,omitempty"`
	RestartedAt                *metav1.Time       `json:"restartedAt,omitempty"`
	PromoteFull                bool               `json:"promoteFull,omitempty"`
	Phase                      RolloutPhase       `json:"phase,omitempty"`
	Message                    string             `json:"message,omitempty"`
	WorkloadObservedGeneration string             `json:"workloadObservedGeneration,omitempty"`
}

// BlueGreenStatus is the blue-green part of a Rollout's status.
type BlueGreenStatus struct {
	PreviewSelector                string                    `json:"previewSelector,omitempty"`
	ActiveSelector                 string                    `json:"activeSelector,omitempty"`
	ScaleUpPreviewCheckPoint       bool                      `json:"scaleUpPreviewCheckPoint,omitempty"`
	PrePromotionAnalysisRunStatus  *RolloutAnalysisRunStatus `json:"prePromotionAnalysisRunStatus,omitempty"`
	PostPromotionAnalysisRunStatus *RolloutAnalysisRunStatus `json:"postPromotionAnalysisRunStatus,omitempty"`
}

// CanaryStatus is the canary part of a Rollout's status.
type CanaryStatus struct {
	CurrentStepAnalysisRunStatus       *RolloutAnalysisRunStatus `json:"currentStepAnalysisRunStatus,omitempty"`
	CurrentBackgroundAnalysisRunStatus *RolloutAnalysisRunStatus `json:"currentBackgroundAnalysisRunStatus,omitempty"`
	CurrentExperiment                  string                    `json:"currentExperiment,omitempty"`
	Weights                            *TrafficWeights           `json:"weights,omitempty"`
}

// TrafficWeights is the traffic split last written to the router.
type TrafficWeights struct {
	Canary     WeightDestination   `json:"canary"`
	Stable     WeightDestination   `json:"stable"`
	Additional []WeightDestination `json:"additional,omitempty"`
	Verified   *bool               `json:"verified,omitempty"`
}

// WeightDestination is the weight sent to one service or pod-template-hash.
type WeightDestination struct {
	Weight          int32  `json:"weight"`
	ServiceName     string `json:"serviceName,omitempty"`
	PodTemplateHash string `json:"podTemplateHash,omitempty"`
}

// RolloutAnalysisRunStatus is the Rollout's view of one of its AnalysisRuns.
type RolloutAnalysisRunStatus struct {
	Name    string        `json:"name"`
	Status  AnalysisPhase `json:"status"`
	Message string        `json:"message,omitempty"`
}

// RolloutConditionType names a Rollout condition.
type RolloutConditionType string

// The conditions a Rollout reports.
const (
	InvalidSpec           RolloutConditionType = "InvalidSpec"
	RolloutAvailable      RolloutConditionType = "Available"
	RolloutProgressing    RolloutConditionType = "Progressing"
	RolloutReplicaFailure RolloutConditionType = "ReplicaFailure"
	RolloutPaused         RolloutConditionType = "Paused"
	RolloutCompleted      RolloutConditionType = "Completed"
	RolloutHealthy        RolloutConditionType = "Healthy"
)

// RolloutCondition is one condition of a Rollout.
type RolloutCondition struct {
	Type               RolloutConditionType   `json:"type"`
	Status             corev1.ConditionStatus `json:"status"`
	LastUpdateTime     metav1.Time            `json:"lastUpdateTime"`
	LastTransitionTime metav1.Time            `json:"lastTransitionTime"`
	Reason             string                 `json:"reason"`
	Message            string                 `json:"message"`
}
