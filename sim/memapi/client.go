package memapi

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	jsonpatch "gopkg.in/evanphx/json-patch.v4"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Client returns a client.Client over the store.
func (s *Store) Client() client.Client { return &memClient{s: s} }

type memClient struct{ s *Store }

var _ client.Client = (*memClient)(nil)

func (c *memClient) Scheme() *runtime.Scheme { return c.s.scheme }

func (c *memClient) RESTMapper() meta.RESTMapper {
	m := meta.NewDefaultRESTMapper(nil)
	for gvk := range c.s.scheme.AllKnownTypes() {
		scope := meta.RESTScopeNamespace
		if c.s.clusterScoped[gvk.Kind] {
			scope = meta.RESTScopeRoot
		}
		m.Add(gvk, scope)
	}
	return m
}

func (c *memClient) GroupVersionKindFor(obj runtime.Object) (schema.GroupVersionKind, error) {
	return c.s.gvk(obj)
}

func (c *memClient) IsObjectNamespaced(obj runtime.Object) (bool, error) {
	gvk, err := c.s.gvk(obj)
	if err != nil {
		return false, err
	}
	return !c.s.clusterScoped[gvk.Kind], nil
}

func (c *memClient) Get(_ context.Context, key client.ObjectKey, obj client.Object, _ ...client.GetOption) error {
	gvk, err := c.s.gvk(obj)
	if err != nil {
		return err
	}
	stored := c.s.Peek(gvk, key)
	if stored == nil {
		return notFound(gvk, key.Name)
	}
	copyInto(stored, obj)
	obj.GetObjectKind().SetGroupVersionKind(gvk)
	return nil
}

func (c *memClient) List(_ context.Context, list client.ObjectList, opts ...client.ListOption) error {
	lo := (&client.ListOptions{}).ApplyOptions(opts)
	listGVK, err := c.s.gvk(list)
	if err != nil {
		return err
	}
	gvk := listGVK.GroupVersion().WithKind(strings.TrimSuffix(listGVK.Kind, "List"))
	noCopy := lo.UnsafeDisableDeepCopy != nil && *lo.UnsafeDisableDeepCopy
	var items []runtime.Object
	if ks := c.s.kinds[gvk]; ks != nil {
		keys := ks.keys()
		owner, byOwner := "", false
		checkFields := lo.FieldSelector != nil
		if checkFields {
			owner, byOwner = lo.FieldSelector.RequiresExactMatch(OwnerUIDField)
			// Everything the owner index returns matches its own term: a selector of that
			// term alone needs no per-object check (nor the field set built for one).
			checkFields = !byOwner || len(lo.FieldSelector.Requirements()) > 1
		}
		switch {
		case byOwner:
			keys = c.s.ownedKeys(types.UID(owner), gvk)
		case lo.Namespace != "":
			keys = ks.nsKeys(lo.Namespace)
		}
		for _, k := range keys {
			if lo.Namespace != "" && k.Namespace != lo.Namespace {
				continue
			}
			o := ks.objs[k]
			if lo.LabelSelector != nil && !lo.LabelSelector.Matches(labels.Set(o.GetLabels())) {
				continue
			}
			if checkFields && !lo.FieldSelector.Matches(fieldSet(o, owner)) {
				continue
			}
			if noCopy {
				items = append(items, o)
			} else {
				items = append(items, o.DeepCopyObject())
			}
		}
	}
	list.GetObjectKind().SetGroupVersionKind(listGVK)
	return meta.SetList(list, items)
}

func (c *memClient) Create(_ context.Context, obj client.Object, opts ...client.CreateOption) error {
	co := (&client.CreateOptions{}).ApplyOptions(opts)
	gvk, err := c.s.gvk(obj)
	if err != nil {
		return err
	}
	if obj.GetName() == "" && obj.GetGenerateName() != "" {
		obj.SetName(obj.GetGenerateName() + c.s.suffix())
	}
	if obj.GetName() == "" {
		return apierrors.NewBadRequest("name or generateName is required")
	}
	if c.s.clusterScoped[gvk.Kind] {
		obj.SetNamespace("")
	}
	key := client.ObjectKeyFromObject(obj)
	ks := c.s.kind(gvk)
	if _, ok := ks.objs[key]; ok {
		return apierrors.NewAlreadyExists(groupResource(gvk), key.Name)
	}
	if obj.GetResourceVersion() != "" {
		return apierrors.NewBadRequest("resourceVersion should not be set on objects to be created")
	}
	if len(co.DryRun) > 0 {
		return nil
	}
	obj.SetUID(c.s.nextUID())
	obj.SetCreationTimestamp(now(c.s))
	obj.SetResourceVersion(c.s.nextRV())
	if _, ok := specField(obj); ok {
		obj.SetGeneration(1)
	}
	obj.GetObjectKind().SetGroupVersionKind(gvk)
	stored := obj.DeepCopyObject().(client.Object)
	ks.objs[key] = stored
	ks.added(key)
	c.s.indexOwners(gvk, nil, stored)
	c.s.notify(Event{Type: Added, Kind: gvk, Object: stored})
	return nil
}

// update stores obj in place of the stored object. With status true only the status changes
// (a 404 for a kind without a status subresource); otherwise everything but the status does for a
// kind with one, and everything for a kind without.
func (c *memClient) update(obj client.Object, status bool) error {
	gvk, err := c.s.gvk(obj)
	if err != nil {
		return err
	}
	key := client.ObjectKeyFromObject(obj)
	ks := c.s.kind(gvk)
	old, ok := ks.objs[key]
	if !ok {
		return notFound(gvk, key.Name)
	}
	if rv := obj.GetResourceVersion(); rv != "" && rv != old.GetResourceVersion() {
		return apierrors.NewConflict(groupResource(gvk), key.Name,
			fmt.Errorf("the object has been modified; please apply your changes to the latest version and try again"))
	}
	next := obj.DeepCopyObject().(client.Object)
	oldStatus, _ := statusField(old)
	subresource := c.s.StatusSubresource(gvk)
	var changed bool
	if status {
		// Only the status comes from the caller; everything else stays.
		if !subresource {
			// What the API server answers for a CRD without the subresource: the object's name
			// alone, not found.
			return notFound(gvk, key.Name)
		}
		st, _ := statusField(next)
		changed = !equality.Semantic.DeepEqual(oldStatus.Interface(), st.Interface())
		kept := old.DeepCopyObject().(client.Object)
		ks2, _ := statusField(kept)
		ks2.Set(st)
		next = kept
	} else {
		if subresource {
			ns, _ := statusField(next)
			ns.Set(oldStatus)
		}
		next.SetUID(old.GetUID())
		next.SetCreationTimestamp(old.GetCreationTimestamp())
		next.SetGeneration(old.GetGeneration())
		if oldSpec, ok := specField(old); ok {
			newSpec, _ := specField(next)
			bump := !equality.Semantic.DeepEqual(oldSpec.Interface(), newSpec.Interface())
			if !subresource && oldStatus.IsValid() {
				// A CRD without the subresource counts every change outside the metadata,
				// the status's too (apiextensions' PrepareForUpdate).
				newStatus, _ := statusField(next)
				bump = bump || !equality.Semantic.DeepEqual(oldStatus.Interface(), newStatus.Interface())
			}
			if bump {
				next.SetGeneration(old.GetGeneration() + 1)
				changed = true
			}
			changed = changed || metaChanged(old, next)
		} else {
			changed = !equality.Semantic.DeepEqual(old, withRV(next, old.GetResourceVersion()))
		}
	}
	if !changed {
		// A no-op write keeps the resource version, as the apiserver does.
		copyInto(old, obj)
		return nil
	}
	next.SetResourceVersion(c.s.nextRV())
	next.GetObjectKind().SetGroupVersionKind(gvk)
	ks.objs[key] = next
	if !equality.Semantic.DeepEqual(old.GetOwnerReferences(), next.GetOwnerReferences()) {
		c.s.indexOwners(gvk, old, next)
	}
	copyInto(next, obj)
	c.s.notify(Event{Type: Modified, Kind: gvk, Object: next, Old: old})
	return nil
}

// metaChanged compares the metadata a client may change.
func metaChanged(a, b client.Object) bool {
	return !equality.Semantic.DeepEqual(a.GetLabels(), b.GetLabels()) ||
		!equality.Semantic.DeepEqual(a.GetAnnotations(), b.GetAnnotations()) ||
		!equality.Semantic.DeepEqual(a.GetOwnerReferences(), b.GetOwnerReferences()) ||
		!equality.Semantic.DeepEqual(a.GetFinalizers(), b.GetFinalizers())
}

func withRV(o client.Object, rv string) client.Object {
	o.SetResourceVersion(rv)
	return o
}

func (c *memClient) Update(_ context.Context, obj client.Object, _ ...client.UpdateOption) error {
	return c.update(obj, false)
}

func (c *memClient) Patch(_ context.Context, obj client.Object, patch client.Patch, _ ...client.PatchOption) error {
	return c.patch(obj, patch, false)
}

func (c *memClient) patch(obj client.Object, patch client.Patch, status bool) error {
	gvk, err := c.s.gvk(obj)
	if err != nil {
		return err
	}
	key := client.ObjectKeyFromObject(obj)
	stored := c.s.Peek(gvk, key)
	if stored == nil {
		return notFound(gvk, key.Name)
	}
	data, err := patch.Data(obj)
	if err != nil {
		return err
	}
	orig, err := json.Marshal(stored)
	if err != nil {
		return err
	}
	var patched []byte
	switch patch.Type() {
	case types.MergePatchType:
		patched, err = jsonpatch.MergePatch(orig, data)
	case types.StrategicMergePatchType:
		patched, err = strategicpatch.StrategicMergePatch(orig, data, stored)
	case types.JSONPatchType:
		var p jsonpatch.Patch
		if p, err = jsonpatch.DecodePatch(data); err == nil {
			patched, err = p.Apply(orig)
		}
	default:
		return apierrors.NewBadRequest(fmt.Sprintf("patch type %s is not supported", patch.Type()))
	}
	if err != nil {
		return apierrors.NewBadRequest(err.Error())
	}
	next := reflect.New(reflect.TypeOf(stored).Elem()).Interface().(client.Object)
	if err := json.Unmarshal(patched, next); err != nil {
		return apierrors.NewBadRequest(err.Error())
	}
	// A patch without a resourceVersion applies to whatever is stored.
	if next.GetResourceVersion() == "" {
		next.SetResourceVersion(stored.GetResourceVersion())
	}
	if err := c.update(next, status); err != nil {
		return err
	}
	copyInto(next, obj)
	return nil
}

func (c *memClient) Delete(_ context.Context, obj client.Object, _ ...client.DeleteOption) error {
	gvk, err := c.s.gvk(obj)
	if err != nil {
		return err
	}
	return c.s.delete(gvk, client.ObjectKeyFromObject(obj))
}

// delete removes an object and, as the garbage collector would, everything it owns.
func (s *Store) delete(gvk schema.GroupVersionKind, key types.NamespacedName) error {
	ks := s.kind(gvk)
	old, ok := ks.objs[key]
	if !ok {
		return notFound(gvk, key.Name)
	}
	delete(ks.objs, key)
	ks.removed(key)
	s.indexOwners(gvk, old, nil)
	s.notify(Event{Type: Deleted, Kind: gvk, Object: old, Old: old})
	s.collectDependents(old.GetUID(), key.Namespace)
	return nil
}

// collectDependents deletes what owner owned (in its namespace, or anywhere for a
// cluster-scoped owner), in kind, namespace and name order.
func (s *Store) collectDependents(owner types.UID, ns string) {
	for _, v := range s.dependents(owner) {
		if ns != "" && v.key.Namespace != ns {
			continue
		}
		_ = s.delete(v.gvk, v.key) // already gone through another owner is fine
	}
}

// fieldSet is what a field selector can match: name, namespace and the owner index.
func fieldSet(o client.Object, owner string) fields.Set {
	fs := fields.Set{"metadata.name": o.GetName(), "metadata.namespace": o.GetNamespace()}
	if owner != "" {
		fs[OwnerUIDField] = owner // listed from the owner index: it matches
	}
	return fs
}

func (c *memClient) DeleteAllOf(ctx context.Context, obj client.Object, opts ...client.DeleteAllOfOption) error {
	do := (&client.DeleteAllOfOptions{}).ApplyOptions(opts)
	gvk, err := c.s.gvk(obj)
	if err != nil {
		return err
	}
	ks := c.s.kinds[gvk]
	if ks == nil {
		return nil
	}
	var keys []types.NamespacedName
	for _, k := range ks.keys() {
		o := ks.objs[k]
		if do.Namespace != "" && k.Namespace != do.Namespace {
			continue
		}
		if do.LabelSelector != nil && !do.LabelSelector.Matches(labels.Set(o.GetLabels())) {
			continue
		}
		keys = append(keys, k)
	}
	for _, k := range keys {
		if err := c.s.delete(gvk, k); err != nil && !apierrors.IsNotFound(err) {
			return err
		}
	}
	return nil
}

func (c *memClient) Apply(context.Context, runtime.ApplyConfiguration, ...client.ApplyOption) error {
	return apierrors.NewBadRequest("server-side apply is not supported by the in-memory API")
}

func (c *memClient) Status() client.SubResourceWriter { return &statusWriter{c} }

func (c *memClient) SubResource(name string) client.SubResourceClient {
	return &subResourceClient{c: c, name: name}
}

type statusWriter struct{ c *memClient }

func (w *statusWriter) Create(context.Context, client.Object, client.Object, ...client.SubResourceCreateOption) error {
	return apierrors.NewBadRequest("create on the status subresource is not supported")
}

func (w *statusWriter) Update(_ context.Context, obj client.Object, _ ...client.SubResourceUpdateOption) error {
	return w.c.update(obj, true)
}

func (w *statusWriter) Patch(_ context.Context, obj client.Object, patch client.Patch, _ ...client.SubResourcePatchOption) error {
	return w.c.patch(obj, patch, true)
}

func (w *statusWriter) Apply(context.Context, runtime.ApplyConfiguration, ...client.SubResourceApplyOption) error {
	return apierrors.NewBadRequest("server-side apply is not supported by the in-memory API")
}

type subResourceClient struct {
	c    *memClient
	name string
}

func (s *subResourceClient) Get(context.Context, client.Object, client.Object, ...client.SubResourceGetOption) error {
	return apierrors.NewBadRequest("subresource " + s.name + " is not supported")
}

func (s *subResourceClient) Create(context.Context, client.Object, client.Object, ...client.SubResourceCreateOption) error {
	return apierrors.NewBadRequest("subresource " + s.name + " is not supported")
}

func (s *subResourceClient) Update(ctx context.Context, obj client.Object, opts ...client.SubResourceUpdateOption) error {
	if s.name != "status" {
		return apierrors.NewBadRequest("subresource " + s.name + " is not supported")
	}
	return s.c.update(obj, true)
}

func (s *subResourceClient) Patch(ctx context.Context, obj client.Object, patch client.Patch, opts ...client.SubResourcePatchOption) error {
	if s.name != "status" {
		return apierrors.NewBadRequest("subresource " + s.name + " is not supported")
	}
	return s.c.patch(obj, patch, true)
}

func (s *subResourceClient) Apply(context.Context, runtime.ApplyConfiguration, ...client.SubResourceApplyOption) error {
	return apierrors.NewBadRequest("server-side apply is not supported by the in-memory API")
}
