package rollout

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

// recordingRouter is a TrafficRouter that records the calls the reconciler makes.
type recordingRouter struct{ calls *[]string }

func (r recordingRouter) Type() string { return "Recorder" }
func (r recordingRouter) SetWeight(_ context.Context, w int32, add ...v1alpha1.WeightDestination) error {
	*r.calls = append(*r.calls, fmt.Sprintf("SetWeight %d%v", w, add))
	return nil
}
func (r recordingRouter) SetHeaderRoute(_ context.Context, h *v1alpha1.SetHeaderRoute) error {
	*r.calls = append(*r.calls, fmt.Sprintf("SetHeaderRoute %s %d", h.Name, len(h.Match)))
	return nil
}
func (r recordingRouter) SetMirrorRoute(_ context.Context, m *v1alpha1.SetMirrorRoute) error {
	*r.calls = append(*r.calls, fmt.Sprintf("SetMirrorRoute %s %d", m.Name, *m.Percentage))
	return nil
}
func (r recordingRouter) RemoveManagedRoutes(context.Context) error {
	*r.calls = append(*r.calls, "RemoveManagedRoutes")
	return nil
}
func (r recordingRouter) VerifyWeight(context.Context, int32, ...v1alpha1.WeightDestination) (*bool, error) {
	return nil, nil
}

// routes keeps the route calls, each run of repeats once.
func routes(calls []string) []string {
	var out []string
	for _, c := range calls {
		if strings.HasPrefix(c, "SetWeight") {
			continue
		}
		if len(out) == 0 || out[len(out)-1] != c {
			out = append(out, c)
		}
	}
	return out
}

func routedFixture(t *testing.T, steps []v1alpha1.CanaryStep) (*fixture, *[]string) {
	ro := withServices(seedRollout())
	ro.Spec.Strategy.Canary.Steps = steps
	ro.Spec.Strategy.Canary.TrafficRouting = &v1alpha1.RolloutTrafficRouting{
		Istio:         &v1alpha1.IstioTrafficRouting{VirtualService: &v1alpha1.IstioVirtualService{Name: "demo-app"}},
		ManagedRoutes: []v1alpha1.MangedRoutes{{Name: "testers"}, {Name: "mirror"}},
	}
	f := newFixture(t, ro, successRateTemplate(), service("demo-app-stable"), service("demo-app-canary"))
	calls := &[]string{}
	f.r.Routers = func(*v1alpha1.Rollout, []*appsv1.ReplicaSet) ([]TrafficRouter, error) {
		return []TrafficRouter{recordingRouter{calls}}, nil
	}
	return f, calls
}

func TestSetCanaryScaleSteps(t *testing.T) {
	f, calls := routedFixture(t, []v1alpha1.CanaryStep{
		{SetCanaryScale: &v1alpha1.SetCanaryScale{Replicas: i32(2)}},
		{Pause: &v1alpha1.RolloutPause{}},
		{SetWeight: i32(20)},
		{SetCanaryScale: &v1alpha1.SetCanaryScale{Weight: i32(60)}},
		{Pause: &v1alpha1.RolloutPause{}},
		{SetCanaryScale: &v1alpha1.SetCanaryScale{MatchTrafficWeight: true}},
		{Pause: &v1alpha1.RolloutPause{}},
	})
	f.settle()
	v1 := f.rollout().Status.StableRS
	f.setArgs("Version 2")
	f.settle()
	v2 := f.rollout().Status.CurrentPodHash
	// Two canary pods and no weight: setCanaryScale completes once they are available.
	assert.Equal(t, map[string]int32{v1: 5, v2: 2}, f.sizes())
	assert.Equal(t, int32(1), *f.rollout().Status.CurrentStepIndex)
	assert.Equal(t, int32(0), f.rollout().Status.Canary.Weights.Canary.Weight)
	assert.Contains(t, f.events, "Normal RolloutStepCompleted Rollout step 1/7 completed (setCanaryScale{replicas: 2})")

	f.operate(OpPromote)
	f.settle()
	// 20% of the traffic, 60% of the pods.
	assert.Equal(t, map[string]int32{v1: 5, v2: 3}, f.sizes())
	assert.Equal(t, int32(20), f.rollout().Status.Canary.Weights.Canary.Weight)
	assert.Equal(t, int32(4), *f.rollout().Status.CurrentStepIndex)

	f.operate(OpPromote)
	f.settle()
	assert.Equal(t, map[string]int32{v1: 5, v2: 1}, f.sizes(), "matchTrafficWeight: the pods follow the 20% again")
	assert.Contains(t, *calls, "SetWeight 20[]")
}

func TestHeaderAndMirrorRouteSteps(t *testing.T) {
	pct := int32(50)
	f, calls := routedFixture(t, []v1alpha1.CanaryStep{
		{SetCanaryScale: &v1alpha1.SetCanaryScale{Replicas: i32(1)}},
		{SetHeaderRoute: &v1alpha1.SetHeaderRoute{Name: "testers", Match: []v1alpha1.HeaderRoutingMatch{{HeaderName: "X-Canary", HeaderValue: &v1alpha1.StringMatch{Exact: "yes"}}}}},
		{Pause: &v1alpha1.RolloutPause{}},
		{SetMirrorRoute: &v1alpha1.SetMirrorRoute{Name: "mirror", Percentage: &pct, Match: []v1alpha1.RouteMatch{{Method: &v1alpha1.StringMatch{Exact: "GET"}}}}},
		{SetWeight: i32(40)},
		{Pause: &v1alpha1.RolloutPause{}},
	})
	f.settle()
	f.setArgs("Version 2")
	f.settle()
	ro := f.rollout()
	assert.Equal(t, int32(2), *ro.Status.CurrentStepIndex, "a header route completes at once")
	assert.Contains(t, f.events, "Normal RolloutStepCompleted Rollout step 2/6 completed (setHeaderRoute: testers)")

	f.operate(OpPromote)
	f.settle()
	assert.Equal(t, int32(5), *f.rollout().Status.CurrentStepIndex)
	f.operate(OpPromoteFull)
	f.settle()
	// Managed routes go while the canary has no pods, when it becomes the stable, and on aborts;
	// header and mirror routes are set once, at their steps.
	assert.Equal(t, []string{"RemoveManagedRoutes", "SetHeaderRoute testers 1", "SetMirrorRoute mirror 50", "RemoveManagedRoutes"}, routes(*calls))
	assert.Equal(t, v1alpha1.RolloutPhaseHealthy, f.rollout().Status.Phase)
}

func experimentRollout() *v1alpha1.Rollout {
	ro := seedRollout()
	ro.Spec.Strategy.Canary.Steps = []v1alpha1.CanaryStep{
		{SetWeight: i32(20)},
		{Experiment: &v1alpha1.RolloutExperimentStep{
			Duration: "1m",
			Templates: []v1alpha1.RolloutExperimentTemplate{
				{Name: "baseline", SpecRef: v1alpha1.StableSpecRef, Replicas: i32(1), Metadata: v1alpha1.PodTemplateMetadata{Labels: map[string]string{"role": "baseline"}}},
				{Name: "canary", SpecRef: v1alpha1.CanarySpecRef},
			},
			Analyses: []v1alpha1.RolloutExperimentStepAnalysisTemplateRef{{
				Name: "rate", TemplateName: "success-rate-check", RequiredForCompletion: true,
				Args: []v1alpha1.AnalysisRunArgument{{Name: "service-name", Value: "demo-app"}},
			}},
		}},
		{SetWeight: i32(50)},
		{Pause: &v1alpha1.RolloutPause{}},
	}
	return ro
}

func (f *fixture) experiment(name string) *v1alpha1.Experiment {
	f.t.Helper()
	ex := &v1alpha1.Experiment{}
	require.NoError(f.t, f.c.Get(f.ctx, types.NamespacedName{Namespace: f.key.Namespace, Name: name}, ex))
	return ex
}

func (f *fixture) setExperimentPhase(name string, phase v1alpha1.AnalysisPhase, message string) {
	f.t.Helper()
	ex := f.experiment(name)
	ex.Status.Phase, ex.Status.Message = phase, message
	require.NoError(f.t, f.c.Update(f.ctx, ex))
}

func TestExperimentStep(t *testing.T) {
	f := newFixture(t, experimentRollout(), successRateTemplate())
	f.settle()
	v1 := f.rollout().Status.StableRS
	f.setArgs("Version 2")
	f.settle()
	ro := f.rollout()
	v2 := ro.Status.CurrentPodHash
	name := "demo-app-" + v2 + "-2-1"
	assert.Equal(t, name, ro.Status.Canary.CurrentExperiment)
	assert.Equal(t, int32(1), *ro.Status.CurrentStepIndex)
	assert.Contains(t, f.events, "Normal ExperimentCreated Created Experiment '"+name+"'")

	ex := f.experiment(name)
	assert.Equal(t, v1alpha1.DurationString("1m"), ex.Spec.Duration)
	require.Len(t, ex.Spec.Templates, 2)
	baseline, canary := ex.Spec.Templates[0], ex.Spec.Templates[1]
	assert.Equal(t, v1, baseline.Template.Labels[v1alpha1.DefaultRolloutUniqueLabelKey], "copied from the stable")
	assert.Equal(t, "baseline", baseline.Template.Labels["role"])
	assert.Equal(t, "baseline", baseline.Selector.MatchLabels["role"])
	assert.Equal(t, v2, canary.Template.Labels[v1alpha1.DefaultRolloutUniqueLabelKey], "copied from the canary")
	assert.Nil(t, canary.Service, "no weight, no Service")
	require.Len(t, ex.Spec.Analyses, 1)
	assert.Equal(t, "demo-app", *ex.Spec.Analyses[0].Args[0].Value)
	assert.True(t, ex.Spec.Analyses[0].RequiredForCompletion)
	assert.Equal(t, v2, ex.Labels[v1alpha1.DefaultRolloutUniqueLabelKey])
	assert.Equal(t, "2", ex.Annotations[AnnotationRevision])

	f.setExperimentPhase(name, v1alpha1.AnalysisPhaseRunning, "")
	f.settle()
	assert.Equal(t, int32(1), *f.rollout().Status.CurrentStepIndex, "the step waits for the experiment")
	f.setExperimentPhase(name, v1alpha1.AnalysisPhaseSuccessful, "")
	f.settle()
	ro = f.rollout()
	assert.Equal(t, int32(3), *ro.Status.CurrentStepIndex)
	assert.Empty(t, ro.Status.Canary.CurrentExperiment)
	assert.Contains(t, f.events, "Normal RolloutStepCompleted Rollout step 2/4 completed (experiment)")
}

func TestFailedExperimentAborts(t *testing.T) {
	f := newFixture(t, experimentRollout(), successRateTemplate())
	f.settle()
	f.setArgs("Version 2")
	f.settle()
	name := f.rollout().Status.Canary.CurrentExperiment
	f.setExperimentPhase(name, v1alpha1.AnalysisPhaseFailed, "Metric \"rate\" assessed Failed")
	f.settle()
	ro := f.rollout()
	assert.True(t, ro.Status.Abort)
	assert.Equal(t, v1alpha1.RolloutPhaseDegraded, ro.Status.Phase)
	assert.Equal(t, `RolloutAborted: Rollout aborted update to revision 2: Experiment analysis phase is error/failed: Metric "rate" assessed Failed`, ro.Status.Message)

	// An inconclusive experiment pauses instead.
	f2 := newFixture(t, experimentRollout(), successRateTemplate())
	f2.settle()
	f2.setArgs("Version 2")
	f2.settle()
	f2.setExperimentPhase(f2.rollout().Status.Canary.CurrentExperiment, v1alpha1.AnalysisPhaseInconclusive, "")
	f2.settle()
	assert.Equal(t, "InconclusiveExperiment", f2.rollout().Status.Message)
}

func TestExperimentTerminatedOnAbort(t *testing.T) {
	f := newFixture(t, experimentRollout(), successRateTemplate())
	f.settle()
	f.setArgs("Version 2")
	f.settle()
	name := f.rollout().Status.Canary.CurrentExperiment
	f.setExperimentPhase(name, v1alpha1.AnalysisPhaseRunning, "")
	f.operate(OpAbort)
	f.settle()
	assert.True(t, f.experiment(name).Spec.Terminate)
	f.clock.Step(time.Second)
}
