package sim

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
	"github.com/canarydrill/canarydrill/controller/provider"
	"github.com/canarydrill/canarydrill/reports"
	"github.com/canarydrill/canarydrill/scenarios"
)

// recordingReconciler stands in for the AnalysisRun reconciler: it notes when each run was
// reconciled.
type recordingReconciler struct {
	w     *World
	calls []string
}

func (r *recordingReconciler) Reconcile(_ context.Context, req reconcile.Request) (reconcile.Result, error) {
	r.calls = append(r.calls, r.w.sinceStart(r.w.now()).String()+" "+req.String())
	return reconcile.Result{}, nil
}

// jobWorld is a world whose AnalysisRun reconciler only records, for a Job made as the job
// provider makes it, for metric "smoke" of run default/run-1.
func jobWorld(t *testing.T, entry *scenarios.Job) (*World, *recordingReconciler) {
	t.Helper()
	sc := load(t, "builtin:analysis-job-smoke-test-promotes")
	sc.Spec.Jobs = map[string]scenarios.Job{}
	if entry != nil {
		sc.Spec.Jobs["smoke"] = *entry
	}
	sc.Spec.Timeline = nil
	w, err := New(t.Context(), sc, 1)
	require.NoError(t, err)
	rec := &recordingReconciler{w: w}
	w.controllers.analysis = rec
	return w, rec
}

func smokeJob(spec batchv1.JobSpec) *batchv1.Job {
	run := &v1alpha1.AnalysisRun{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "run-1", UID: "run-uid"}}
	spec.Template.Spec = corev1.PodSpec{RestartPolicy: corev1.RestartPolicyNever, Containers: []corev1.Container{{Name: "smoke", Image: "curl"}}}
	metric := v1alpha1.Metric{Name: "smoke", Provider: v1alpha1.MetricProvider{Job: &v1alpha1.JobMetric{Spec: spec}}}
	return provider.NewMetricJob(run, metric, "default")
}

// advanceTo runs every event due up to d after the start, as Run does, without stopping when
// the rollout settles.
func advanceTo(t *testing.T, w *World, d time.Duration) {
	t.Helper()
	until := Epoch.Add(d)
	for {
		at, ok := w.q.peek()
		if !ok || at.After(until) {
			break
		}
		e := w.q.next()
		if e == nil {
			break
		}
		w.clock.set(e.at)
		e.run()
		require.NoError(t, w.err)
	}
	w.clock.set(until)
}

func jobEvents(w *World) []reports.Event {
	var out []reports.Event
	for _, e := range w.obs.events {
		switch e.Kind {
		case reasonJobCompleted, batchv1.JobReasonBackoffLimitExceeded, batchv1.JobReasonDeadlineExceeded:
			out = append(out, e)
		}
	}
	return out
}

func TestJobController(t *testing.T) {
	at := func(d time.Duration) *metav1.Time { return ptr.To(metav1.NewTime(Epoch.Add(d))) }
	type cond struct {
		typ    batchv1.JobConditionType
		reason string
	}
	for _, tc := range []struct {
		name  string
		entry *scenarios.Job
		spec  batchv1.JobSpec
		// end is when the Job finishes; the status is checked just before and at it.
		end       time.Duration
		succeeded int32
		failed    int32
		conds     []cond
		event     string
	}{{
		name:      "no entry: succeeds after the default 10s",
		end:       scenarios.DefaultJobDuration,
		succeeded: 1,
		conds:     []cond{{batchv1.JobSuccessCriteriaMet, batchv1.JobReasonCompletionsReached}, {batchv1.JobComplete, batchv1.JobReasonCompletionsReached}},
		event:     "10s Completed Job default/run-uid.smoke.1: Job completed",
	}, {
		name:      "succeed after 45s",
		entry:     &scenarios.Job{Duration: scenarios.Duration{Duration: 45 * time.Second}, Outcome: scenarios.JobSucceed},
		end:       45 * time.Second,
		succeeded: 1,
		conds:     []cond{{batchv1.JobSuccessCriteriaMet, batchv1.JobReasonCompletionsReached}, {batchv1.JobComplete, batchv1.JobReasonCompletionsReached}},
		event:     "45s Completed Job default/run-uid.smoke.1: Job completed",
	}, {
		name:   "fail with backoffLimit 0: one pod",
		entry:  &scenarios.Job{Duration: scenarios.Duration{Duration: 20 * time.Second}, Outcome: scenarios.JobFail},
		spec:   batchv1.JobSpec{BackoffLimit: ptr.To(int32(0))},
		end:    20 * time.Second,
		failed: 1,
		conds:  []cond{{batchv1.JobFailureTarget, batchv1.JobReasonBackoffLimitExceeded}, {batchv1.JobFailed, batchv1.JobReasonBackoffLimitExceeded}},
		event:  "20s BackoffLimitExceeded Job default/run-uid.smoke.1: Job has reached the specified backoff limit",
	}, {
		// Pods run 0-5s, 15-20s (10s back-off), 40-45s (20s back-off): three failures > 2.
		name:   "fail with backoffLimit 2: three pods and two back-offs",
		entry:  &scenarios.Job{Duration: scenarios.Duration{Duration: 5 * time.Second}, Outcome: scenarios.JobFail},
		spec:   batchv1.JobSpec{BackoffLimit: ptr.To(int32(2))},
		end:    45 * time.Second,
		failed: 3,
		conds:  []cond{{batchv1.JobFailureTarget, batchv1.JobReasonBackoffLimitExceeded}, {batchv1.JobFailed, batchv1.JobReasonBackoffLimitExceeded}},
		event:  "45s BackoffLimitExceeded Job default/run-uid.smoke.1: Job has reached the specified backoff limit",
	}, {
		name:   "activeDeadlineSeconds ends a slow pod",
		entry:  &scenarios.Job{Duration: scenarios.Duration{Duration: time.Minute}, Outcome: scenarios.JobSucceed},
		spec:   batchv1.JobSpec{ActiveDeadlineSeconds: ptr.To(int64(30))},
		end:    30 * time.Second,
		failed: 1,
		conds:  []cond{{batchv1.JobFailureTarget, batchv1.JobReasonDeadlineExceeded}, {batchv1.JobFailed, batchv1.JobReasonDeadlineExceeded}},
		event:  "30s DeadlineExceeded Job default/run-uid.smoke.1: Job was active longer than specified deadline",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			w, rec := jobWorld(t, tc.entry)
			require.NoError(t, w.client.Create(t.Context(), smokeJob(tc.spec)))
			key := types.NamespacedName{Namespace: "default", Name: "run-uid.smoke.1"}
			runReq := "default/run-1"

			advanceTo(t, w, 0)
			job := w.store.Peek(jobGVK, key).(*batchv1.Job)
			assert.Equal(t, at(0), job.Status.StartTime, "started when created")
			assert.Equal(t, int32(1), job.Status.Active)
			assert.Empty(t, job.Status.Conditions)
			assert.Equal(t, []string{"0s " + runReq}, rec.calls, "created, then started: one reconcile at that instant")

			advanceTo(t, w, tc.end-time.Second)
			job = w.store.Peek(jobGVK, key).(*batchv1.Job)
			assert.Empty(t, job.Status.Conditions, "still running a second before the end")
			assert.Empty(t, jobEvents(w))

			rec.calls = nil
			advanceTo(t, w, tc.end)
			job = w.store.Peek(jobGVK, key).(*batchv1.Job)
			assert.Equal(t, tc.succeeded, job.Status.Succeeded)
			assert.Equal(t, tc.failed, job.Status.Failed)
			assert.Zero(t, job.Status.Active)
			assert.Equal(t, at(0), job.Status.StartTime)
			var got []cond
			for _, c := range job.Status.Conditions {
				assert.Equal(t, corev1.ConditionTrue, c.Status)
				assert.Equal(t, *at(tc.end), c.LastTransitionTime)
				got = append(got, cond{c.Type, c.Reason})
			}
			assert.Equal(t, tc.conds, got)
			if tc.succeeded == 1 {
				assert.Equal(t, at(tc.end), job.Status.CompletionTime)
				assert.Equal(t, v1alpha1.AnalysisPhaseSuccessful, provider.JobPhase(job))
			} else {
				assert.Nil(t, job.Status.CompletionTime, "only a succeeded Job has one")
				assert.Equal(t, v1alpha1.AnalysisPhaseFailed, provider.JobPhase(job))
			}
			assert.Equal(t, []string{tc.end.String() + " " + runReq}, rec.calls, "the run is reconciled when its Job ends")
			var events []string
			for _, e := range jobEvents(w) {
				events = append(events, time.Duration(e.At*float64(time.Second)).String()+" "+e.Kind+" "+e.Message)
			}
			assert.Equal(t, []string{tc.event}, events)
			assert.Empty(t, w.jobs.running)
			_, due := w.q.due[w.jobs.queueKey(key)]
			assert.False(t, due, "nothing left scheduled for a finished Job")
		})
	}
}

// A Job in its back-off writes its failures so far, and no pod is active.
func TestJobControllerBackoffStatus(t *testing.T) {
	w, _ := jobWorld(t, &scenarios.Job{Duration: scenarios.Duration{Duration: 5 * time.Second}, Outcome: scenarios.JobFail})
	require.NoError(t, w.client.Create(t.Context(), smokeJob(batchv1.JobSpec{})))
	key := types.NamespacedName{Namespace: "default", Name: "run-uid.smoke.1"}
	for _, tc := range []struct {
		at             time.Duration
		active, failed int32
	}{{4 * time.Second, 1, 0}, {5 * time.Second, 0, 1}, {14 * time.Second, 0, 1}, {15 * time.Second, 1, 1}, {20 * time.Second, 0, 2}, {40 * time.Second, 1, 2}} {
		advanceTo(t, w, tc.at)
		job := w.store.Peek(jobGVK, key).(*batchv1.Job)
		assert.Equal(t, tc.active, job.Status.Active, "active at %s", tc.at)
		assert.Equal(t, tc.failed, job.Status.Failed, "failed at %s", tc.at)
		assert.Empty(t, job.Status.Conditions, "at %s", tc.at)
	}
	// The default backoffLimit of 6: seven pods of 5 s and back-offs of 10+20+40+80+160+320 s.
	advanceTo(t, w, 7*5*time.Second+630*time.Second-time.Second)
	assert.Empty(t, w.store.Peek(jobGVK, key).(*batchv1.Job).Status.Conditions)
	advanceTo(t, w, 7*5*time.Second+630*time.Second)
	job := w.store.Peek(jobGVK, key).(*batchv1.Job)
	assert.Equal(t, v1alpha1.AnalysisPhaseFailed, provider.JobPhase(job))
	assert.Equal(t, int32(7), job.Status.Failed)
}

// A Job deleted while it runs (a terminated run deletes it) is never written again, and leaves
// nothing scheduled; its run is reconciled for the deletion, as a Job watch would.
func TestJobControllerDeletedJob(t *testing.T) {
	w, rec := jobWorld(t, &scenarios.Job{Duration: scenarios.Duration{Duration: 30 * time.Second}, Outcome: scenarios.JobSucceed})
	job := smokeJob(batchv1.JobSpec{})
	require.NoError(t, w.client.Create(t.Context(), job))
	key := client.ObjectKeyFromObject(job)
	advanceTo(t, w, 10*time.Second)
	require.NoError(t, w.client.Delete(t.Context(), job))
	_, due := w.q.due[w.jobs.queueKey(key)]
	assert.False(t, due, "the Job's end is cancelled")
	assert.Empty(t, w.jobs.running)
	advanceTo(t, w, time.Minute)
	assert.Nil(t, w.store.Peek(jobGVK, key))
	assert.Empty(t, jobEvents(w))
	assert.Equal(t, []string{"0s default/run-1", "10s default/run-1"}, rec.calls)
}

// A Job of a metric the scenario's entry fails only for some versions: the version is the one
// the Job's run measures. The built-in pair runs the same entry against shop:v2 and shop:v3.
func TestJobBuiltinsFailOnlyTheBadVersion(t *testing.T) {
	good := run(t, "builtin:analysis-job-smoke-test-promotes", 1)
	bad := run(t, "builtin:analysis-job-fails-rolls-back", 1)
	assert.Equal(t, scenarios.OutcomePromoted, good.Outcome)
	assert.Equal(t, scenarios.OutcomeRolledBack, bad.Outcome)
	require.Len(t, good.AnalysisRuns, 1)
	require.Len(t, bad.AnalysisRuns, 1)
	// Both Jobs start at 125 s (1m update, 5 s startup, 1m pause). The good one ends after 30 s;
	// the bad one after two 30 s pods and a 10 s back-off (backoffLimit 1).
	assert.Equal(t, []reports.Measurement{{At: 155, Phase: "Successful"}}, good.AnalysisRuns[0].Metrics[0].Measurements)
	assert.Equal(t, []reports.Measurement{{At: 195, Phase: "Failed"}}, bad.AnalysisRuns[0].Metrics[0].Measurements)
	require.NotNil(t, bad.DetectionSeconds)
	assert.Equal(t, 135.0, *bad.DetectionSeconds)
}

// The job built-ins give the same report, byte for byte, for the same seed.
func TestJobBuiltinsSameSeedSameReport(t *testing.T) {
	for _, ref := range []string{"builtin:analysis-job-smoke-test-promotes", "builtin:analysis-job-fails-rolls-back"} {
		a, err := reports.JSON(run(t, ref, 3))
		require.NoError(t, err)
		b, err := reports.JSON(run(t, ref, 3))
		require.NoError(t, err)
		assert.Equal(t, string(a), string(b), ref)
	}
}
