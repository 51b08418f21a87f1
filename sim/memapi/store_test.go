package memapi

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	clocktesting "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/canarydrill/canarydrill/api/scheme"
	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func newStore() (*Store, client.Client) {
	s := New(scheme.New(), clocktesting.NewFakePassiveClock(t0))
	return s, s.Client()
}

func rollout(name string) *v1alpha1.Rollout {
	r := &v1alpha1.Rollout{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"}}
	r.Spec.Replicas = ptr.To[int32](5)
	r.Spec.Template.Spec.Containers = []corev1.Container{{Name: "app", Image: "demo:v1"}}
	return r
}

func TestCreateGetListDelete(t *testing.T) {
	s, c := newStore()
	ctx := context.Background()
	var events []Event
	s.Watch(func(e Event) { events = append(events, e) })

	require.NoError(t, c.Create(ctx, rollout("b")))
	require.NoError(t, c.Create(ctx, rollout("a")))
	err := c.Create(ctx, rollout("a"))
	assert.True(t, apierrors.IsAlreadyExists(err), "got %v", err)

	var got v1alpha1.Rollout
	require.NoError(t, c.Get(ctx, types.NamespacedName{Namespace: "default", Name: "a"}, &got))
	assert.Equal(t, int64(1), got.Generation)
	assert.Equal(t, t0, got.CreationTimestamp.Time)
	assert.NotEmpty(t, got.UID)
	assert.Equal(t, "demo:v1", got.Spec.Template.Spec.Containers[0].Image)

	var list v1alpha1.RolloutList
	require.NoError(t, c.List(ctx, &list, client.InNamespace("default")))
	require.Len(t, list.Items, 2)
	assert.Equal(t, "a", list.Items[0].Name, "lists are sorted by name")

	require.NoError(t, c.Delete(ctx, &got))
	err = c.Get(ctx, client.ObjectKeyFromObject(&got), &got)
	assert.True(t, apierrors.IsNotFound(err), "got %v", err)
	require.Len(t, events, 3)
	assert.Equal(t, Deleted, events[2].Type)
}

func TestGetReturnsACopy(t *testing.T) {
	_, c := newStore()
	ctx := context.Background()
	require.NoError(t, c.Create(ctx, rollout("a")))
	var got v1alpha1.Rollout
	key := types.NamespacedName{Namespace: "default", Name: "a"}
	require.NoError(t, c.Get(ctx, key, &got))
	got.Spec.Template.Spec.Containers[0].Image = "changed"
	var again v1alpha1.Rollout
	require.NoError(t, c.Get(ctx, key, &again))
	assert.Equal(t, "demo:v1", again.Spec.Template.Spec.Containers[0].Image)
}

func TestUpdateConflictGenerationAndStatusSubresource(t *testing.T) {
	_, c := newStore()
	ctx := context.Background()
	require.NoError(t, c.Create(ctx, rollout("a")))
	key := types.NamespacedName{Namespace: "default", Name: "a"}
	var first, second v1alpha1.Rollout
	require.NoError(t, c.Get(ctx, key, &first))
	require.NoError(t, c.Get(ctx, key, &second))

	first.Spec.Template.Spec.Containers[0].Image = "demo:v2"
	first.Status.Phase = "Healthy" // ignored: status has its own subresource
	require.NoError(t, c.Update(ctx, &first))
	assert.Equal(t, int64(2), first.Generation, "a spec change bumps the generation")
	assert.Empty(t, first.Status.Phase)

	second.Spec.Paused = true
	err := c.Update(ctx, &second)
	assert.True(t, apierrors.IsConflict(err), "a stale write conflicts, got %v", err)

	first.Status.Phase = "Progressing"
	first.Spec.Paused = true // ignored by a status write
	require.NoError(t, c.Status().Update(ctx, &first))
	var got v1alpha1.Rollout
	require.NoError(t, c.Get(ctx, key, &got))
	assert.Equal(t, v1alpha1.RolloutPhase("Progressing"), got.Status.Phase)
	assert.False(t, got.Spec.Paused)
	assert.Equal(t, int64(2), got.Generation, "status writes keep the generation")

	rv := got.ResourceVersion
	require.NoError(t, c.Status().Update(ctx, &got))
	assert.Equal(t, rv, got.ResourceVersion, "a no-op write keeps the resource version")
}

func TestMergePatchOnStatus(t *testing.T) {
	_, c := newStore()
	ctx := context.Background()
	require.NoError(t, c.Create(ctx, rollout("a")))
	ro := rollout("a")
	require.NoError(t, c.Status().Patch(ctx, ro, client.RawPatch(types.MergePatchType, []byte(`{"status":{"abort":true},"spec":{"paused":true}}`))))
	assert.True(t, ro.Status.Abort)
	assert.False(t, ro.Spec.Paused, "a status patch changes only the status")
	require.NoError(t, c.Patch(ctx, ro, client.RawPatch(types.MergePatchType, []byte(`{"spec":{"paused":true}}`))))
	assert.True(t, ro.Spec.Paused)
	assert.True(t, ro.Status.Abort)
	assert.Equal(t, int64(2), ro.Generation)
}

func TestLabelSelectorAndGarbageCollection(t *testing.T) {
	s, c := newStore()
	ctx := context.Background()
	rs := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: "demo-abc", Namespace: "default", Labels: map[string]string{"app": "demo"}}}
	require.NoError(t, c.Create(ctx, rs))
	for _, n := range []string{"x", "y"} {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{
			Namespace: "default", GenerateName: "demo-abc-", Labels: map[string]string{"app": "demo", "n": n},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: rs.Name, UID: rs.UID, Controller: ptr.To(true)}},
		}}
		require.NoError(t, c.Create(ctx, p))
		assert.Regexp(t, `^demo-abc-.{5}$`, p.Name)
	}
	var pods corev1.PodList
	require.NoError(t, c.List(ctx, &pods, client.MatchingLabels{"n": "x"}))
	assert.Len(t, pods.Items, 1)

	require.NoError(t, c.Delete(ctx, rs))
	require.NoError(t, c.List(ctx, &pods))
	assert.Empty(t, pods.Items, "deleting the owner collects its pods")
	assert.Empty(t, s.Objects(podGVKForTest))
}

var podGVKForTest = corev1.SchemeGroupVersion.WithKind("Pod")

// BenchmarkStatusUpdate compares a status write here with controller-runtime's fake client,
// which this package replaces in simulations because of that difference.
func BenchmarkStatusUpdate(b *testing.B) {
	ctx := context.Background()
	run := func(b *testing.B, c client.Client) {
		r := rollout("a")
		if err := c.Create(ctx, r); err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			r.Status.Replicas = int32(i)
			if err := c.Status().Update(ctx, r); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("memapi", func(b *testing.B) { _, c := newStore(); run(b, c) })
	b.Run("controller-runtime-fake", func(b *testing.B) {
		run(b, fake.NewClientBuilder().WithScheme(scheme.New()).WithStatusSubresource(&v1alpha1.Rollout{}).Build())
	})
}

func BenchmarkGet(b *testing.B) {
	ctx := context.Background()
	run := func(b *testing.B, c client.Client) {
		if err := c.Create(ctx, rollout("a")); err != nil {
			b.Fatal(err)
		}
		key := types.NamespacedName{Namespace: "default", Name: "a"}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			var r v1alpha1.Rollout
			if err := c.Get(ctx, key, &r); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("memapi", func(b *testing.B) { _, c := newStore(); run(b, c) })
	b.Run("controller-runtime-fake", func(b *testing.B) {
		run(b, fake.NewClientBuilder().WithScheme(scheme.New()).Build())
	})
}
