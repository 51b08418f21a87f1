package driver

import (
	"context"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/canarydrill/canarydrill/api/scheme"
	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

func TestNewInformerKeepsOnlyRolloutStores(t *testing.T) {
	r := &rolloutStores{}
	lw := &toolscache.ListWatch{}
	r.newInformer(lw, &appsv1.ReplicaSet{}, 0, toolscache.Indexers{})
	ro := r.newInformer(lw, &v1alpha1.Rollout{}, 0, toolscache.Indexers{})
	if len(r.stores) != 1 || r.stores[0] != ro.GetStore() {
		t.Fatalf("stores %v, want the Rollout informer's only", r.stores)
	}
}

// TestWriteBack: each kind of Rollout write puts the returned object into the store that holds
// it; failed, dry-run and other kinds' writes, objects the store does not hold, and objects
// older than the stored one leave the store alone.
func TestWriteBack(t *testing.T) {
	statusPatch := client.RawPatch(types.MergePatchType, []byte(`{"status":{"message":"written"}}`))
	specPatch := client.RawPatch(types.MergePatchType, []byte(`{"metadata":{"annotations":{"a":"written"}}}`))
	written := func(ro *v1alpha1.Rollout) string { return ro.Status.Message + ro.Annotations["a"] }
	for _, tc := range []struct {
		name    string
		write   func(ctx context.Context, c client.Client, ro *v1alpha1.Rollout) error
		stored  string // the resourceVersion the store holds before the write; "" for none
		want    string // written(stored object) after the write
		wantErr bool
	}{
		{name: "status patch", stored: "1", want: "written", write: func(ctx context.Context, c client.Client, ro *v1alpha1.Rollout) error {
			return c.Status().Patch(ctx, ro, statusPatch)
		}},
		{name: "status update", stored: "1", want: "written", write: func(ctx context.Context, c client.Client, ro *v1alpha1.Rollout) error {
			ro.Status.Message = "written"
			return c.Status().Update(ctx, ro)
		}},
		{name: "status subresource patch", stored: "1", want: "written", write: func(ctx context.Context, c client.Client, ro *v1alpha1.Rollout) error {
			return c.SubResource("status").Patch(ctx, ro, statusPatch)
		}},
		{name: "patch", stored: "1", want: "written", write: func(ctx context.Context, c client.Client, ro *v1alpha1.Rollout) error {
			return c.Patch(ctx, ro, specPatch)
		}},
		{name: "update", stored: "1", want: "written", write: func(ctx context.Context, c client.Client, ro *v1alpha1.Rollout) error {
			ro.Annotations = map[string]string{"a": "written"}
			return c.Update(ctx, ro)
		}},
		{name: "dry run", stored: "1", want: "", write: func(ctx context.Context, c client.Client, ro *v1alpha1.Rollout) error {
			return c.Patch(ctx, ro, specPatch, client.DryRunAll)
		}},
		{name: "failed write", stored: "1", want: "", wantErr: true, write: func(ctx context.Context, c client.Client, ro *v1alpha1.Rollout) error {
			ro.ResourceVersion = "0" // a conflict
			ro.Annotations = map[string]string{"a": "written"}
			return c.Update(ctx, ro)
		}},
		{name: "not in the store", stored: "", want: "", write: func(ctx context.Context, c client.Client, ro *v1alpha1.Rollout) error {
			return c.Status().Patch(ctx, ro, statusPatch)
		}},
		{name: "the store has a newer one", stored: "999999", want: "", write: func(ctx context.Context, c client.Client, ro *v1alpha1.Rollout) error {
			return c.Status().Patch(ctx, ro, statusPatch)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			seed := &v1alpha1.Rollout{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "demo"}}
			fc := fake.NewClientBuilder().WithScheme(scheme.New()).WithStatusSubresource(&v1alpha1.Rollout{}).WithObjects(seed).Build()
			store := toolscache.NewStore(toolscache.MetaNamespaceKeyFunc)
			if tc.stored != "" {
				cached := seed.DeepCopy()
				cached.ResourceVersion = tc.stored
				if err := store.Add(cached); err != nil {
					t.Fatal(err)
				}
			}
			c := &writeBackClient{Client: fc, stores: &rolloutStores{stores: []toolscache.Store{store}}}
			ro := &v1alpha1.Rollout{}
			if err := fc.Get(ctx, client.ObjectKeyFromObject(seed), ro); err != nil {
				t.Fatal(err)
			}
			if err := tc.write(ctx, c, ro); (err != nil) != tc.wantErr {
				t.Fatalf("write: %v", err)
			}
			obj, ok, _ := store.GetByKey("ns/demo")
			if tc.stored == "" {
				if ok {
					t.Fatalf("the write added %v to the store", obj)
				}
				return
			}
			got := obj.(*v1alpha1.Rollout)
			if written(got) != tc.want {
				t.Errorf("stored %q, want %q", written(got), tc.want)
			}
			if tc.want != "" {
				if got.ResourceVersion != ro.ResourceVersion {
					t.Errorf("stored resourceVersion %s, the write returned %s", got.ResourceVersion, ro.ResourceVersion)
				}
				ro.Status.Message = "changed after the write"
				if got.Status.Message == ro.Status.Message {
					t.Error("the store shares the caller's object")
				}
			}
		})
	}
}

func TestWriteBackIgnoresOtherKinds(t *testing.T) {
	ctx := context.Background()
	rs := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "demo"}}
	fc := fake.NewClientBuilder().WithScheme(scheme.New()).WithObjects(rs).Build()
	store := toolscache.NewStore(toolscache.MetaNamespaceKeyFunc)
	cached := rs.DeepCopy()
	cached.ResourceVersion = "1"
	if err := store.Add(cached); err != nil {
		t.Fatal(err)
	}
	c := &writeBackClient{Client: fc, stores: &rolloutStores{stores: []toolscache.Store{store}}}
	if err := c.Patch(ctx, rs, client.RawPatch(types.MergePatchType, []byte(`{"metadata":{"labels":{"a":"b"}}}`))); err != nil {
		t.Fatal(err)
	}
	obj, _, _ := store.GetByKey("ns/demo")
	if _, isRS := obj.(*appsv1.ReplicaSet); !isRS || obj.(*appsv1.ReplicaSet).Labels["a"] != "" {
		t.Errorf("a ReplicaSet write reached the store: %v", obj)
	}
}

func TestOlderRV(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"9", "10", true}, // numerically, not as strings
		{"10", "9", false},
		{"10", "10", false},
		{"x", "10", false}, // opaque versions are never called older
		{"10", "", false},
	} {
		if got := olderRV(tc.a, tc.b); got != tc.want {
			t.Errorf("olderRV(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}
