package provider

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/go-logr/logr"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

// Keys Argo Rollouts puts on a metric's Job and on the measurement that waits for it.
const (
	// JobNameKey and JobNamespaceKey are the measurement's metadata naming its Job.
	JobNameKey      = "job-name"
	JobNamespaceKey = "job-namespace"
	// AnalysisRunNameAnnotationKey and AnalysisRunNamespaceAnnotationKey name the Job's run.
	AnalysisRunNameAnnotationKey      = "analysisrun.argoproj.io/name"
	AnalysisRunNamespaceAnnotationKey = "analysisrun.argoproj.io/namespace"
	// AnalysisRunMetricAnnotationKey names the metric the Job measures.
	AnalysisRunMetricAnnotationKey = "analysisrun.argoproj.io/metric-name"
	// AnalysisRunUIDLabelKey is the run's UID, on every Job of the run.
	AnalysisRunUIDLabelKey = "analysisrun.argoproj.io/uid"
)

// maxJobNameLength is Kubernetes' limit for a name that ends up in a label (the Job controller
// labels the Job's pods with it).
const maxJobNameLength = 63

var analysisRunGVK = v1alpha1.GroupVersion.WithKind("AnalysisRun")

// jobProvider runs a batch/v1 Job per measurement: Run creates it, Resume reads its conditions
// (Complete is Successful, Failed is Failed), Terminate deletes it. Something else must run the
// Job: the cluster's Job controller, or in a simulation the world (see JobStatusFor). The run is
// reconciled again when its Jobs change: Reconciler.SetupWithManager watches them in a cluster,
// and a simulator must do the same (JobAnalysisRun names the run of a Job).
type jobProvider struct {
	client    client.Client
	namespace string
	clock     clock.PassiveClock
	log       logr.Logger
}

func (f *DefaultFactory) newJob(v1alpha1.Metric) (Provider, error) {
	if f.Client == nil {
		return nil, errors.New(errJobNoClient)
	}
	return &jobProvider{client: f.Client, namespace: f.JobNamespace, clock: f.clock(), log: f.Log.WithName("job")}, nil
}

// Type is "Job".
func (p *jobProvider) Type() string { return TypeJob }

// Metadata has nothing to show.
func (p *jobProvider) Metadata(v1alpha1.Metric) map[string]string { return nil }

// JobName is Argo's name for a metric's next Job: "<run uid>.<metric>.<n>", n one more than the
// measurements taken so far (Count + Error), the metric's name shortened to fit 63 characters.
func JobName(run *v1alpha1.AnalysisRun, metricName string) string {
	n := int32(1)
	for _, r := range run.Status.MetricResults {
		if r.Name == metricName {
			n = r.Count + r.Error + 1
		}
	}
	name := fmt.Sprintf("%s.%s.%d", run.UID, metricName, n)
	if over := len(name) - maxJobNameLength; over > 0 && over < len(metricName) {
		name = fmt.Sprintf("%s.%s.%d", run.UID, metricName[:len(metricName)-over], n)
	}
	return name
}

// NewMetricJob is the Job a measurement creates (Argo's newMetricJob): the metric's job spec,
// its metadata's labels and annotations plus the run's UID label and the run and metric
// annotations, in the run's namespace (or namespace when set) and owned by the run when in the
// run's namespace.
func NewMetricJob(run *v1alpha1.AnalysisRun, metric v1alpha1.Metric, namespace string) *batchv1.Job {
	spec := metric.Provider.Job
	labels := maps.Clone(spec.Metadata.Labels)
	if labels == nil {
		labels = map[string]string{}
	}
	annotations := maps.Clone(spec.Metadata.Annotations)
	if annotations == nil {
		annotations = map[string]string{}
	}
	labels[AnalysisRunUIDLabelKey] = string(run.UID)
	annotations[AnalysisRunNameAnnotationKey] = run.Name
	annotations[AnalysisRunNamespaceAnnotationKey] = run.Namespace
	annotations[AnalysisRunMetricAnnotationKey] = metric.Name
	ns := run.Namespace
	if namespace != "" {
		ns = namespace
	}
	job := &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{
			Name:        JobName(run, metric.Name),
			Namespace:   ns,
			Labels:      labels,
			Annotations: annotations,
		},
		Spec: *spec.Spec.DeepCopy(),
	}
	if ns == run.Namespace {
		job.OwnerReferences = []metav1.OwnerReference{*metav1.NewControllerRef(run, analysisRunGVK)}
	}
	return job
}

// Run creates the measurement's Job and returns a Running measurement naming it. A Job of the
// same name that this run created already (a retried reconcile) is taken over.
func (p *jobProvider) Run(ctx context.Context, run *v1alpha1.AnalysisRun, metric v1alpha1.Metric) v1alpha1.Measurement {
	started := metav1.NewTime(p.clock.Now())
	m := v1alpha1.Measurement{StartedAt: &started, Phase: v1alpha1.AnalysisPhaseRunning}
	job := NewMetricJob(run, metric, p.namespace)
	if err := p.client.Create(ctx, job); err != nil {
		if !apierrors.IsAlreadyExists(err) {
			return ErrorMeasurement(m, err, p.clock.Now())
		}
		existing := &batchv1.Job{}
		if getErr := p.client.Get(ctx, client.ObjectKeyFromObject(job), existing); getErr != nil {
			return ErrorMeasurement(m, err, p.clock.Now())
		}
		if existing.Labels[AnalysisRunUIDLabelKey] != string(run.UID) {
			return ErrorMeasurement(m, fmt.Errorf(errJobNotOwned, job.Namespace, job.Name), p.clock.Now())
		}
		job = existing
	}
	m.Metadata = map[string]string{JobNameKey: job.Name, JobNamespaceKey: job.Namespace}
	p.log.Info("Job created", "namespace", job.Namespace, "job", job.Name)
	return m
}

// Resume completes the measurement once the Job has a Complete (Successful) or Failed (Failed)
// condition, and leaves it Running otherwise. A Job that cannot be read makes it an Error.
func (p *jobProvider) Resume(ctx context.Context, run *v1alpha1.AnalysisRun, _ v1alpha1.Metric, m v1alpha1.Measurement) v1alpha1.Measurement {
	key, err := jobKey(m, run.Namespace)
	if err != nil {
		return ErrorMeasurement(m, err, p.clock.Now())
	}
	job := &batchv1.Job{}
	if err := p.client.Get(ctx, key, job); err != nil {
		return ErrorMeasurement(m, err, p.clock.Now())
	}
	phase := JobPhase(job)
	if phase.Completed() {
		now := metav1.NewTime(p.clock.Now())
		m.Phase, m.FinishedAt = phase, &now
		p.log.Info("Job completed", "namespace", job.Namespace, "job", job.Name, "phase", phase)
	}
	return m
}

// JobPhase is the measurement phase a Job's conditions give, as Argo reads them: Successful for
// a Complete condition, Failed for a Failed one (the last of them wins), else Running. As in
// Argo, the condition's type counts, not its status.
func JobPhase(job *batchv1.Job) v1alpha1.AnalysisPhase {
	phase := v1alpha1.AnalysisPhaseRunning
	for _, c := range job.Status.Conditions {
		switch c.Type {
		case batchv1.JobComplete:
			phase = v1alpha1.AnalysisPhaseSuccessful
		case batchv1.JobFailed:
			phase = v1alpha1.AnalysisPhaseFailed
		}
	}
	return phase
}

// Terminate deletes the Job (foreground) and ends the measurement Successful.
func (p *jobProvider) Terminate(ctx context.Context, run *v1alpha1.AnalysisRun, _ v1alpha1.Metric, m v1alpha1.Measurement) v1alpha1.Measurement {
	key, err := jobKey(m, run.Namespace)
	if err != nil {
		return ErrorMeasurement(m, err, p.clock.Now())
	}
	if err := p.deleteJob(ctx, key); err != nil {
		return ErrorMeasurement(m, err, p.clock.Now())
	}
	now := metav1.NewTime(p.clock.Now())
	m.Phase, m.FinishedAt = v1alpha1.AnalysisPhaseSuccessful, &now
	p.log.Info("Job terminated", "namespace", key.Namespace, "job", key.Name)
	return m
}

// GarbageCollect deletes the metric's oldest Jobs beyond limit. Argo counts every Job of the
// run whatever its metric; here only the metric's own count, so that one metric's retention
// never deletes another metric's Job.
func (p *jobProvider) GarbageCollect(ctx context.Context, run *v1alpha1.AnalysisRun, metric v1alpha1.Metric, limit int) error {
	list := &batchv1.JobList{}
	opts := []client.ListOption{client.MatchingLabels{AnalysisRunUIDLabelKey: string(run.UID)}}
	if ns := p.jobNamespace(run); ns != "" {
		opts = append(opts, client.InNamespace(ns))
	}
	if err := p.client.List(ctx, list, opts...); err != nil {
		return err
	}
	jobs := slices.DeleteFunc(list.Items, func(j batchv1.Job) bool {
		return j.Annotations[AnalysisRunMetricAnnotationKey] != metric.Name
	})
	slices.SortStableFunc(jobs, func(a, b batchv1.Job) int {
		if c := a.CreationTimestamp.Compare(b.CreationTimestamp.Time); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	for i := 0; i < len(jobs)-limit; i++ {
		if err := p.deleteJob(ctx, client.ObjectKeyFromObject(&jobs[i])); err != nil {
			return err
		}
		p.log.Info("Job garbage collected", "namespace", jobs[i].Namespace, "job", jobs[i].Name)
	}
	return nil
}

func (p *jobProvider) jobNamespace(run *v1alpha1.AnalysisRun) string {
	if p.namespace != "" {
		return p.namespace
	}
	return run.Namespace
}

func (p *jobProvider) deleteJob(ctx context.Context, key types.NamespacedName) error {
	job := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name}}
	err := p.client.Delete(ctx, job, client.PropagationPolicy(metav1.DeletePropagationForeground))
	return client.IgnoreNotFound(err)
}

// jobKey names the measurement's Job from its metadata; the namespace defaults to the run's.
func jobKey(m v1alpha1.Measurement, namespace string) (types.NamespacedName, error) {
	name := m.Metadata[JobNameKey]
	if name == "" {
		return types.NamespacedName{}, errors.New(errJobMetadataMissing)
	}
	if ns := m.Metadata[JobNamespaceKey]; ns != "" {
		namespace = ns
	}
	return types.NamespacedName{Namespace: namespace, Name: name}, nil
}

// JobAnalysisRun names the AnalysisRun a Job was created for (from its annotations), for
// whoever must reconcile the run when the Job changes; ok is false for other Jobs.
func JobAnalysisRun(job *batchv1.Job) (types.NamespacedName, bool) {
	name := job.Annotations[AnalysisRunNameAnnotationKey]
	if name == "" {
		return types.NamespacedName{}, false
	}
	return types.NamespacedName{Namespace: job.Annotations[AnalysisRunNamespaceAnnotationKey], Name: name}, true
}

// JobMetricName is the name of the metric a Job measures ("" for other Jobs).
func JobMetricName(job *batchv1.Job) string {
	return job.Annotations[AnalysisRunMetricAnnotationKey]
}

// JobStatusFor is the status Kubernetes' Job controller (v1.31 and later) gives a one-pod Job
// that started at start and ended at end: Complete (with SuccessCriteriaMet first) when
// succeeded, else Failed (with FailureTarget first, reason BackoffLimitExceeded). A simulator
// that runs Jobs itself writes it with the status subresource.
func JobStatusFor(succeeded bool, start, end time.Time) batchv1.JobStatus {
	s, e := metav1.NewTime(start), metav1.NewTime(end)
	cond := func(t batchv1.JobConditionType, reason, message string) batchv1.JobCondition {
		return batchv1.JobCondition{Type: t, Status: corev1.ConditionTrue, LastProbeTime: e, LastTransitionTime: e, Reason: reason, Message: message}
	}
	status := batchv1.JobStatus{StartTime: &s, Ready: new(int32), Terminating: new(int32)}
	if succeeded {
		status.Succeeded = 1
		status.CompletionTime = &e
		status.Conditions = []batchv1.JobCondition{
			cond(batchv1.JobSuccessCriteriaMet, batchv1.JobReasonCompletionsReached, "Reached expected number of succeeded pods"),
			cond(batchv1.JobComplete, batchv1.JobReasonCompletionsReached, "Reached expected number of succeeded pods"),
		}
		return status
	}
	status.Failed = 1
	status.Conditions = []batchv1.JobCondition{
		cond(batchv1.JobFailureTarget, batchv1.JobReasonBackoffLimitExceeded, "Job has reached the specified backoff limit"),
		cond(batchv1.JobFailed, batchv1.JobReasonBackoffLimitExceeded, "Job has reached the specified backoff limit"),
	}
	return status
}
