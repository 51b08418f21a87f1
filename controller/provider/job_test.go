package provider

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/canarydrill/canarydrill/api/scheme"
	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

func jobRun() *v1alpha1.AnalysisRun {
	return &v1alpha1.AnalysisRun{ObjectMeta: metav1.ObjectMeta{Name: "demo-abc-2-2", Namespace: "shop", UID: "6f1c-uid"}}
}

func jobMetric(name string) v1alpha1.Metric {
	return v1alpha1.Metric{Name: name, Provider: v1alpha1.MetricProvider{Job: &v1alpha1.JobMetric{
		Metadata: metav1.ObjectMeta{Labels: map[string]string{"team": "qa"}, Annotations: map[string]string{"note": "smoke"}},
		Spec: batchv1.JobSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
			RestartPolicy: corev1.RestartPolicyNever,
			Containers:    []corev1.Container{{Name: "smoke", Image: "curlimages/curl"}},
		}}},
	}}}
}

func jobFactory(objs ...client.Object) (*DefaultFactory, client.Client) {
	c := fake.NewClientBuilder().WithScheme(scheme.New()).WithObjects(objs...).WithStatusSubresource(&batchv1.Job{}).Build()
	f := newFactory()
	f.Client = c
	return f, c
}

func TestJobName(t *testing.T) {
	run := jobRun()
	assert.Equal(t, "6f1c-uid.smoke.1", JobName(run, "smoke"))
	run.Status.MetricResults = []v1alpha1.MetricResult{{Name: "smoke", Count: 2, Error: 1}}
	assert.Equal(t, "6f1c-uid.smoke.4", JobName(run, "smoke"))
	long := strings.Repeat("m", 70)
	name := JobName(run, long)
	assert.Len(t, name, 63)
	assert.True(t, strings.HasPrefix(name, "6f1c-uid.mmm"))
	assert.True(t, strings.HasSuffix(name, ".1"))
}

func TestNewMetricJob(t *testing.T) {
	run := jobRun()
	job := NewMetricJob(run, jobMetric("smoke"), "")
	assert.Equal(t, "shop", job.Namespace)
	assert.Equal(t, map[string]string{"team": "qa", AnalysisRunUIDLabelKey: "6f1c-uid"}, job.Labels)
	assert.Equal(t, map[string]string{
		"note":                            "smoke",
		AnalysisRunNameAnnotationKey:      "demo-abc-2-2",
		AnalysisRunNamespaceAnnotationKey: "shop",
		AnalysisRunMetricAnnotationKey:    "smoke",
	}, job.Annotations)
	require.Len(t, job.OwnerReferences, 1)
	assert.Equal(t, "AnalysisRun", job.OwnerReferences[0].Kind)
	assert.True(t, *job.OwnerReferences[0].Controller)
	assert.Equal(t, "smoke", job.Spec.Template.Spec.Containers[0].Name)

	other := NewMetricJob(run, jobMetric("smoke"), "jobs")
	assert.Equal(t, "jobs", other.Namespace)
	assert.Empty(t, other.OwnerReferences, "no owner across namespaces")

	nn, ok := JobAnalysisRun(job)
	assert.True(t, ok)
	assert.Equal(t, types.NamespacedName{Namespace: "shop", Name: "demo-abc-2-2"}, nn)
	assert.Equal(t, "smoke", JobMetricName(job))
	_, ok = JobAnalysisRun(&batchv1.Job{})
	assert.False(t, ok)
}

func TestJobLifecycle(t *testing.T) {
	cases := []struct {
		name      string
		succeeded bool
		want      v1alpha1.AnalysisPhase
	}{
		{"Complete is Successful", true, v1alpha1.AnalysisPhaseSuccessful},
		{"Failed is Failed", false, v1alpha1.AnalysisPhaseFailed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			f, c := jobFactory()
			run, metric := jobRun(), jobMetric("smoke")
			p, err := f.NewProvider(metric)
			require.NoError(t, err)

			m := p.Run(ctx, run, metric)
			require.Equal(t, v1alpha1.AnalysisPhaseRunning, m.Phase, m.Message)
			assert.Nil(t, m.FinishedAt)
			assert.Nil(t, m.ResumeAt)
			assert.Equal(t, map[string]string{JobNameKey: "6f1c-uid.smoke.1", JobNamespaceKey: "shop"}, m.Metadata)

			// Nothing has run the Job yet.
			m = p.Resume(ctx, run, metric, m)
			assert.Equal(t, v1alpha1.AnalysisPhaseRunning, m.Phase)

			job := &batchv1.Job{}
			require.NoError(t, c.Get(ctx, types.NamespacedName{Namespace: "shop", Name: "6f1c-uid.smoke.1"}, job))
			job.Status = JobStatusFor(tc.succeeded, virtualNow.Add(-20*time.Second), virtualNow)
			require.NoError(t, c.Status().Update(ctx, job))

			m = p.Resume(ctx, run, metric, m)
			assert.Equal(t, tc.want, m.Phase)
			require.NotNil(t, m.FinishedAt)
			assert.True(t, m.FinishedAt.Time.Equal(virtualNow))
		})
	}
}

func TestJobStatusFor(t *testing.T) {
	ok := JobStatusFor(true, virtualNow, virtualNow.Add(time.Minute))
	assert.Equal(t, int32(1), ok.Succeeded)
	assert.Equal(t, []batchv1.JobConditionType{batchv1.JobSuccessCriteriaMet, batchv1.JobComplete}, []batchv1.JobConditionType{ok.Conditions[0].Type, ok.Conditions[1].Type})
	assert.True(t, ok.CompletionTime.Time.Equal(virtualNow.Add(time.Minute)))
	bad := JobStatusFor(false, virtualNow, virtualNow.Add(time.Minute))
	assert.Equal(t, int32(1), bad.Failed)
	assert.Nil(t, bad.CompletionTime)
	assert.Equal(t, batchv1.JobFailed, bad.Conditions[1].Type)
	assert.Equal(t, v1alpha1.AnalysisPhaseFailed, JobPhase(&batchv1.Job{Status: bad}))
	assert.Equal(t, v1alpha1.AnalysisPhaseSuccessful, JobPhase(&batchv1.Job{Status: ok}))
	assert.Equal(t, v1alpha1.AnalysisPhaseRunning, JobPhase(&batchv1.Job{}))
}

func TestJobResumeErrors(t *testing.T) {
	ctx := context.Background()
	f, _ := jobFactory()
	p, err := f.NewProvider(jobMetric("smoke"))
	require.NoError(t, err)

	m := p.Resume(ctx, jobRun(), jobMetric("smoke"), v1alpha1.Measurement{Phase: v1alpha1.AnalysisPhaseRunning})
	assert.Equal(t, v1alpha1.AnalysisPhaseError, m.Phase)
	assert.Equal(t, "job metadata reference missing", m.Message)

	m = p.Resume(ctx, jobRun(), jobMetric("smoke"), v1alpha1.Measurement{Phase: v1alpha1.AnalysisPhaseRunning, Metadata: map[string]string{JobNameKey: "gone"}})
	assert.Equal(t, v1alpha1.AnalysisPhaseError, m.Phase)
	assert.Contains(t, m.Message, `"gone" not found`)
}

func TestJobRunTakesOverItsOwnJob(t *testing.T) {
	ctx := context.Background()
	run, metric := jobRun(), jobMetric("smoke")
	mine := NewMetricJob(run, metric, "")
	f, _ := jobFactory(mine)
	p, err := f.NewProvider(metric)
	require.NoError(t, err)
	m := p.Run(ctx, run, metric)
	assert.Equal(t, v1alpha1.AnalysisPhaseRunning, m.Phase, m.Message)

	theirs := NewMetricJob(run, metric, "")
	theirs.Labels[AnalysisRunUIDLabelKey] = "someone-else"
	f, _ = jobFactory(theirs)
	p, err = f.NewProvider(metric)
	require.NoError(t, err)
	m = p.Run(ctx, run, metric)
	assert.Equal(t, v1alpha1.AnalysisPhaseError, m.Phase)
	assert.Equal(t, "job shop/6f1c-uid.smoke.1 exists and belongs to another AnalysisRun", m.Message)
}

func TestJobTerminateDeletes(t *testing.T) {
	ctx := context.Background()
	f, c := jobFactory()
	run, metric := jobRun(), jobMetric("smoke")
	p, err := f.NewProvider(metric)
	require.NoError(t, err)
	m := p.Run(ctx, run, metric)
	m = p.Terminate(ctx, run, metric, m)
	assert.Equal(t, v1alpha1.AnalysisPhaseSuccessful, m.Phase)
	assert.NotNil(t, m.FinishedAt)
	err = c.Get(ctx, types.NamespacedName{Namespace: "shop", Name: "6f1c-uid.smoke.1"}, &batchv1.Job{})
	assert.True(t, apierrors.IsNotFound(err))
	// A Job already gone terminates as well.
	m = p.Terminate(ctx, run, metric, v1alpha1.Measurement{Metadata: map[string]string{JobNameKey: "gone"}})
	assert.Equal(t, v1alpha1.AnalysisPhaseSuccessful, m.Phase)
}

func TestJobGarbageCollectKeepsTheNewestOfTheMetric(t *testing.T) {
	ctx := context.Background()
	run := jobRun()
	var objs []client.Object
	for i, name := range []string{"a", "b", "c"} {
		for _, metric := range []string{"smoke", "other"} {
			j := NewMetricJob(run, jobMetric(metric), "")
			j.Name = metric + "-" + name
			j.CreationTimestamp = metav1.NewTime(virtualNow.Add(time.Duration(i) * time.Minute))
			objs = append(objs, j)
		}
	}
	f, c := jobFactory(objs...)
	p, err := f.NewProvider(jobMetric("smoke"))
	require.NoError(t, err)
	require.NoError(t, p.GarbageCollect(ctx, run, jobMetric("smoke"), 1))
	list := &batchv1.JobList{}
	require.NoError(t, c.List(ctx, list))
	var names []string
	for _, j := range list.Items {
		names = append(names, j.Name)
	}
	assert.ElementsMatch(t, []string{"smoke-c", "other-a", "other-b", "other-c"}, names)
}

func TestJobNeedsAClient(t *testing.T) {
	_, err := newFactory().NewProvider(jobMetric("smoke"))
	assert.EqualError(t, err, "the job provider needs a Kubernetes client")
}
