package v1alpha1

import (
	"encoding/json"

	batchv1 "k8s.io/api/batch/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// AnalysisTemplate holds the metrics that an AnalysisRun measures.
//
// +kubebuilder:object:root=true
// +kubebuilder:resource:path=analysistemplates,shortName=at
type AnalysisTemplate struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec AnalysisTemplateSpec `json:"spec"`
}

// AnalysisTemplateList is a list of AnalysisTemplates.
//
// +kubebuilder:object:root=true
type AnalysisTemplateList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []AnalysisTemplate `json:"items"`
}

// ClusterAnalysisTemplate is an AnalysisTemplate visible from every namespace.
//
// +kubebuilder:object:root=true
// +kubebuilder:resource:path=clusteranalysistemplates,shortName=cat,scope=Cluster
type ClusterAnalysisTemplate struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec AnalysisTemplateSpec `json:"spec"`
}

// ClusterAnalysisTemplateList is a list of ClusterAnalysisTemplates.
//
// +kubebuilder:object:root=true
type ClusterAnalysisTemplateList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ClusterAnalysisTemplate `json:"items"`
}

// AnalysisTemplateSpec is the content of an AnalysisTemplate.
type AnalysisTemplateSpec struct {
	Metrics              []Metric               `json:"metrics,omitempty"`
	Args                 []Argument             `json:"args,omitempty"`
	DryRun               []DryRun               `json:"dryRun,omitempty"`
	MeasurementRetention []MeasurementRetention `json:"measurementRetention,omitempty"`
	// Templates lets a template include other templates.
	Templates []AnalysisTemplateRef `json:"templates,omitempty"`
}

// DurationString is a Go duration such as "30s", "5m" or "1h".
type DurationString string

// Metric is one thing an AnalysisRun measures, and how its measurements are judged.
type Metric struct {
	Name string `json:"name"`
	// Interval is the time between measurements; absent means a single measurement.
	Interval DurationString `json:"interval,omitempty"`
	// InitialDelay postpones the first measurement.
	InitialDelay DurationString `json:"initialDelay,omitempty"`
	// Count is how many measurements to take; absent with an interval means until terminated.
	Count *intstr.IntOrString `json:"count,omitempty"`
	// SuccessCondition is an expr expression over `result`.
	SuccessCondition string `json:"successCondition,omitempty"`
	// FailureCondition is an expr expression over `result`.
	FailureCondition string `json:"failureCondition,omitempty"`
	// FailureLimit is how many failed measurements are tolerated; default 0, -1 for no limit.
	FailureLimit *intstr.IntOrString `json:"failureLimit,omitempty"`
	// InconclusiveLimit is how many inconclusive measurements are tolerated; default 0.
	InconclusiveLimit *intstr.IntOrString `json:"inconclusiveLimit,omitempty"`
	// ConsecutiveErrorLimit is how many errors in a row are tolerated; default 4.
	ConsecutiveErrorLimit *intstr.IntOrString `json:"consecutiveErrorLimit,omitempty"`
	// Provider is where measurements come from.
	Provider MetricProvider `json:"provider"`
	// ConsecutiveSuccessLimit ends the metric Successful after this many successes in a row.
	ConsecutiveSuccessLimit *intstr.IntOrString `json:"consecutiveSuccessLimit,omitempty"`
}

// DryRun names metrics (an unanchored regular expression) whose results never change the run's phase.
type DryRun struct {
	MetricName string `json:"metricName"`
}

// MeasurementRetention sets how many measurements of matching metrics are kept.
type MeasurementRetention struct {
	MetricName string `json:"metricName"`
	Limit      int32  `json:"limit"`
}

// TTLStrategy deletes finished AnalysisRuns after a time.
type TTLStrategy struct {
	SecondsAfterCompletion *int32 `json:"secondsAfterCompletion,omitempty"`
	SecondsAfterFailure    *int32 `json:"secondsAfterFailure,omitempty"`
	SecondsAfterSuccess    *int32 `json:"secondsAfterSuccess,omitempty"`
}

// MetricProvider holds exactly one provider.
type MetricProvider struct {
	Prometheus *PrometheusMetric `json:"prometheus,omitempty"`
	Web        *WebMetric        `json:"web,omitempty"`
	Job        *JobMetric        `json:"job,omitempty"`
	// Judge is canarydrill's built-in canary-versus-baseline comparison; Argo has no such provider.
	Judge *JudgeMetric `json:"judge,omitempty"`
	// Plugin holds metric plugin configuration by plugin name.
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	Plugin map[string]json.RawMessage `json:"plugin,omitempty"`
}

// PrometheusMetric is a PromQL query and where to send it.
type PrometheusMetric struct {
	Address        string         `json:"address,omitempty"`
	Query          string         `json:"query,omitempty"`
	Authentication Authentication `json:"authentication,omitempty"`
	// Timeout is in seconds; default 30.
	Timeout    *int64                    `json:"timeout,omitempty"`
	Insecure   bool                      `json:"insecure,omitempty"`
	Headers    []WebMetricHeader         `json:"headers,omitempty"`
	RangeQuery *PrometheusRangeQueryArgs `json:"rangeQuery,omitempty"`
}

// PrometheusRangeQueryArgs makes the query a range query; start and end are expressions such as now() - duration("5m").
type PrometheusRangeQueryArgs struct {
	Start string         `json:"start,omitempty"`
	End   string         `json:"end,omitempty"`
	Step  DurationString `json:"step,omitempty"`
}

// Authentication configures how a provider authenticates.
type Authentication struct {
	Sigv4     Sigv4Config     `json:"sigv4,omitempty"`
	OAuth2    OAuth2Config    `json:"oauth2,omitempty"`
	BasicAuth BasicAuthConfig `json:"basicAuth,omitempty"`
}

// Sigv4Config is AWS request signing; accepted for compatibility, not used.
type Sigv4Config struct {
	Region  string `json:"region,omitempty"`
	Profile string `json:"profile,omitempty"`
	RoleARN string `json:"roleArn,omitempty"`
}

// OAuth2Config is the client-credentials flow.
type OAuth2Config struct {
	TokenURL     string   `json:"tokenUrl,omitempty"`
	ClientID     string   `json:"clientId,omitempty"`
	ClientSecret string   `json:"clientSecret,omitempty"`
	Scopes       []string `json:"scopes,omitempty"`
}

// BasicAuthConfig is HTTP basic authentication.
type BasicAuthConfig struct {
	Username string `json:"username,omitempty"`
	Password string `json:"password,omitempty"`
}

// WebMetric is an HTTP request whose JSON answer is the measurement.
type WebMetric struct {
	Method         WebMetricMethod   `json:"method,omitempty"`
	URL            string            `json:"url"`
	Headers        []WebMetricHeader `json:"headers,omitempty"`
	Body           string            `json:"body,omitempty"`
	TimeoutSeconds int64             `json:"timeoutSeconds,omitempty"`
	JSONPath       string            `json:"jsonPath,omitempty"`
	Insecure       bool              `json:"insecure,omitempty"`
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	JSONBody       json.RawMessage `json:"jsonBody,omitempty"`
	Authentication Authentication  `json:"authentication,omitempty"`
}

// WebMetricMethod is an HTTP method.
type WebMetricMethod string

// The methods a web metric may use.
const (
	WebMetricMethodGet  WebMetricMethod = "GET"
	WebMetricMethodPost WebMetricMethod = "POST"
	WebMetricMethodPut  WebMetricMethod = "PUT"
)

// WebMetricHeader is one HTTP header.
type WebMetricHeader struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// JobMetric runs a Job; the Job's completion is the measurement.
type JobMetric struct {
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	Metadata metav1.ObjectMeta `json:"metadata,omitempty"`
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	Spec batchv1.JobSpec `json:"spec"`
}

// No status subresource, as in Argo's CRD: controllers (Argo's and ours) write the status with
// the object, so canarydrill runs on clusters that have Argo's CRDs.

// AnalysisRun is one execution of one or more AnalysisTemplates.
//
// +kubebuilder:object:root=true
// +kubebuilder:resource:path=analysisruns,shortName=ar
// +kubebuilder:printcolumn:name="Status",type="string",JSONPath=".status.phase"
// +kubebuilder:printcolumn:name="Age",type="date",JSONPath=".metadata.creationTimestamp"
type AnalysisRun struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              AnalysisRunSpec   `json:"spec"`
	Status            AnalysisRunStatus `json:"status,omitempty"`
}

// AnalysisRunList is a list of AnalysisRuns.
//
// +kubebuilder:object:root=true
type AnalysisRunList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []AnalysisRun `json:"items"`
}

// AnalysisRunSpec is what an AnalysisRun measures.
type AnalysisRunSpec struct {
	Metrics []Metric   `json:"metrics"`
	Args    []Argument `json:"args,omitempty"`
	// Terminate stops the run; metrics still running count as Successful.
	Terminate            bool                   `json:"terminate,omitempty"`
	DryRun               []DryRun               `json:"dryRun,omitempty"`
	MeasurementRetention []MeasurementRetention `json:"measurementRetention,omitempty"`
	TTLStrategy          *TTLStrategy           `json:"ttlStrategy,omitempty"`
}

// Argument is a named value substituted for {{args.name}}.
type Argument struct {
	Name      string     `json:"name"`
	Value     *string    `json:"value,omitempty"`
	ValueFrom *ValueFrom `json:"valueFrom,omitempty"`
}

// ValueFrom takes an argument's value from a Secret or from a field of the Rollout.
type ValueFrom struct {
	SecretKeyRef *SecretKeyRef `json:"secretKeyRef,omitempty"`
	FieldRef     *FieldRef     `json:"fieldRef,omitempty"`
}

// SecretKeyRef names one key of a Secret.
type SecretKeyRef struct {
	Name string `json:"name"`
	Key  string `json:"key"`
}

// AnalysisPhase is the state of a run, a metric or a measurement.
type AnalysisPhase string

// The phases of runs, metrics and measurements.
const (
	AnalysisPhasePending      AnalysisPhase = "Pending"
	AnalysisPhaseRunning      AnalysisPhase = "Running"
	AnalysisPhaseSuccessful   AnalysisPhase = "Successful"
	AnalysisPhaseFailed       AnalysisPhase = "Failed"
	AnalysisPhaseError        AnalysisPhase = "Error"
	AnalysisPhaseInconclusive AnalysisPhase = "Inconclusive"
)

// Completed reports whether the phase is final.
func (p AnalysisPhase) Completed() bool {
	switch p {
	case AnalysisPhaseSuccessful, AnalysisPhaseFailed, AnalysisPhaseError, AnalysisPhaseInconclusive:
		return true
	}
	return false
}

// AnalysisRunStatus is the observed state of an AnalysisRun.
type AnalysisRunStatus struct {
	Phase         AnalysisPhase  `json:"phase"`
	Message       string         `json:"message,omitempty"`
	MetricResults []MetricResult `json:"metricResults,omitempty"`
	StartedAt     *metav1.Time   `json:"startedAt,omitempty"`
	RunSummary    RunSummary     `json:"runSummary,omitempty"`
	DryRunSummary *RunSummary    `json:"dryRunSummary,omitempty"`
	CompletedAt   *metav1.Time   `json:"completedAt,omitempty"`
}

// RunSummary counts metrics by phase.
type RunSummary struct {
	Count        int32 `json:"count,omitempty"`
	Successful   int32 `json:"successful,omitempty"`
	Failed       int32 `json:"failed,omitempty"`
	Inconclusive int32 `json:"inconclusive,omitempty"`
	Error        int32 `json:"error,omitempty"`
}

// MetricResult is the state of one metric and its recent measurements.
type MetricResult struct {
	Name               string            `json:"name"`
	Phase              AnalysisPhase     `json:"phase"`
	Measurements       []Measurement     `json:"measurements,omitempty"`
	Message            string            `json:"message,omitempty"`
	Count              int32             `json:"count,omitempty"`
	Successful         int32             `json:"successful,omitempty"`
	Failed             int32             `json:"failed,omitempty"`
	Inconclusive       int32             `json:"inconclusive,omitempty"`
	Error              int32             `json:"error,omitempty"`
	ConsecutiveError   int32             `json:"consecutiveError,omitempty"`
	DryRun             bool              `json:"dryRun,omitempty"`
	Metadata           map[string]string `json:"metadata,omitempty"`
	ConsecutiveSuccess int32             `json:"consecutiveSuccess,omitempty"`
}

// Measurement is one measured value and its verdict.
type Measurement struct {
	Phase      AnalysisPhase     `json:"phase"`
	Message    string            `json:"message,omitempty"`
	StartedAt  *metav1.Time      `json:"startedAt,omitempty"`
	FinishedAt *metav1.Time      `json:"finishedAt,omitempty"`
	Value      string            `json:"value,omitempty"`
	Metadata   map[string]string `json:"metadata,omitempty"`
	ResumeAt   *metav1.Time      `json:"resumeAt,omitempty"`
}
