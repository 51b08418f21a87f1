package memapi

import (
	"slices"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// OwnerUIDField is the field index of owner references: List with
// client.MatchingFields{memapi.OwnerUIDField: string(owner.UID)} returns what that owner owns,
// as a controller-runtime cache with the same index registered does. Controllers list their
// ReplicaSets and AnalysisRuns this way instead of the whole namespace.
const OwnerUIDField = "metadata.ownerReferences.uid"

// OwnerUIDs is the indexer of OwnerUIDField: the UIDs of obj's owner references, controller or
// not, which is what this Store's owner index holds. A controller-runtime manager whose cache
// serves the same lists registers it for each kind a controller lists by owner, e.g.
//
//	mgr.GetFieldIndexer().IndexField(ctx, &appsv1.ReplicaSet{}, memapi.OwnerUIDField, memapi.OwnerUIDs)
//
// (and the fake client takes it through its builder's WithIndex).
func OwnerUIDs(obj client.Object) []string {
	refs := obj.GetOwnerReferences()
	if len(refs) == 0 {
		return nil
	}
	out := make([]string, len(refs))
	for i, ref := range refs {
		out[i] = string(ref.UID)
	}
	return out
}

// The indexes keep lists and the garbage collector proportional to what they return, so a
// world with a thousand Rollouts pays for the ones a reconcile touches, not for all of them.

// nsKeys returns the keys of one namespace, sorted by name; cached until an add or delete.
func (ks *kindStore) nsKeys(ns string) []types.NamespacedName {
	if ks.byNS == nil {
		ks.byNS = map[string][]types.NamespacedName{}
		for _, k := range ks.keys() {
			ks.byNS[k.Namespace] = append(ks.byNS[k.Namespace], k)
		}
	}
	return ks.byNS[ns]
}

// added and removed keep the sorted caches in step with an add or a delete (a binary search
// and a copy, not a sort of every key).
func (ks *kindStore) added(k types.NamespacedName) {
	if ks.sorted != nil {
		i, _ := slices.BinarySearchFunc(ks.sorted, k, compareKeys)
		ks.sorted = slices.Insert(ks.sorted, i, k)
	}
	if ks.byNS != nil {
		list := ks.byNS[k.Namespace]
		i, _ := slices.BinarySearchFunc(list, k, compareKeys)
		ks.byNS[k.Namespace] = slices.Insert(list, i, k)
	}
}

func (ks *kindStore) removed(k types.NamespacedName) {
	if ks.sorted != nil {
		if i, ok := slices.BinarySearchFunc(ks.sorted, k, compareKeys); ok {
			ks.sorted = slices.Delete(ks.sorted, i, i+1)
		}
	}
	if ks.byNS != nil {
		list := ks.byNS[k.Namespace]
		if i, ok := slices.BinarySearchFunc(list, k, compareKeys); ok {
			ks.byNS[k.Namespace] = slices.Delete(list, i, i+1)
		}
	}
}

// ownerKey is one owned object in the owner index.
type ownerKey struct {
	gvk schema.GroupVersionKind
	key types.NamespacedName
}

// indexOwners moves an object's entries in the owner index from old's owners to obj's (either
// may be nil).
func (s *Store) indexOwners(gvk schema.GroupVersionKind, old, obj client.Object) {
	var key types.NamespacedName
	if obj != nil {
		key = client.ObjectKeyFromObject(obj)
	} else {
		key = client.ObjectKeyFromObject(old)
	}
	k := ownerKey{gvk, key}
	if old != nil {
		for _, ref := range old.GetOwnerReferences() {
			if set := s.owned[ref.UID]; set != nil {
				delete(set, k)
				if len(set) == 0 {
					delete(s.owned, ref.UID)
				}
			}
		}
	}
	if obj != nil {
		for _, ref := range obj.GetOwnerReferences() {
			set := s.owned[ref.UID]
			if set == nil {
				set = map[ownerKey]struct{}{}
				s.owned[ref.UID] = set
			}
			set[k] = struct{}{}
		}
	}
}

// ownedKeys lists what owner owns of one kind, sorted by namespace and name.
func (s *Store) ownedKeys(owner types.UID, gvk schema.GroupVersionKind) []types.NamespacedName {
	var out []types.NamespacedName
	for k := range s.owned[owner] {
		if k.gvk == gvk {
			out = append(out, k.key)
		}
	}
	sortKeys(out)
	return out
}

// dependents lists everything owner owns, sorted by kind, namespace and name.
func (s *Store) dependents(owner types.UID) []ownerKey {
	out := make([]ownerKey, 0, len(s.owned[owner]))
	for k := range s.owned[owner] {
		out = append(out, k)
	}
	slices.SortFunc(out, func(a, b ownerKey) int {
		if a.gvk != b.gvk {
			if a.gvk.String() < b.gvk.String() {
				return -1
			}
			return 1
		}
		return compareKeys(a.key, b.key)
	})
	return out
}

// OwnedBy returns the stored objects of a kind that owner owns, sorted by namespace and name.
// Read them, never change them.
func (s *Store) OwnedBy(gvk schema.GroupVersionKind, owner types.UID) []client.Object {
	ks := s.kinds[gvk]
	if ks == nil {
		return nil
	}
	keys := s.ownedKeys(owner, gvk)
	out := make([]client.Object, 0, len(keys))
	for _, k := range keys {
		out = append(out, ks.objs[k])
	}
	return out
}

func sortKeys(ks []types.NamespacedName) {
	slices.SortFunc(ks, compareKeys) // keys are unique: any sort gives this one order
}

func compareKeys(a, b types.NamespacedName) int {
	switch {
	case a.Namespace < b.Namespace:
		return -1
	case a.Namespace > b.Namespace:
		return 1
	case a.Name < b.Name:
		return -1
	case a.Name > b.Name:
		return 1
	}
	return 0
}
