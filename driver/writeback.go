package driver

import (
	"context"
	"strconv"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

// rolloutStores collects the stores of the manager's Rollout informers (one, or one per
// namespace of a namespaced cache), as the cache creates them. controller-runtime hides a
// namespaced cache's informers behind one that has no store, so they are taken at creation.
type rolloutStores struct {
	mu     sync.Mutex
	stores []toolscache.Store
}

// newInformer is cache.Options.NewInformer: client-go's informer, whose store is kept when it
// holds Rollouts.
func (r *rolloutStores) newInformer(lw toolscache.ListerWatcher, obj runtime.Object, resync time.Duration, indexers toolscache.Indexers) toolscache.SharedIndexInformer {
	inf := toolscache.NewSharedIndexInformer(lw, obj, resync, indexers)
	if _, ok := obj.(*v1alpha1.Rollout); ok {
		r.mu.Lock()
		r.stores = append(r.stores, inf.GetStore())
		r.mu.Unlock()
	}
	return inf
}

// put writes a Rollout the API server just returned into the store that holds it, so that the
// next reconcile reads what this one wrote instead of the object before it (Argo's
// writeBackToInformer). Without it, a reconcile that starts before the watch has delivered the
// status write plans the same step again: a run completed within milliseconds is then made a
// second time, as <name>.1. Only objects already in a store are replaced (a write never adds one
// the informer would not hold), and never by an older resourceVersion than the stored one.
func (r *rolloutStores) put(ro *v1alpha1.Rollout) {
	r.mu.Lock()
	stores := r.stores
	r.mu.Unlock()
	for _, s := range stores {
		cur, ok, err := s.Get(ro)
		if err != nil || !ok {
			continue
		}
		if c, isMeta := cur.(client.Object); isMeta && olderRV(ro.ResourceVersion, c.GetResourceVersion()) {
			continue
		}
		_ = s.Update(ro.DeepCopy()) // a store of typed objects keyed by namespace/name cannot fail
	}
}

// olderRV reports whether resourceVersion a is older than b. Resource versions are opaque to
// clients, but the API server's are etcd revisions; anything else is never called older.
func olderRV(a, b string) bool {
	x, errA := strconv.ParseUint(a, 10, 64)
	y, errB := strconv.ParseUint(b, 10, 64)
	return errA == nil && errB == nil && x < y
}

// writeBackClient is the reconcilers' client in the driver: every successful write of a Rollout
// (update, patch, and both on /status) is put into the Rollout informer's store. The reconcilers
// themselves stay unaware of it, as they run in the simulator too, where the API is read
// directly and never stale.
type writeBackClient struct {
	client.Client
	stores *rolloutStores
}

func (c *writeBackClient) written(obj client.Object, dryRun []string) {
	if ro, ok := obj.(*v1alpha1.Rollout); ok && len(dryRun) == 0 {
		c.stores.put(ro)
	}
}

func (c *writeBackClient) Update(ctx context.Context, obj client.Object, opts ...client.UpdateOption) error {
	if err := c.Client.Update(ctx, obj, opts...); err != nil {
		return err
	}
	c.written(obj, (&client.UpdateOptions{}).ApplyOptions(opts).DryRun)
	return nil
}

func (c *writeBackClient) Patch(ctx context.Context, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
	if err := c.Client.Patch(ctx, obj, patch, opts...); err != nil {
		return err
	}
	c.written(obj, (&client.PatchOptions{}).ApplyOptions(opts).DryRun)
	return nil
}

func (c *writeBackClient) Status() client.SubResourceWriter {
	return &writeBackSubResource{SubResourceWriter: c.Client.Status(), c: c}
}

func (c *writeBackClient) SubResource(name string) client.SubResourceClient {
	inner := c.Client.SubResource(name)
	if name != "status" {
		return inner
	}
	return &writeBackSubResourceClient{SubResourceClient: inner, w: writeBackSubResource{SubResourceWriter: inner, c: c}}
}

type writeBackSubResource struct {
	client.SubResourceWriter
	c *writeBackClient
}

func (w *writeBackSubResource) Update(ctx context.Context, obj client.Object, opts ...client.SubResourceUpdateOption) error {
	if err := w.SubResourceWriter.Update(ctx, obj, opts...); err != nil {
		return err
	}
	w.c.written(obj, (&client.SubResourceUpdateOptions{}).ApplyOptions(opts).DryRun)
	return nil
}

func (w *writeBackSubResource) Patch(ctx context.Context, obj client.Object, patch client.Patch, opts ...client.SubResourcePatchOption) error {
	if err := w.SubResourceWriter.Patch(ctx, obj, patch, opts...); err != nil {
		return err
	}
	w.c.written(obj, (&client.SubResourcePatchOptions{}).ApplyOptions(opts).DryRun)
	return nil
}

// writeBackSubResourceClient is SubResource("status") with writeBackSubResource's writes.
type writeBackSubResourceClient struct {
	client.SubResourceClient
	w writeBackSubResource
}

func (s *writeBackSubResourceClient) Update(ctx context.Context, obj client.Object, opts ...client.SubResourceUpdateOption) error {
	return s.w.Update(ctx, obj, opts...)
}

func (s *writeBackSubResourceClient) Patch(ctx context.Context, obj client.Object, patch client.Patch, opts ...client.SubResourcePatchOption) error {
	return s.w.Patch(ctx, obj, patch, opts...)
}
