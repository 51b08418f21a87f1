package rollout

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
	"github.com/canarydrill/canarydrill/controller/ops"
)

func TestPauseAndResume(t *testing.T) {
	f, v1 := deployed(t)
	f.operate(OpPause)
	f.setArgs("Version 2")
	f.settle()
	ro := f.rollout()
	assert.Equal(t, v1alpha1.RolloutPhasePaused, ro.Status.Phase)
	assert.Equal(t, PhaseMsgManuallyPaused, ro.Status.Message)
	assert.Equal(t, int32(0), f.sizes()[ro.Status.CurrentPodHash], "a paused Rollout does not scale")
	f.operate(OpResume)
	f.settle()
	ro = f.rollout()
	assert.Equal(t, map[string]int32{v1: 4, ro.Status.CurrentPodHash: 1}, f.sizes())
}

func TestPromoteFullLiftsAbort(t *testing.T) {
	f, _ := deployed(t)
	f.setArgs("Version 2")
	f.settle()
	f.operate(OpAbort)
	f.settle()
	f.operate(OpPromote)
	f.settle()
	assert.True(t, f.rollout().Status.Abort, "promote does not lift an abort")
	f.operate(OpPromoteFull)
	f.settle()
	ro := f.rollout()
	assert.False(t, ro.Status.Abort)
	assert.Equal(t, ro.Status.CurrentPodHash, ro.Status.StableRS)
	assert.Equal(t, v1alpha1.RolloutPhaseHealthy, ro.Status.Phase, ro.Status.Message)
}

func TestUndo(t *testing.T) {
	f, v1 := deployed(t)
	f.setArgs("Version 2")
	f.settle()
	f.operate(OpPromoteFull)
	f.settle()
	v2 := f.rollout().Status.StableRS
	require.NotEqual(t, v1, v2)

	msg, err := ops.Undo(f.ctx, f.c, f.key, 0)
	require.NoError(t, err)
	assert.Equal(t, "rollout 'demo-app' undo", msg)
	f.settle()
	ro := f.rollout()
	// Back to revision 1's template (it becomes revision 3) through the steps, from the first.
	assert.Equal(t, v1, ro.Status.CurrentPodHash)
	assert.Equal(t, "3", ro.Annotations[AnnotationRevision])
	assert.Equal(t, "1", f.replicaSet(v1).Annotations[AnnotationRevisionHistory])
	assert.Equal(t, int32(1), *ro.Status.CurrentStepIndex)

	msg, err = ops.Undo(f.ctx, f.c, f.key, 3)
	require.NoError(t, err)
	assert.Equal(t, "skipped rollback (current template already matches revision 3)", msg)
	_, err = ops.Undo(f.ctx, f.c, f.key, 9)
	assert.EqualError(t, err, "unable to find specified revision 9 in history")
}

func TestRollbackWithinWindowSkipsSteps(t *testing.T) {
	ro := seedRollout()
	ro.Spec.RollbackWindow = &v1alpha1.RollbackWindowSpec{Revisions: 2}
	f := newFixture(t, ro, successRateTemplate())
	f.settle()
	v1 := f.rollout().Status.StableRS
	f.clock.Step(time.Minute) // later creation times tell the ReplicaSets apart
	f.setArgs("Version 2")
	f.settle()
	f.operate(OpPromoteFull)
	f.settle()
	_, err := ops.Undo(f.ctx, f.c, f.key, 0)
	require.NoError(t, err)
	f.settle()
	cur := f.rollout()
	assert.Equal(t, v1, cur.Status.StableRS, "back to v1 at once")
	// (No SkipSteps event: that needs v1 still scaled up, within its scale-down delay.)
	assert.Contains(t, f.events, "Normal RolloutCompleted Rollout completed update to revision 3 ("+v1+"): Rollback within window")
}

// readyPod makes a ready pod of the ReplicaSet, created at created.
func (f *fixture) readyPod(hash string, i int, created time.Time) {
	f.t.Helper()
	rs := f.replicaSet(hash)
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name: fmt.Sprintf("%s-%d-%d", rs.Name, i, created.Unix()), Namespace: f.key.Namespace, Labels: rs.Spec.Template.Labels,
			CreationTimestamp: metav1.NewTime(created),
			OwnerReferences:   []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: rs.Name, UID: rs.UID, Controller: ptr.To(true)}},
		},
		Status: corev1.PodStatus{Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}},
	}
	require.NoError(f.t, f.c.Create(f.ctx, p))
}

func (f *fixture) pods() []corev1.Pod {
	var list corev1.PodList
	require.NoError(f.t, f.c.List(f.ctx, &list, client.InNamespace(f.key.Namespace)))
	return list.Items
}

func TestRestartDeletesPodsOneAtATime(t *testing.T) {
	f, v1 := deployed(t)
	for i := 0; i < 5; i++ {
		f.readyPod(v1, i, epoch)
	}
	f.clock.Step(time.Minute)
	f.operate(OpRestart)
	restartAt := f.rollout().Spec.RestartAt
	require.NotNil(t, restartAt)
	f.reconcile()
	assert.Equal(t, PhaseMsgRestarting, f.rollout().Status.Message)

	f.clock.Step(time.Second)
	for round := 1; round <= 5; round++ {
		f.reconcile()
		assert.Len(t, f.pods(), 4, "round %d: maxUnavailable (1) at a time", round)
		if round < 5 {
			assert.Equal(t, restartPodCheck, f.lastResult.RequeueAfter, "more to restart")
		}
		f.readyPod(v1, round, f.clock.Now()) // the ReplicaSet replaces it
		f.clock.Step(restartPodCheck)
	}
	f.reconcile()
	ro := f.rollout()
	require.NotNil(t, ro.Status.RestartedAt)
	assert.True(t, ro.Status.RestartedAt.Equal(restartAt))
	assert.Len(t, f.pods(), 5)
	assert.Equal(t, v1alpha1.RolloutPhaseHealthy, ro.Status.Phase, ro.Status.Message)
}
