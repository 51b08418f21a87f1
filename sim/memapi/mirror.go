package memapi

import (
	"strconv"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// A store can mirror another API server: a watch of the real objects puts each one as it is,
// with the UID, resource version, generation, timestamps and owners the real server gave it,
// and the store reports the change to its watchers as if it had been written here.

// Put stores a copy of obj as it is in place of the stored object of its kind and key, and
// reports Added or Modified. An object with the stored resource version is not reported again,
// and an older version of the stored object is ignored: the mirror's watch can bring it after
// the world's own write put the newer one (a Rollout's status from before the timeline's update
// would make it look settled on the old revision).
func (s *Store) Put(obj client.Object) error {
	gvk, err := s.gvk(obj)
	if err != nil {
		return err
	}
	key := client.ObjectKeyFromObject(obj)
	ks := s.kind(gvk)
	stored := obj.DeepCopyObject().(client.Object)
	stored.GetObjectKind().SetGroupVersionKind(gvk)
	old, ok := ks.objs[key]
	if ok && (old.GetResourceVersion() == obj.GetResourceVersion() ||
		old.GetUID() == obj.GetUID() && olderRV(obj.GetResourceVersion(), old.GetResourceVersion())) {
		return nil
	}
	ks.objs[key] = stored
	e := Event{Type: Added, Kind: gvk, Object: stored}
	if ok {
		s.indexOwners(gvk, old, stored)
		e.Type, e.Old = Modified, old
	} else {
		ks.added(key)
		s.indexOwners(gvk, nil, stored)
	}
	s.notify(e)
	return nil
}

// Remove deletes the stored object of gvk and key and reports Deleted; false when there is
// none. Unlike a client's Delete it leaves the dependents alone: the mirrored server's garbage
// collector deletes them, and the watch reports it.
func (s *Store) Remove(gvk schema.GroupVersionKind, key types.NamespacedName) bool {
	ks := s.kinds[gvk]
	if ks == nil {
		return false
	}
	old, ok := ks.objs[key]
	if !ok {
		return false
	}
	delete(ks.objs, key)
	ks.removed(key)
	s.indexOwners(gvk, old, nil)
	s.notify(Event{Type: Deleted, Kind: gvk, Object: old, Old: old})
	return true
}

// KindOf is the kind the store files obj under.
func (s *Store) KindOf(obj client.Object) (schema.GroupVersionKind, error) { return s.gvk(obj) }

// olderRV says whether resource version a is older than b. Resource versions are opaque to
// clients, but the API server's are etcd revisions; anything else is never called older.
func olderRV(a, b string) bool {
	x, errA := strconv.ParseUint(a, 10, 64)
	y, errB := strconv.ParseUint(b, 10, 64)
	return errA == nil && errB == nil && x < y
}
