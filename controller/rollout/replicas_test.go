package rollout

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

func i32(v int32) *int32 { return &v }

// mathRollout is a canary Rollout in the middle of an update from hash "stable" to "canary", at
// its only step, setWeight: weight.
func mathRollout(replicas, weight int32, surge, unavailable *intstr.IntOrString) *v1alpha1.Rollout {
	return &v1alpha1.Rollout{
		Spec: v1alpha1.RolloutSpec{
			Replicas: &replicas,
			Strategy: v1alpha1.RolloutStrategy{Canary: &v1alpha1.CanaryStrategy{
				MaxSurge:       surge,
				MaxUnavailable: unavailable,
				Steps:          []v1alpha1.CanaryStep{{SetWeight: &weight}},
			}},
		},
		Status: v1alpha1.RolloutStatus{StableRS: "stable", CurrentPodHash: "canary"},
	}
}

func mathRS(hash string, spec, available int32) *appsv1.ReplicaSet {
	return &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Name: hash, Labels: map[string]string{v1alpha1.DefaultRolloutUniqueLabelKey: hash}},
		Spec:       appsv1.ReplicaSetSpec{Replicas: &spec},
		Status:     appsv1.ReplicaSetStatus{Replicas: spec, AvailableReplicas: available},
	}
}

func intOrStr(v intstr.IntOrString) *intstr.IntOrString { return &v }

func TestBasicCanaryReplicaCounts(t *testing.T) {
	n := func(v int) *intstr.IntOrString { return intOrStr(intstr.FromInt32(int32(v))) }
	pct := func(s string) *intstr.IntOrString { return intOrStr(intstr.FromString(s)) }
	tests := []struct {
		name                    string
		replicas, weight        int32
		surge, unavailable      *intstr.IntOrString
		stableSpec, stableAvail int32
		canarySpec, canaryAvail int32
		older                   *appsv1.ReplicaSet
		promoteFull, abort      bool
		wantCanary, wantStable  int32
	}{
		// The examples in Argo's documentation of CalculateReplicaCountsForBasicCanary.
		{name: "10 @10% surge 1 unavailable 1", replicas: 10, weight: 10, surge: n(1), unavailable: n(1), stableSpec: 10, stableAvail: 10, wantCanary: 1, wantStable: 9},
		{name: "10 @30% surge 3 unavailable 0", replicas: 10, weight: 30, surge: n(3), unavailable: n(0), stableSpec: 10, stableAvail: 10, wantCanary: 3, wantStable: 10},
		{name: "10 @30% surge 0 unavailable 5", replicas: 10, weight: 30, surge: n(0), unavailable: n(5), stableSpec: 10, stableAvail: 10, wantCanary: 0, wantStable: 7},
		// Argo's comment says 1/9 here; its code (which wins) picks 1 of 11 pods, closer to 5% than 1 of 10.
		{name: "10 @5% surge 1 unavailable 1", replicas: 10, weight: 5, surge: n(1), unavailable: n(1), stableSpec: 10, stableAvail: 10, wantCanary: 1, wantStable: 10},
		{name: "1 @5% surge 1 unavailable 0", replicas: 1, weight: 5, surge: n(1), unavailable: n(0), stableSpec: 1, stableAvail: 1, wantCanary: 1, wantStable: 1},
		{name: "1 @95% surge 1 unavailable 0", replicas: 1, weight: 95, surge: n(1), unavailable: n(0), stableSpec: 1, stableAvail: 1, wantCanary: 1, wantStable: 1},

		// Defaults 25%/25%: for 5 replicas surge rounds up to 2, unavailable down to 1.
		{name: "5 @20% defaults, first reconcile", replicas: 5, weight: 20, stableSpec: 5, stableAvail: 5, wantCanary: 1, wantStable: 4},
		{name: "5 @20% defaults, stable already 4", replicas: 5, weight: 20, stableSpec: 4, stableAvail: 4, wantCanary: 1, wantStable: 4},
		{name: "5 @50% defaults, from 1/4", replicas: 5, weight: 50, stableSpec: 4, stableAvail: 4, canarySpec: 1, canaryAvail: 1, wantCanary: 3, wantStable: 3},
		{name: "5 @50% defaults, settled", replicas: 5, weight: 50, stableSpec: 3, stableAvail: 3, canarySpec: 3, canaryAvail: 3, wantCanary: 3, wantStable: 3},
		{name: "5 @80% defaults, from 3/3", replicas: 5, weight: 80, stableSpec: 3, stableAvail: 3, canarySpec: 3, canaryAvail: 3, wantCanary: 4, wantStable: 1},
		{name: "5 @80% defaults, settled", replicas: 5, weight: 80, stableSpec: 1, stableAvail: 1, canarySpec: 4, canaryAvail: 4, wantCanary: 4, wantStable: 1},
		{name: "5 aborted from 4/1: both move within surge", replicas: 5, weight: 80, abort: true, stableSpec: 1, stableAvail: 1, canarySpec: 4, canaryAvail: 4, wantCanary: 3, wantStable: 3},
		{name: "5 aborted at 20%: stable back to 5, canary to 0", replicas: 5, weight: 20, abort: true, stableSpec: 4, stableAvail: 4, canarySpec: 1, canaryAvail: 1, wantCanary: 0, wantStable: 5},

		// Cases from Argo's own table of this function.
		{name: "spec below available is not counted twice", replicas: 10, weight: 100, surge: n(3), unavailable: n(0), stableSpec: 7, stableAvail: 8, canarySpec: 6, canaryAvail: 3, wantCanary: 6, wantStable: 7},
		{name: "max surge int scales canary up", replicas: 10, weight: 20, surge: n(2), unavailable: n(0), stableSpec: 10, stableAvail: 10, wantCanary: 2, wantStable: 10},
		{name: "max surge percent scales canary up", replicas: 10, weight: 20, surge: pct("20%"), unavailable: n(0), stableSpec: 10, stableAvail: 10, wantCanary: 2, wantStable: 10},
		{name: "extra stable replicas scale down", replicas: 10, weight: 20, surge: pct("20%"), unavailable: n(0), stableSpec: 10, stableAvail: 10, canarySpec: 2, canaryAvail: 2, wantCanary: 2, wantStable: 8},
		{name: "never past max surge", replicas: 10, weight: 30, surge: n(2), unavailable: n(0), stableSpec: 10, stableAvail: 10, wantCanary: 2, wantStable: 10},
		{name: "max unavailable int scales stable down", replicas: 10, weight: 20, surge: n(0), unavailable: n(2), stableSpec: 10, stableAvail: 10, wantCanary: 0, wantStable: 8},
		{name: "max unavailable percent scales stable down", replicas: 10, weight: 20, surge: n(0), unavailable: pct("20%"), stableSpec: 10, stableAvail: 10, wantCanary: 0, wantStable: 8},
		{name: "never past max unavailable", replicas: 10, weight: 30, surge: n(0), unavailable: n(2), stableSpec: 10, stableAvail: 10, wantCanary: 0, wantStable: 8},
		{name: "surge and unavailable together", replicas: 10, weight: 50, surge: n(2), unavailable: n(1), stableSpec: 10, stableAvail: 10, wantCanary: 2, wantStable: 9},
		{name: "weight 0 scales canary to zero", replicas: 10, weight: 0, surge: n(1), unavailable: n(1), stableSpec: 10, stableAvail: 10, canarySpec: 1, canaryAvail: 1, wantCanary: 0, wantStable: 10},
		{name: "weight 100 scales stable to zero", replicas: 10, weight: 100, surge: n(1), unavailable: n(1), stableSpec: 1, stableAvail: 1, canarySpec: 10, canaryAvail: 10, wantCanary: 10, wantStable: 0},
		{name: "1 replica @20% keeps a canary", replicas: 1, weight: 20, surge: n(1), unavailable: n(0), stableSpec: 1, stableAvail: 1, wantCanary: 1, wantStable: 1},
		{name: "1 replica @49% without surge", replicas: 1, weight: 49, surge: n(0), unavailable: n(1), stableSpec: 1, stableAvail: 1, wantCanary: 0, wantStable: 1},
		{name: "1 replica @51% without surge drains stable", replicas: 1, weight: 51, surge: n(0), unavailable: n(1), stableSpec: 1, stableAvail: 1, wantCanary: 0, wantStable: 0},
		{name: "1 replica @51% without surge then canary", replicas: 1, weight: 51, surge: n(0), unavailable: n(1), wantCanary: 1, wantStable: 0},
		{name: "stable scales up before canary", replicas: 10, weight: 30, surge: n(1), unavailable: n(0), stableSpec: 1, stableAvail: 1, older: mathRS("older", 3, 3), wantCanary: 1, wantStable: 7},
		{name: "canary and stable scale down", replicas: 10, weight: 30, surge: n(0), unavailable: n(3), stableSpec: 8, stableAvail: 5, canarySpec: 4, canaryAvail: 4, wantCanary: 3, wantStable: 7},
		{name: "stable and canary available scale down", replicas: 10, weight: 100, surge: n(1), unavailable: n(0), stableSpec: 10, stableAvail: 2, canarySpec: 10, canaryAvail: 8, wantCanary: 9, wantStable: 2},
		{name: "older ReplicaSets go first", replicas: 10, weight: 30, surge: n(0), unavailable: n(1), stableSpec: 8, stableAvail: 6, canarySpec: 4, canaryAvail: 2, older: mathRS("older", 3, 3), wantCanary: 4, wantStable: 8},
		{name: "uneven weight does not round past surge", replicas: 10, weight: 5, surge: n(0), unavailable: n(1), stableSpec: 10, stableAvail: 10, wantCanary: 0, wantStable: 9},
		{name: "uneven weight does not round past surge 2", replicas: 10, weight: 5, surge: n(0), unavailable: n(1), stableSpec: 9, stableAvail: 9, wantCanary: 1, wantStable: 9},
		{name: "0% and 0% resolve to one unavailable", replicas: 10, weight: 10, surge: pct("0%"), unavailable: pct("0%"), stableSpec: 10, stableAvail: 10, wantCanary: 0, wantStable: 9},
		{name: "surge honoured while stable unavailable", replicas: 4, weight: 100, surge: n(1), unavailable: n(0), stableSpec: 4, stableAvail: 1, wantCanary: 1, wantStable: 4},
		{name: "scale down within unavailable, not past surge", replicas: 3, weight: 99, surge: n(0), unavailable: n(2), stableSpec: 3, stableAvail: 3, wantCanary: 0, wantStable: 1},
		{name: "scale down within unavailable, not past surge 2", replicas: 3, weight: 99, surge: n(0), unavailable: n(2), stableSpec: 1, stableAvail: 1, wantCanary: 2, wantStable: 1},
		{name: "unavailable honoured while stable unavailable", replicas: 4, weight: 100, surge: n(1), unavailable: n(0), stableSpec: 4, stableAvail: 1, canarySpec: 1, canaryAvail: 1, wantCanary: 1, wantStable: 3},
		{name: "weight going down: stable surges first", replicas: 4, weight: 0, surge: n(1), unavailable: n(0), canarySpec: 4, canaryAvail: 4, wantCanary: 4, wantStable: 1},
		{name: "weight going down: wait for stable", replicas: 4, weight: 0, surge: n(1), unavailable: n(0), stableSpec: 1, stableAvail: 0, canarySpec: 4, canaryAvail: 4, wantCanary: 4, wantStable: 1},
		{name: "weight going down: one canary at a time", replicas: 4, weight: 0, surge: n(1), unavailable: n(0), stableSpec: 1, stableAvail: 1, canarySpec: 4, canaryAvail: 4, wantCanary: 3, wantStable: 1},
		{name: "promote full ignores the weight", promoteFull: true, replicas: 4, weight: 1, surge: n(4), unavailable: n(4), stableSpec: 4, stableAvail: 4, wantCanary: 4, wantStable: 0},
		{name: "promote full keeps surge and unavailable", promoteFull: true, replicas: 4, weight: 1, surge: n(3), unavailable: n(0), stableSpec: 4, stableAvail: 4, wantCanary: 3, wantStable: 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ro := mathRollout(tc.replicas, tc.weight, tc.surge, tc.unavailable)
			ro.Status.PromoteFull = tc.promoteFull
			ro.Status.Abort = tc.abort
			var others []*appsv1.ReplicaSet
			if tc.older != nil {
				others = append(others, tc.older)
			}
			canary, stable := BasicCanaryReplicaCounts(ro, mathRS("canary", tc.canarySpec, tc.canaryAvail), mathRS("stable", tc.stableSpec, tc.stableAvail), others)
			assert.Equal(t, tc.wantCanary, canary, "canary")
			assert.Equal(t, tc.wantStable, stable, "stable")
		})
	}
}

func TestBasicCanaryReplicaCountsWithoutStable(t *testing.T) {
	ro := mathRollout(10, 10, intOrStr(intstr.FromInt32(0)), intOrStr(intstr.FromInt32(1)))
	same := mathRS("stable", 10, 0)
	canary, stable := BasicCanaryReplicaCounts(ro, same, same, nil)
	assert.Equal(t, int32(10), canary)
	assert.Equal(t, int32(0), stable)

	ro.Status.StableRS = ""
	canary, stable = BasicCanaryReplicaCounts(ro, mathRS("canary", 0, 0), nil, nil)
	assert.Equal(t, int32(10), canary, "a first deploy scales the only ReplicaSet to every replica")
	assert.Equal(t, int32(0), stable)
}

func TestApproximateWeightedCounts(t *testing.T) {
	tests := []struct {
		replicas, weight, surge int32
		canary, stable          int32
	}{
		{0, 50, 1, 0, 0},
		{1, 0, 0, 0, 1}, {1, 1, 0, 0, 1}, {1, 49, 0, 0, 1}, {1, 50, 0, 1, 0}, {1, 99, 0, 1, 0}, {1, 100, 0, 1, 0},
		{1, 0, 1, 0, 1}, {1, 1, 1, 1, 1}, {1, 50, 1, 1, 1}, {1, 99, 1, 1, 1}, {1, 100, 1, 1, 0},
		{2, 0, 0, 0, 2}, {2, 1, 0, 1, 1}, {2, 99, 0, 1, 1}, {2, 100, 0, 2, 0},
		{2, 1, 1, 1, 2}, {2, 50, 1, 1, 1}, {2, 99, 1, 2, 1},
		{3, 10, 0, 1, 2}, {3, 49, 0, 1, 2}, {3, 50, 0, 2, 1},
		{3, 10, 1, 1, 3}, {3, 33, 1, 1, 2}, {3, 49, 1, 2, 2}, {3, 50, 1, 2, 2},
		{5, 20, 2, 1, 4}, {5, 50, 2, 3, 3}, {5, 80, 2, 4, 1},
		{10, 1, 0, 1, 9}, {10, 14, 0, 1, 9}, {10, 15, 0, 2, 8}, {10, 99, 0, 9, 1},
		{10, 1, 1, 1, 10}, {10, 18, 1, 2, 9}, {10, 20, 1, 2, 8}, {10, 24, 1, 3, 8}, {10, 99, 1, 10, 1}, {10, 100, 1, 10, 0},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%d@%d%%+%d", tc.replicas, tc.weight, tc.surge), func(t *testing.T) {
			canary, stable := ApproximateWeightedCounts(tc.replicas, tc.weight, 100, tc.surge)
			assert.Equal(t, tc.canary, canary, "canary")
			assert.Equal(t, tc.stable, stable, "stable")
		})
	}
}

func TestMaxSurgeAndUnavailable(t *testing.T) {
	tests := []struct {
		name                string
		replicas            int32
		surge, unavailable  *intstr.IntOrString
		wantSurge, wantUnav int32
	}{
		{name: "defaults of 5", replicas: 5, wantSurge: 2, wantUnav: 1},
		{name: "defaults of 10", replicas: 10, wantSurge: 3, wantUnav: 2},
		{name: "defaults of 1", replicas: 1, wantSurge: 1, wantUnav: 0},
		{name: "percent without sign", replicas: 10, surge: intOrStr(intstr.FromString("30")), unavailable: intOrStr(intstr.FromInt32(0)), wantSurge: 3, wantUnav: 0},
		{name: "zero and zero", replicas: 10, surge: intOrStr(intstr.FromInt32(0)), unavailable: intOrStr(intstr.FromInt32(0)), wantSurge: 0, wantUnav: 1},
		{name: "unavailable capped at replicas", replicas: 2, surge: intOrStr(intstr.FromInt32(0)), unavailable: intOrStr(intstr.FromInt32(5)), wantSurge: 0, wantUnav: 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ro := mathRollout(tc.replicas, 10, tc.surge, tc.unavailable)
			assert.Equal(t, tc.wantSurge, MaxSurge(ro))
			assert.Equal(t, tc.wantUnav, MaxUnavailable(ro))
		})
	}
}

func TestTrafficRoutedCanaryReplicaCounts(t *testing.T) {
	weights := func(canary, stable int32) *v1alpha1.TrafficWeights {
		return &v1alpha1.TrafficWeights{Canary: v1alpha1.WeightDestination{Weight: canary}, Stable: v1alpha1.WeightDestination{Weight: stable}}
	}
	tests := []struct {
		name                   string
		replicas, weight       int32
		extraSteps             []v1alpha1.CanaryStep
		scale                  *v1alpha1.SetCanaryScale
		dynamic, abort         bool
		abortDelay, minPods    *int32
		weights                *v1alpha1.TrafficWeights
		canaryRS, stableRS     *appsv1.ReplicaSet
		wantCanary, wantStable int32
	}{
		{name: "weight rounds up, stable stays full", replicas: 10, weight: 10, wantCanary: 1, wantStable: 10},
		{name: "uneven weight rounds up", replicas: 4, weight: 30, wantCanary: 2, wantStable: 4},
		{name: "setCanaryScale replicas ignores the weight", replicas: 1, weight: 100, scale: &v1alpha1.SetCanaryScale{Replicas: i32(9)}, wantCanary: 9, wantStable: 1},
		{name: "setCanaryScale weight ignores the setWeight", replicas: 4, weight: 100, scale: &v1alpha1.SetCanaryScale{Weight: i32(200)}, wantCanary: 8, wantStable: 4},
		{name: "matchTrafficWeight follows the setWeight", replicas: 10, weight: 20, scale: &v1alpha1.SetCanaryScale{Replicas: i32(9), Weight: i32(100), MatchTrafficWeight: true}, wantCanary: 2, wantStable: 10},
		{name: "aborted with abortScaleDownDelaySeconds 0 keeps the canary scale", replicas: 1, scale: &v1alpha1.SetCanaryScale{Replicas: i32(1)}, abort: true, abortDelay: i32(0), wantCanary: 1, wantStable: 1},
		{name: "aborted with a delay drops the canary scale", replicas: 1, scale: &v1alpha1.SetCanaryScale{Replicas: i32(1)}, abort: true, abortDelay: i32(30), wantCanary: 0, wantStable: 1},
		{name: "minPodsPerReplicaSet raises a small canary", replicas: 10, weight: 5, minPods: i32(2), wantCanary: 2, wantStable: 10},
		{name: "dynamic: stable follows the weight", replicas: 10, weight: 10, dynamic: true, weights: weights(10, 90), wantCanary: 1, wantStable: 9},
		{name: "dynamic: stable keeps the pods of its traffic", replicas: 10, weight: 20, dynamic: true, weights: weights(10, 90), wantCanary: 2, wantStable: 9},
		{name: "dynamic abort: canary keeps the pods of its traffic", replicas: 10, weight: 20, dynamic: true, abort: true, weights: weights(20, 80), wantCanary: 2, wantStable: 10},
		{name: "dynamic abort: canary shrinks with its traffic", replicas: 10, weight: 20, dynamic: true, abort: true, weights: weights(10, 90), wantCanary: 1, wantStable: 10},
		{name: "dynamic abort walks the steps back", replicas: 10, weight: 20, extraSteps: []v1alpha1.CanaryStep{{SetWeight: i32(60)}}, dynamic: true, abort: true,
			weights: weights(60, 40), canaryRS: mathRS("canary", 6, 6), stableRS: mathRS("stable", 4, 4), wantCanary: 6, wantStable: 8},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ro := mathRollout(tc.replicas, tc.weight, nil, nil)
			cs := ro.Spec.Strategy.Canary
			cs.TrafficRouting = &v1alpha1.RolloutTrafficRouting{}
			cs.Steps[0].SetCanaryScale = tc.scale
			cs.Steps = append(cs.Steps, tc.extraSteps...)
			cs.DynamicStableScale = tc.dynamic
			cs.AbortScaleDownDelaySeconds = tc.abortDelay
			cs.MinPodsPerReplicaSet = tc.minPods
			ro.Status.Abort = tc.abort
			canary, stable := TrafficRoutedCanaryReplicaCounts(ro, tc.canaryRS, tc.stableRS, tc.weights)
			assert.Equal(t, tc.wantCanary, canary, "canary")
			assert.Equal(t, tc.wantStable, stable, "stable")
		})
	}
}

func TestAtDesiredReplicaCountsForCanary(t *testing.T) {
	ro := mathRollout(5, 20, nil, nil)
	assert.True(t, AtDesiredReplicaCountsForCanary(ro, mathRS("canary", 1, 1), mathRS("stable", 4, 4), nil, nil))
	assert.False(t, AtDesiredReplicaCountsForCanary(ro, mathRS("canary", 1, 0), mathRS("stable", 4, 4), nil, nil), "canary not available")
	assert.False(t, AtDesiredReplicaCountsForCanary(ro, mathRS("canary", 1, 1), mathRS("stable", 5, 5), nil, nil), "stable too big")
	assert.False(t, AtDesiredReplicaCountsForCanary(ro, mathRS("canary", 1, 1), mathRS("stable", 4, 4), []*appsv1.ReplicaSet{mathRS("old", 0, 1)}, nil),
		"an old ReplicaSet still has available pods")

	stable := mathRS("stable", 4, 4)
	stable.Status.Replicas = 5
	assert.False(t, AtDesiredReplicaCountsForCanary(ro, mathRS("canary", 1, 1), stable, nil, nil), "stable pods still terminating")

	ro.Spec.Strategy.Canary.TrafficRouting = &v1alpha1.RolloutTrafficRouting{}
	assert.True(t, AtDesiredReplicaCountsForCanary(ro, mathRS("canary", 1, 1), mathRS("stable", 5, 5), []*appsv1.ReplicaSet{mathRS("old", 2, 2)}, nil),
		"with traffic routing the stable stays full and old pods take no traffic")
}

func TestCurrentSetWeight(t *testing.T) {
	ro := mathRollout(5, 0, nil, nil)
	ro.Spec.Strategy.Canary.Steps = []v1alpha1.CanaryStep{{SetWeight: i32(20)}, {Pause: &v1alpha1.RolloutPause{}}, {SetWeight: i32(50)}}
	for _, tc := range []struct {
		index int32
		abort bool
		want  int32
	}{{0, false, 20}, {1, false, 20}, {2, false, 50}, {3, false, 100}, {1, true, 0}} {
		ro.Status.CurrentStepIndex = &tc.index
		ro.Status.Abort = tc.abort
		assert.Equal(t, tc.want, CurrentSetWeight(ro), "index %d abort %v", tc.index, tc.abort)
	}
	ro.Spec.Strategy.Canary.Steps = []v1alpha1.CanaryStep{{Pause: &v1alpha1.RolloutPause{}}, {SetWeight: i32(50)}}
	ro.Status.CurrentStepIndex, ro.Status.Abort = i32(0), false
	assert.Equal(t, int32(0), CurrentSetWeight(ro), "no setWeight before the current step")
}
