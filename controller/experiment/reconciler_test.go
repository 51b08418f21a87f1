package experiment

import (
	"context"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/record"
	clocktesting "k8s.io/utils/clock/testing"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/canarydrill/canarydrill/api/scheme"
	"github.com/canarydrill/canarydrill/api/v1alpha1"
	"github.com/canarydrill/canarydrill/sim/memapi"
)

var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

type fixture struct {
	t     *testing.T
	ctx   context.Context
	c     client.Client
	clock *clocktesting.FakeClock
	rec   *record.FakeRecorder
	r     *Reconciler
	key   types.NamespacedName
	res   reconcile.Result
	// unavailable keeps these templates' pods from becoming available.
	unavailable map[string]bool
}

func newFixture(t *testing.T, ex *v1alpha1.Experiment, objs ...client.Object) *fixture {
	t.Helper()
	clk := clocktesting.NewFakeClock(epoch)
	c := memapi.New(scheme.New(), clk).Client()
	ctx := context.Background()
	for _, o := range append([]client.Object{ex}, objs...) {
		require.NoError(t, c.Create(ctx, o))
	}
	rec := record.NewFakeRecorder(1000)
	return &fixture{t: t, ctx: ctx, c: c, clock: clk, rec: rec,
		r:   &Reconciler{Client: c, Clock: clk, Recorder: rec},
		key: client.ObjectKeyFromObject(ex), unavailable: map[string]bool{}}
}

func (f *fixture) reconcile() {
	f.t.Helper()
	res, err := f.r.Reconcile(f.ctx, reconcile.Request{NamespacedName: f.key})
	require.NoError(f.t, err)
	f.res = res
}

// settle reconciles and plays the ReplicaSet controller until nothing changes.
func (f *fixture) settle() {
	f.t.Helper()
	for i := 0; i < 20; i++ {
		before := f.experiment().ResourceVersion + f.rsVersions()
		f.reconcile()
		for _, rs := range f.replicaSets() {
			n := *rs.Spec.Replicas
			avail := n
			if f.unavailable[rs.Annotations[v1alpha1.ExperimentTemplateNameAnnotationKey]] {
				avail = 0
			}
			if rs.Status.Replicas != n || rs.Status.AvailableReplicas != avail {
				rs.Status.Replicas, rs.Status.ReadyReplicas, rs.Status.AvailableReplicas = n, avail, avail
				require.NoError(f.t, f.c.Status().Update(f.ctx, rs))
			}
		}
		if f.experiment().ResourceVersion+f.rsVersions() == before {
			return
		}
	}
	f.t.Fatal("did not settle")
}

func (f *fixture) rsVersions() string {
	s := ""
	for _, rs := range f.replicaSets() {
		s += rs.Name + rs.ResourceVersion
	}
	return s
}

func (f *fixture) experiment() *v1alpha1.Experiment {
	ex := &v1alpha1.Experiment{}
	require.NoError(f.t, f.c.Get(f.ctx, f.key, ex))
	return ex
}

func (f *fixture) replicaSets() []*appsv1.ReplicaSet {
	var list appsv1.ReplicaSetList
	require.NoError(f.t, f.c.List(f.ctx, &list))
	out := make([]*appsv1.ReplicaSet, len(list.Items))
	for i := range list.Items {
		out[i] = &list.Items[i]
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func (f *fixture) sizes() map[string]int32 {
	out := map[string]int32{}
	for _, rs := range f.replicaSets() {
		out[rs.Name] = *rs.Spec.Replicas
	}
	return out
}

func (f *fixture) run(name string) *v1alpha1.AnalysisRun {
	ar := &v1alpha1.AnalysisRun{}
	require.NoError(f.t, f.c.Get(f.ctx, types.NamespacedName{Namespace: "default", Name: name}, ar))
	return ar
}

func (f *fixture) finishRun(name string, phase v1alpha1.AnalysisPhase) {
	ar := f.run(name)
	ar.Status.Phase = phase
	require.NoError(f.t, f.c.Update(f.ctx, ar))
}

func (f *fixture) events() []string {
	var out []string
	for {
		select {
		case e := <-f.rec.Events:
			out = append(out, e)
		default:
			return out
		}
	}
}

func i32(v int32) *int32 { return &v }

func template(name string) v1alpha1.TemplateSpec {
	return v1alpha1.TemplateSpec{
		Name:     name,
		Replicas: i32(1),
		Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web", "role": name}},
		Template: corev1.PodTemplateSpec{
			ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web", "role": name}},
			Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "web:" + name, Ports: []corev1.ContainerPort{{ContainerPort: 8080}}}}},
		},
	}
}

func analysisTemplate() *v1alpha1.AnalysisTemplate {
	return &v1alpha1.AnalysisTemplate{
		ObjectMeta: metav1.ObjectMeta{Name: "compare", Namespace: "default"},
		Spec: v1alpha1.AnalysisTemplateSpec{
			Args:    []v1alpha1.Argument{{Name: "canary-hash"}},
			Metrics: []v1alpha1.Metric{{Name: "m", Provider: v1alpha1.MetricProvider{Prometheus: &v1alpha1.PrometheusMetric{Address: "http://p", Query: "up{hash=\"{{args.canary-hash}}\"}"}}}},
		},
	}
}

func experiment(duration string, required bool) *v1alpha1.Experiment {
	hash := "{{templates.canary.podTemplateHash}}"
	return &v1alpha1.Experiment{
		ObjectMeta: metav1.ObjectMeta{Name: "exp", Namespace: "default"},
		Spec: v1alpha1.ExperimentSpec{
			Duration:  v1alpha1.DurationString(duration),
			Templates: []v1alpha1.TemplateSpec{template("baseline"), template("canary")},
			Analyses: []v1alpha1.ExperimentAnalysisTemplateRef{{
				Name: "compare", TemplateName: "compare", RequiredForCompletion: required,
				Args: []v1alpha1.Argument{{Name: "canary-hash", Value: &hash}},
			}},
		},
	}
}

func TestExperimentRunsForItsDuration(t *testing.T) {
	f := newFixture(t, experiment("1m", false), analysisTemplate())
	f.settle()
	ex := f.experiment()
	assert.Equal(t, map[string]int32{"exp-baseline": 1, "exp-canary": 1}, f.sizes())
	assert.Equal(t, v1alpha1.AnalysisPhaseRunning, ex.Status.Phase)
	require.NotNil(t, ex.Status.AvailableAt)
	ts := templateStatus(&ex.Status, "canary")
	assert.Equal(t, v1alpha1.TemplateStatusRunning, ts.Status)
	assert.Equal(t, int32(1), ts.AvailableReplicas)
	// The analysis starts once the templates are available, with the canary's hash resolved.
	rs := runStatus(&ex.Status, "compare")
	require.NotNil(t, rs)
	assert.Equal(t, "exp-compare", rs.AnalysisRun)
	run := f.run("exp-compare")
	canaryHash := f.replicaSets()[1].Labels[v1alpha1.DefaultRolloutUniqueLabelKey]
	assert.Equal(t, canaryHash, *run.Spec.Args[0].Value)
	assert.True(t, metav1.IsControlledBy(run, ex))
	assert.Equal(t, time.Minute, f.res.RequeueAfter, "the end of the duration")
	assert.Equal(t, "Experiment \"exp\" is running.", condition(&ex.Status, v1alpha1.ExperimentProgressing).Message)

	f.finishRun("exp-compare", v1alpha1.AnalysisPhaseRunning)
	f.clock.Step(time.Minute)
	f.settle()
	ex = f.experiment()
	assert.Equal(t, v1alpha1.TemplateStatusSuccessful, templateStatus(&ex.Status, "canary").Status)
	// Without required analyses a run still going does not hold the experiment up: it is
	// Successful with its templates, and the run is terminated.
	assert.Equal(t, v1alpha1.AnalysisPhaseSuccessful, ex.Status.Phase)
	assert.True(t, f.run("exp-compare").Spec.Terminate, "a finished experiment terminates its runs")
	assert.Equal(t, map[string]int32{"exp-baseline": 1, "exp-canary": 1}, f.sizes(), "scale-down waits scaleDownDelaySeconds")
	f.clock.Step(30 * time.Second)
	f.settle()
	assert.Equal(t, map[string]int32{"exp-baseline": 0, "exp-canary": 0}, f.sizes())
	assert.Contains(t, f.events(), "Normal ExperimentSuccessful Experiment transitioned from Running -> Successful")
}

func TestExperimentEndsWhenRequiredAnalysisSucceeds(t *testing.T) {
	ex := experiment("", true)
	ex.Spec.Templates[1].Service = &v1alpha1.TemplateService{}
	f := newFixture(t, ex, analysisTemplate())
	f.settle()
	svc := &corev1.Service{}
	require.NoError(t, f.c.Get(f.ctx, types.NamespacedName{Namespace: "default", Name: "exp-canary"}, svc))
	st := f.experiment().Status
	assert.Equal(t, "exp-canary", templateStatus(&st, "canary").ServiceName)
	assert.Equal(t, svc.Spec.Selector[v1alpha1.DefaultRolloutUniqueLabelKey], templateStatus(&st, "canary").PodTemplateHash)

	f.finishRun("exp-compare", v1alpha1.AnalysisPhaseSuccessful)
	f.settle()
	st = f.experiment().Status
	assert.Equal(t, v1alpha1.AnalysisPhaseSuccessful, st.Phase)
	assert.Equal(t, MsgRequiredCompleted, st.Message)
	assert.Equal(t, "Experiment \"exp\" has successfully ran and completed.", condition(&st, v1alpha1.ExperimentProgressing).Message)
}

func TestExperimentFailsWithItsAnalysis(t *testing.T) {
	f := newFixture(t, experiment("10m", false), analysisTemplate())
	f.settle()
	ar := f.run("exp-compare")
	ar.Status.Phase, ar.Status.Message = v1alpha1.AnalysisPhaseFailed, "too many errors"
	require.NoError(t, f.c.Update(f.ctx, ar))
	f.settle()
	st := f.experiment().Status
	assert.Equal(t, v1alpha1.AnalysisPhaseFailed, st.Phase)
	assert.Equal(t, "too many errors", st.Message)
	f.clock.Step(30 * time.Second)
	f.settle()
	assert.Equal(t, map[string]int32{"exp-baseline": 0, "exp-canary": 0}, f.sizes())
}

func TestExperimentTemplateProgressDeadline(t *testing.T) {
	ex := experiment("10m", false)
	ex.Spec.ProgressDeadlineSeconds = i32(60)
	f := newFixture(t, ex, analysisTemplate())
	f.unavailable["canary"] = true
	f.settle()
	assert.Equal(t, v1alpha1.AnalysisPhasePending, f.experiment().Status.Phase)
	assert.Equal(t, time.Minute, f.res.RequeueAfter)
	f.clock.Step(time.Minute)
	f.settle()
	st := f.experiment().Status
	assert.Equal(t, v1alpha1.AnalysisPhaseFailed, st.Phase)
	assert.Equal(t, "Template 'canary' exceeded its progressDeadlineSeconds (60)", st.Message)
}

func TestExperimentInvalidSpec(t *testing.T) {
	ex := experiment("1m", false)
	ex.Spec.Templates[1].Name = "baseline"
	f := newFixture(t, ex)
	f.reconcile()
	st := f.experiment().Status
	c := condition(&st, v1alpha1.InvalidExperimentSpec)
	require.NotNil(t, c)
	assert.Equal(t, "Experiment exp has repeated template name 'baseline' in templates", c.Message)
	assert.Empty(t, f.replicaSets())
}

func TestResolveArgs(t *testing.T) {
	f := newFixture(t, experiment("1m", false))
	c := &exContext{r: f.r, ctx: f.ctx, ex: f.experiment(), templateRSs: map[string]*appsv1.ReplicaSet{}}
	v := "{{ templates.nope.podTemplateHash }}"
	_, err := c.resolveArgs([]v1alpha1.Argument{{Name: "a", Value: &v}})
	assert.EqualError(t, err, "failed to resolve {{ templates.nope.podTemplateHash }}")
}
