// Package memapi is an in-memory Kubernetes API behind controller-runtime's client.Client, fast enough for virtual-time runs.
package memapi

import (
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// EventType says what happened to an object.
type EventType string

// The kinds of change a Store reports.
const (
	Added    EventType = "ADDED"
	Modified EventType = "MODIFIED"
	Deleted  EventType = "DELETED"
)

// Event is one change, reported synchronously after it is stored. Object and Old are the
// store's own copies: read them, never change them.
type Event struct {
	Type   EventType
	Kind   schema.GroupVersionKind
	Object client.Object
	Old    client.Object
}

// Store holds typed objects by kind, namespace and name. It is not safe for concurrent use:
// a simulation drives it from one goroutine.
type Store struct {
	scheme  *runtime.Scheme
	clock   clock.PassiveClock
	suffix  func() string
	kinds   map[schema.GroupVersionKind]*kindStore
	rv      uint64
	uids    uint64
	watches []func(Event)
	// clusterScoped kinds have no namespace.
	clusterScoped map[string]bool
	// owned indexes objects by the UIDs of their owners (index.go).
	owned map[types.UID]map[ownerKey]struct{}
}

type kindStore struct {
	objs map[types.NamespacedName]client.Object
	// sorted caches the keys in namespace/name order, kept in step on add and delete; byNS the
	// same per namespace.
	sorted []types.NamespacedName
	byNS   map[string][]types.NamespacedName
}

// Option configures a Store.
type Option func(*Store)

// WithNameSuffix sets how generateName suffixes are made (default: a counter); a simulation
// passes a seeded source so that names look like Kubernetes' and stay deterministic.
func WithNameSuffix(f func() string) Option { return func(s *Store) { s.suffix = f } }

// New returns an empty store for the types of scheme, stamping times from clk.
func New(scheme *runtime.Scheme, clk clock.PassiveClock, opts ...Option) *Store {
	s := &Store{
		scheme: scheme,
		clock:  clk,
		kinds:  map[schema.GroupVersionKind]*kindStore{},
		owned:  map[types.UID]map[ownerKey]struct{}{},
		clusterScoped: map[string]bool{
			"ClusterAnalysisTemplate": true, "Namespace": true, "Node": true,
			"ClusterRole": true, "ClusterRoleBinding": true, "CustomResourceDefinition": true,
			"PersistentVolume": true, "StorageClass": true, "PriorityClass": true,
		},
	}
	n := 0
	s.suffix = func() string { n++; return fmt.Sprintf("%05d", n) }
	for _, o := range opts {
		o(s)
	}
	return s
}

// Watch registers f to be called after every change.
func (s *Store) Watch(f func(Event)) { s.watches = append(s.watches, f) }

func (s *Store) notify(e Event) {
	for _, w := range s.watches {
		w(e)
	}
}

func (s *Store) gvk(obj runtime.Object) (schema.GroupVersionKind, error) {
	gvks, _, err := s.scheme.ObjectKinds(obj)
	if err != nil {
		return schema.GroupVersionKind{}, err
	}
	return gvks[0], nil
}

func (s *Store) kind(gvk schema.GroupVersionKind) *kindStore {
	ks := s.kinds[gvk]
	if ks == nil {
		ks = &kindStore{objs: map[types.NamespacedName]client.Object{}}
		s.kinds[gvk] = ks
	}
	return ks
}

func (ks *kindStore) keys() []types.NamespacedName {
	if ks.sorted == nil {
		ks.sorted = make([]types.NamespacedName, 0, len(ks.objs))
		for k := range ks.objs {
			ks.sorted = append(ks.sorted, k)
		}
		sort.Slice(ks.sorted, func(i, j int) bool {
			a, b := ks.sorted[i], ks.sorted[j]
			if a.Namespace != b.Namespace {
				return a.Namespace < b.Namespace
			}
			return a.Name < b.Name
		})
	}
	return ks.sorted
}

func (s *Store) nextRV() string {
	s.rv++
	return strconv.FormatUint(s.rv, 10)
}

// nextUID makes UUID-shaped, deterministic UIDs.
func (s *Store) nextUID() types.UID {
	s.uids++
	return types.UID(fmt.Sprintf("00000000-0000-4000-8000-%012x", s.uids))
}

func groupResource(gvk schema.GroupVersionKind) schema.GroupResource {
	return schema.GroupResource{Group: gvk.Group, Resource: strings.ToLower(gvk.Kind) + "s"}
}

// copyInto copies src into dst, both pointers to the same struct type.
func copyInto(src, dst runtime.Object) {
	reflect.ValueOf(dst).Elem().Set(reflect.ValueOf(src.DeepCopyObject()).Elem())
}

// statusField returns the Status field of a typed object, if it has one.
func statusField(obj runtime.Object) (reflect.Value, bool) {
	v := reflect.ValueOf(obj).Elem().FieldByName("Status")
	return v, v.IsValid()
}

// noStatusSubresource are the kinds that have a status but whose CRDs serve no /status: Argo's
// AnalysisRun and Experiment, and config/crd's, which match them. Argo's controller writes their
// status with the object, and users' clusters have Argo's CRDs.
var noStatusSubresource = map[schema.GroupKind]bool{
	{Group: "argoproj.io", Kind: "AnalysisRun"}: true,
	{Group: "argoproj.io", Kind: "Experiment"}:  true,
}

// StatusSubresource reports whether the kind serves a /status subresource, as the API server
// would: every kind with a status, except those whose CRDs have none (noStatusSubresource). A
// write of such a kind's object writes its status too; a write of its /status is a 404.
func (s *Store) StatusSubresource(gvk schema.GroupVersionKind) bool {
	if noStatusSubresource[gvk.GroupKind()] {
		return false
	}
	obj, err := s.scheme.New(gvk)
	if err != nil {
		return false
	}
	_, ok := statusField(obj)
	return ok
}

func specField(obj runtime.Object) (reflect.Value, bool) {
	v := reflect.ValueOf(obj).Elem().FieldByName("Spec")
	return v, v.IsValid()
}

func now(s *Store) metav1.Time {
	return metav1.NewTime(s.clock.Now().Truncate(1e9))
}

func notFound(gvk schema.GroupVersionKind, name string) error {
	return apierrors.NewNotFound(groupResource(gvk), name)
}

// Objects returns the stored objects of one kind, sorted by namespace and name. Read them, never
// change them.
func (s *Store) Objects(gvk schema.GroupVersionKind) []client.Object {
	ks := s.kinds[gvk]
	if ks == nil {
		return nil
	}
	out := make([]client.Object, 0, len(ks.objs))
	for _, k := range ks.keys() {
		out = append(out, ks.objs[k])
	}
	return out
}

// Peek returns the stored object without copying it, or nil. Read it, never change it.
func (s *Store) Peek(gvk schema.GroupVersionKind, key types.NamespacedName) client.Object {
	ks := s.kinds[gvk]
	if ks == nil {
		return nil
	}
	return ks.objs[key]
}
