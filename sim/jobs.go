package sim

import (
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
	"github.com/canarydrill/canarydrill/controller/provider"
	"github.com/canarydrill/canarydrill/sim/memapi"
)

// Kubernetes' Job controller (pkg/controller/job): a failed pod is replaced after a back-off of
// 10 s doubling per failure, capped at 10 minutes, and a Job without a backoffLimit gets the API
// server's default of 6.
const (
	jobBackoffInitial      = 10 * time.Second
	jobBackoffMax          = 10 * time.Minute
	jobDefaultBackoffLimit = int32(6)
)

// The events Kubernetes' Job controller records when a Job finishes, and its failure messages.
const (
	reasonJobCompleted    = "Completed"
	msgJobCompleted       = "Job completed"
	msgJobBackoffExceeded = "Job has reached the specified backoff limit"
	msgJobDeadline        = "Job was active longer than specified deadline"
)

const kindJob = "Job"

var jobGVK = schema.GroupVersionKind{Group: "batch", Version: "v1", Kind: kindJob}

// jobs is the simulator's Job controller. No pod runs for a Job: each pod "runs" for the
// scenario's duration of the Job's metric (spec.jobs) and exits with the outcome the scenario
// gives the version under analysis. Between those instants the controller writes the status
// Kubernetes' Job controller would: start, each failure, the back-off's replacement pod, and the
// Complete or Failed end.
type jobs struct {
	w *World
	// running are the Jobs not finished yet, by namespace/name.
	running map[types.NamespacedName]*simJob
}

// simJob is one Job being run.
type simJob struct {
	key   types.NamespacedName
	uid   types.UID
	fail  bool
	run   time.Duration // each pod's run
	limit int32         // backoffLimit
	start time.Time
	// deadline is start + activeDeadlineSeconds; zero without one.
	deadline time.Time
	// podEnds is when the current pod exits, or, between pods, when the next one starts.
	podEnds  time.Time
	active   bool
	failures int32
}

func newJobs(w *World) *jobs {
	return &jobs{w: w, running: map[types.NamespacedName]*simJob{}}
}

// jobChanged is the Job controller's and the analysis manager's watch: a new Job starts; a
// deleted one takes its pending step with it; and the AnalysisRun a Job measures for is
// reconciled on every change, as Argo's Job informer has it.
func (js *jobs) jobChanged(e memapi.Event) {
	job, ok := e.Object.(*batchv1.Job)
	if !ok {
		return
	}
	key := client.ObjectKeyFromObject(job)
	switch e.Type {
	case memapi.Added:
		// Started at the next event of this instant, not inside the creator's write.
		js.w.q.add(js.w.now(), js.queueKey(key), func() { js.start(key, job.UID) })
	case memapi.Deleted:
		if j := js.running[key]; j != nil && j.uid == job.UID {
			delete(js.running, key)
		}
		js.w.q.cancel(js.queueKey(key))
	}
	if run, ok := provider.JobAnalysisRun(job); ok {
		js.w.enqueue(kindAnalysisRun, run, 0)
	}
}

func (js *jobs) queueKey(key types.NamespacedName) string { return "job/" + key.String() }

// start begins a Job: its behaviour comes from the scenario entry of its metric and the version
// its AnalysisRun measures.
func (js *jobs) start(key types.NamespacedName, uid types.UID) {
	job := js.get(key, uid)
	if job == nil || job.Status.StartTime != nil || ptr.Deref(job.Spec.Suspend, false) {
		return
	}
	spec := js.w.sc.Spec.JobFor(provider.JobMetricName(job))
	name, image := js.versionUnderAnalysis(job)
	now := js.w.now()
	j := &simJob{
		key: key, uid: uid,
		fail:  spec.Fails(name, image),
		run:   spec.Duration.Duration,
		limit: ptr.Deref(job.Spec.BackoffLimit, jobDefaultBackoffLimit),
		start: now,
	}
	if d := job.Spec.ActiveDeadlineSeconds; d != nil {
		j.deadline = now.Add(time.Duration(*d) * time.Second)
	}
	js.running[key] = j
	js.startPod(j, job)
}

// startPod runs the Job's next pod and schedules its exit.
func (js *jobs) startPod(j *simJob, job *batchv1.Job) {
	j.active, j.podEnds = true, js.w.now().Add(j.run)
	js.writeStatus(job, js.runningStatus(j))
	js.schedule(j)
}

// schedule queues the Job's next step: the pod's exit or replacement, or the deadline if it comes
// first.
func (js *jobs) schedule(j *simJob) {
	at := j.podEnds
	if !j.deadline.IsZero() && j.deadline.Before(at) {
		at = j.deadline
	}
	js.w.q.add(at, js.queueKey(j.key), func() { js.step(j) })
}

func (js *jobs) step(j *simJob) {
	job := js.get(j.key, j.uid)
	if job == nil || js.running[j.key] != j {
		return
	}
	now := js.w.now()
	switch {
	case !j.deadline.IsZero() && !now.Before(j.deadline):
		if j.active {
			j.failures++ // the pod killed at the deadline counts as failed
		}
		js.finish(j, job, failedStatus(j.start, now, j.failures, batchv1.JobReasonDeadlineExceeded, msgJobDeadline))
	case !j.active:
		js.startPod(j, job)
	case !j.fail:
		st := provider.JobStatusFor(true, j.start, now)
		st.Failed = j.failures
		js.finish(j, job, st)
	default:
		j.failures++
		if j.failures > j.limit {
			js.finish(j, job, failedStatus(j.start, now, j.failures, batchv1.JobReasonBackoffLimitExceeded, msgJobBackoffExceeded))
			return
		}
		j.active, j.podEnds = false, now.Add(jobBackoff(j.failures))
		js.writeStatus(job, js.runningStatus(j))
		js.schedule(j)
	}
}

func (js *jobs) finish(j *simJob, job *batchv1.Job, st batchv1.JobStatus) {
	delete(js.running, j.key)
	st.UncountedTerminatedPods = &batchv1.UncountedTerminatedPods{}
	last := st.Conditions[len(st.Conditions)-1]
	if last.Type == batchv1.JobComplete {
		js.w.obs.event(reasonJobCompleted, fmt.Sprintf("Job %s: %s", j.key, msgJobCompleted))
	} else {
		js.w.obs.event(last.Reason, fmt.Sprintf("Job %s: %s", j.key, last.Message))
	}
	js.writeStatus(job, st)
}

// runningStatus is the status of a Job with a pod running or waiting out its back-off.
func (js *jobs) runningStatus(j *simJob) batchv1.JobStatus {
	st := batchv1.JobStatus{
		StartTime:               ptr.To(metav1.NewTime(j.start)),
		Failed:                  j.failures,
		Ready:                   ptr.To(int32(0)),
		Terminating:             ptr.To(int32(0)),
		UncountedTerminatedPods: &batchv1.UncountedTerminatedPods{},
	}
	if j.active {
		st.Active = 1
	}
	return st
}

// failedStatus is a failed Job's status, as provider.JobStatusFor writes it, with the failure's
// own reason and the number of pods that failed.
func failedStatus(start, end time.Time, failed int32, reason, message string) batchv1.JobStatus {
	st := provider.JobStatusFor(false, start, end)
	st.Failed = failed
	for i := range st.Conditions {
		st.Conditions[i].Reason, st.Conditions[i].Message = reason, message
	}
	return st
}

// jobBackoff is the delay before the pod that replaces the n-th failed one.
func jobBackoff(failures int32) time.Duration {
	d := jobBackoffInitial
	for i := int32(1); i < failures; i++ {
		d *= 2
		if d >= jobBackoffMax {
			return jobBackoffMax
		}
	}
	return d
}

// get reads the Job, or nil when it is gone or is another Job of the same name.
func (js *jobs) get(key types.NamespacedName, uid types.UID) *batchv1.Job {
	job := &batchv1.Job{}
	if err := js.w.client.Get(js.w.ctx, key, job); err != nil {
		if !apierrors.IsNotFound(err) {
			js.w.fail(fmt.Errorf("reading job %s: %w", key, err))
		}
		return nil
	}
	if job.UID != uid {
		return nil
	}
	return job
}

func (js *jobs) writeStatus(job *batchv1.Job, st batchv1.JobStatus) {
	job.Status = st
	if err := js.w.client.Status().Update(js.w.ctx, job); err != nil && !apierrors.IsNotFound(err) {
		js.w.fail(fmt.Errorf("writing status of job %s/%s: %w", job.Namespace, job.Name, err))
	}
}

// versionUnderAnalysis is the version (scenario name and first image) of the pods the Job's
// AnalysisRun measures: the ReplicaSet of the run's rollouts-pod-template-hash, owned by the
// run's Rollout. Empty when the Job has no such run.
func (js *jobs) versionUnderAnalysis(job *batchv1.Job) (name, image string) {
	nn, ok := provider.JobAnalysisRun(job)
	if !ok {
		return "", ""
	}
	ar, _ := js.w.store.Peek(analysisRunGVK, nn).(*v1alpha1.AnalysisRun)
	if ar == nil {
		return "", ""
	}
	hash := ar.Labels[v1alpha1.DefaultRolloutUniqueLabelKey]
	owner := metav1.GetControllerOf(ar)
	if hash == "" || owner == nil || owner.Kind != kindRollout {
		return "", ""
	}
	for _, o := range js.w.store.OwnedBy(replicaSetGVK, owner.UID) {
		rs := o.(*appsv1.ReplicaSet)
		if rs.Labels[v1alpha1.DefaultRolloutUniqueLabelKey] != hash {
			continue
		}
		name, _ = js.w.behaviourOf(&rs.Spec.Template)
		return name, firstImage(&rs.Spec.Template)
	}
	return "", ""
}
