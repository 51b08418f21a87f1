package memapi

import (
	"testing"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

func TestPutKeepsTheMirroredObjectAndRemoveLeavesDependents(t *testing.T) {
	s, c := newStore()
	var events []EventType
	s.Watch(func(e Event) { events = append(events, e.Type) })
	ro := rollout("demo")
	ro.UID, ro.ResourceVersion, ro.Generation = "uid-1", "41", 3
	if err := s.Put(ro); err != nil {
		t.Fatal(err)
	}
	rs := ownedRS("demo-abc", "default", ro)
	rs.ResourceVersion = "42"
	if err := s.Put(rs); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(rs); err != nil { // the same resource version again: no event
		t.Fatal(err)
	}
	got := rollout("x")
	if err := c.Get(t.Context(), client.ObjectKeyFromObject(ro), got); err != nil {
		t.Fatal(err)
	}
	if got.UID != "uid-1" || got.ResourceVersion != "41" || got.Generation != 3 {
		t.Errorf("stored uid %q rv %q generation %d, want the mirrored ones", got.UID, got.ResourceVersion, got.Generation)
	}
	if n := len(s.OwnedBy(replicaSetKind(t, s), "uid-1")); n != 1 {
		t.Errorf("owner index has %d ReplicaSets of the rollout, want 1", n)
	}
	ro2 := ro.DeepCopy()
	ro2.ResourceVersion = "43"
	if err := s.Put(ro2); err != nil {
		t.Fatal(err)
	}
	gvk, err := s.KindOf(ro)
	if err != nil {
		t.Fatal(err)
	}
	if !s.Remove(gvk, client.ObjectKeyFromObject(ro)) || s.Remove(gvk, client.ObjectKeyFromObject(ro)) {
		t.Error("Remove: want true once, then false")
	}
	if s.Peek(replicaSetKind(t, s), types.NamespacedName{Namespace: "default", Name: "demo-abc"}) == nil {
		t.Error("Remove collected the rollout's ReplicaSet; the mirrored API's garbage collector does that")
	}
	want := []EventType{Added, Added, Modified, Deleted}
	if len(events) != len(want) {
		t.Fatalf("events %v, want %v", events, want)
	}
	for i := range want {
		if events[i] != want[i] {
			t.Errorf("events %v, want %v", events, want)
		}
	}
}

// TestPutIgnoresAnOlderVersion: the world writes a Rollout (the timeline's update) and puts the
// answer in the store; the mirror's watch then brings the version before it, which must not
// replace it. A new object under the same name (another UID) replaces the stored one whatever
// its resource version.
func TestPutIgnoresAnOlderVersion(t *testing.T) {
	s, _ := newStore()
	var events []EventType
	s.Watch(func(e Event) { events = append(events, e.Type) })
	ro := rollout("demo")
	ro.UID, ro.ResourceVersion, ro.Generation = "uid-1", "50", 2
	if err := s.Put(ro); err != nil {
		t.Fatal(err)
	}
	stale := ro.DeepCopy()
	stale.ResourceVersion, stale.Generation = "48", 1
	if err := s.Put(stale); err != nil {
		t.Fatal(err)
	}
	key := client.ObjectKeyFromObject(ro)
	gvk, err := s.KindOf(ro)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Peek(gvk, key); got.GetResourceVersion() != "50" || got.GetGeneration() != 2 {
		t.Errorf("stored rv %q generation %d after an older version, want 50 and 2", got.GetResourceVersion(), got.GetGeneration())
	}
	again := ro.DeepCopy()
	again.UID, again.ResourceVersion = "uid-2", "49"
	if err := s.Put(again); err != nil {
		t.Fatal(err)
	}
	if got := s.Peek(gvk, key); got.GetUID() != "uid-2" {
		t.Errorf("stored uid %q, want the new object's uid-2", got.GetUID())
	}
	if want := []EventType{Added, Modified}; len(events) != len(want) || events[0] != want[0] || events[1] != want[1] {
		t.Errorf("events %v, want %v", events, want)
	}
}
