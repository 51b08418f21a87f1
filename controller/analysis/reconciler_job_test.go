package analysis

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/canarydrill/canarydrill/api/scheme"
	"github.com/canarydrill/canarydrill/api/v1alpha1"
	"github.com/canarydrill/canarydrill/controller/provider"
)

func jobRunSpec() *v1alpha1.AnalysisRun {
	return &v1alpha1.AnalysisRun{Spec: v1alpha1.AnalysisRunSpec{Metrics: []v1alpha1.Metric{{
		Name: "smoke-test",
		Provider: v1alpha1.MetricProvider{Job: &v1alpha1.JobMetric{Spec: batchv1.JobSpec{
			Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
				RestartPolicy: corev1.RestartPolicyNever,
				Containers:    []corev1.Container{{Name: "smoke", Image: "curlimages/curl"}},
			}},
		}}},
	}}}}
}

// jobFixture is a fixture whose client also keeps Job status as a subresource.
func jobFixture(t *testing.T) *fixture {
	f := newFixture(t, jobRunSpec(), &fakeProm{})
	run := f.get()
	run.UID = "run-uid"
	// A Job has a status subresource, the AnalysisRun CRD none.
	c := fake.NewClientBuilder().WithScheme(scheme.New()).
		WithStatusSubresource(&batchv1.Job{}).
		WithObjects(run).Build()
	f.client = c
	f.r = &Reconciler{Client: c, Clock: f.clock, Providers: &provider.DefaultFactory{Clock: f.clock, Client: c}}
	return f
}

// finishJob sets the only Job's status as the Job controller would, and returns the requests
// the manager's Job watch would enqueue.
func (f *fixture) finishJob(succeeded bool) []reconcile.Request {
	f.t.Helper()
	jobs := &batchv1.JobList{}
	require.NoError(f.t, f.client.List(context.Background(), jobs))
	require.Len(f.t, jobs.Items, 1)
	job := jobs.Items[0]
	job.Status = provider.JobStatusFor(succeeded, f.clock.Now().Add(-20*time.Second), f.clock.Now())
	require.NoError(f.t, f.client.Status().Update(context.Background(), &job))
	return jobRunRequests(context.Background(), &job)
}

func TestReconcileJobMetric(t *testing.T) {
	for _, tc := range []struct {
		succeeded bool
		want      v1alpha1.AnalysisPhase
	}{{true, successful}, {false, failed}} {
		t.Run(string(tc.want), func(t *testing.T) {
			f := jobFixture(t)
			assert.Equal(t, reconcile.Result{}, f.reconcile(), "waiting for the Job: no requeue, the Job's change calls back")
			got := f.get()
			assert.Equal(t, running, got.Status.Phase)
			m := got.Status.MetricResults[0].Measurements[0]
			assert.Equal(t, running, m.Phase)
			assert.Equal(t, "run-uid.smoke-test.1", m.Metadata[provider.JobNameKey])

			// Nothing ran the Job yet: a reconcile changes nothing.
			f.clock.Step(10 * time.Second)
			f.reconcile()
			assert.Equal(t, running, f.get().Status.Phase)

			f.clock.Step(10 * time.Second)
			reqs := f.finishJob(tc.succeeded)
			assert.Equal(t, []reconcile.Request{{NamespacedName: f.key}}, reqs)
			f.reconcile()
			got = f.get()
			assert.Equal(t, tc.want, got.Status.Phase)
			assert.Equal(t, 20*time.Second, got.Status.MetricResults[0].Measurements[0].FinishedAt.Sub(t0))
		})
	}
}

func TestReconcileTerminateDeletesTheJob(t *testing.T) {
	f := jobFixture(t)
	f.reconcile()
	run := f.get()
	run.Spec.Terminate = true
	require.NoError(t, f.client.Update(context.Background(), run))
	f.clock.Step(5 * time.Second)
	f.reconcile()
	got := f.get()
	assert.Equal(t, successful, got.Status.Phase)
	assert.Equal(t, "Metric Terminated", got.Status.MetricResults[0].Measurements[0].Message)
	jobs := &batchv1.JobList{}
	require.NoError(t, f.client.List(context.Background(), jobs))
	assert.Empty(t, jobs.Items)
}

func TestJobRunRequestsIgnoresOtherObjects(t *testing.T) {
	assert.Nil(t, jobRunRequests(context.Background(), &batchv1.Job{}))
	assert.Nil(t, jobRunRequests(context.Background(), &corev1.Pod{}))
	job := &batchv1.Job{}
	job.Annotations = map[string]string{provider.AnalysisRunNameAnnotationKey: "r", provider.AnalysisRunNamespaceAnnotationKey: "ns"}
	assert.Equal(t, []reconcile.Request{{NamespacedName: types.NamespacedName{Namespace: "ns", Name: "r"}}}, jobRunRequests(context.Background(), job))
}
