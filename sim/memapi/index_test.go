package memapi

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/canarydrill/canarydrill/api/scheme"
	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

func ownedRS(name, ns string, owner *v1alpha1.Rollout) *appsv1.ReplicaSet {
	rs := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}}
	if owner != nil {
		rs.OwnerReferences = []metav1.OwnerReference{*metav1.NewControllerRef(owner, v1alpha1.GroupVersion.WithKind("Rollout"))}
	}
	return rs
}

func names(l *appsv1.ReplicaSetList) []string {
	var out []string
	for _, rs := range l.Items {
		out = append(out, rs.Namespace+"/"+rs.Name)
	}
	return out
}

func TestListByNamespaceAndOwnerIndex(t *testing.T) {
	s, c := newStore()
	ctx := context.Background()
	a, b := rollout("a"), rollout("b")
	require.NoError(t, c.Create(ctx, a))
	require.NoError(t, c.Create(ctx, b))
	for _, rs := range []*appsv1.ReplicaSet{ownedRS("a-2", "default", a), ownedRS("b-1", "default", b), ownedRS("a-1", "default", a), ownedRS("x-1", "other", nil)} {
		require.NoError(t, c.Create(ctx, rs))
	}

	var l appsv1.ReplicaSetList
	require.NoError(t, c.List(ctx, &l, client.InNamespace("default")))
	assert.Equal(t, []string{"default/a-1", "default/a-2", "default/b-1"}, names(&l))
	require.NoError(t, c.List(ctx, &l, client.InNamespace("default"), client.MatchingFields{OwnerUIDField: string(a.UID)}))
	assert.Equal(t, []string{"default/a-1", "default/a-2"}, names(&l))
	assert.Len(t, s.OwnedBy(replicaSetKind(t, s), a.UID), 2)

	// An owner reference removed by an update leaves the index; a delete takes its dependents.
	rs := &appsv1.ReplicaSet{}
	require.NoError(t, c.Get(ctx, types.NamespacedName{Namespace: "default", Name: "a-2"}, rs))
	rs.OwnerReferences = nil
	require.NoError(t, c.Update(ctx, rs))
	require.NoError(t, c.List(ctx, &l, client.MatchingFields{OwnerUIDField: string(a.UID)}))
	assert.Equal(t, []string{"default/a-1"}, names(&l))
	require.NoError(t, c.Delete(ctx, a))
	require.NoError(t, c.List(ctx, &l))
	assert.Equal(t, []string{"default/a-2", "default/b-1", "other/x-1"}, names(&l), "a-1 collected with its owner")
	require.NoError(t, c.Create(ctx, ownedRS("c-1", "default", b)))
	require.NoError(t, c.List(ctx, &l, client.InNamespace("default")))
	assert.Equal(t, []string{"default/a-2", "default/b-1", "default/c-1"}, names(&l), "the namespace index follows adds and deletes")
}

// replicaSetKind is the store's kind of ReplicaSets.
func replicaSetKind(t *testing.T, s *Store) schema.GroupVersionKind {
	g, err := s.gvk(&appsv1.ReplicaSet{})
	require.NoError(t, err)
	return g
}

// TestOwnerUIDsServesAManagerCache lists by owner from controller-runtime's fake client with
// OwnerUIDs registered (the indexer a manager's cache takes) and from the Store: a controller
// that lists with client.MatchingFields{OwnerUIDField: uid} gets the same objects from both.
func TestOwnerUIDsServesAManagerCache(t *testing.T) {
	_, c := newStore()
	ctx := context.Background()
	a, b := rollout("a"), rollout("b")
	require.NoError(t, c.Create(ctx, a))
	require.NoError(t, c.Create(ctx, b))
	shared := ownedRS("shared", "default", a) // a controller reference to a, a plain one to b
	shared.OwnerReferences = append(shared.OwnerReferences, metav1.OwnerReference{APIVersion: "argoproj.io/v1alpha1", Kind: "Rollout", Name: "b", UID: b.UID})
	objs := []client.Object{a, b}
	for _, rs := range []*appsv1.ReplicaSet{ownedRS("a-1", "default", a), ownedRS("b-1", "default", b), shared, ownedRS("x-1", "default", nil)} {
		require.NoError(t, c.Create(ctx, rs))
		objs = append(objs, rs)
	}
	cached := fake.NewClientBuilder().WithScheme(scheme.New()).WithObjects(objs...).
		WithIndex(&appsv1.ReplicaSet{}, OwnerUIDField, OwnerUIDs).Build()

	for _, owner := range []types.UID{a.UID, b.UID, "none"} {
		var want, got appsv1.ReplicaSetList
		opts := []client.ListOption{client.InNamespace("default"), client.MatchingFields{OwnerUIDField: string(owner)}}
		require.NoError(t, c.List(ctx, &want, opts...))
		require.NoError(t, cached.List(ctx, &got, opts...))
		assert.Equal(t, names(&want), names(&got), "owner %s", owner)
	}
	// Another term with the owner's still narrows the list.
	var l appsv1.ReplicaSetList
	require.NoError(t, c.List(ctx, &l, client.MatchingFields{OwnerUIDField: string(a.UID), "metadata.name": "shared"}))
	assert.Equal(t, []string{"default/shared"}, names(&l))

	assert.Equal(t, []string{string(a.UID), string(b.UID)}, OwnerUIDs(shared))
	assert.Nil(t, OwnerUIDs(a))
}
