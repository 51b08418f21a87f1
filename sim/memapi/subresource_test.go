package memapi

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

func TestStatusSubresource(t *testing.T) {
	s, _ := newStore()
	for _, tc := range []struct {
		gvk  schema.GroupVersionKind
		want bool
	}{
		{v1alpha1.GroupVersion.WithKind("Rollout"), true},
		{v1alpha1.GroupVersion.WithKind("AnalysisRun"), false},
		{v1alpha1.GroupVersion.WithKind("Experiment"), false},
		{v1alpha1.GroupVersion.WithKind("AnalysisTemplate"), false}, // no status at all
		{appsv1.SchemeGroupVersion.WithKind("ReplicaSet"), true},
		{corev1.SchemeGroupVersion.WithKind("Pod"), true},
		{corev1.SchemeGroupVersion.WithKind("ConfigMap"), false},
		{schema.GroupVersionKind{Group: "example.com", Version: "v1", Kind: "Unknown"}, false},
	} {
		t.Run(tc.gvk.Kind, func(t *testing.T) {
			assert.Equal(t, tc.want, s.StatusSubresource(tc.gvk))
		})
	}
}

// TestStatusSubresourceMatchesCRDs keeps the store's answer equal to config/crd's CRDs, which
// match Argo's (internal/argoref's TestArgoCRDsAreASuperset checks that).
func TestStatusSubresourceMatchesCRDs(t *testing.T) {
	s, _ := newStore()
	files, err := filepath.Glob(filepath.Join("..", "..", "config", "crd", "bases", "*.yaml"))
	require.NoError(t, err)
	require.Len(t, files, 5)
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		var crd apiextensionsv1.CustomResourceDefinition
		require.NoError(t, yaml.Unmarshal(b, &crd), f)
		for _, v := range crd.Spec.Versions {
			gvk := schema.GroupVersionKind{Group: crd.Spec.Group, Version: v.Name, Kind: crd.Spec.Names.Kind}
			want := v.Subresources != nil && v.Subresources.Status != nil
			assert.Equal(t, want, s.StatusSubresource(gvk), "%s in %s", gvk, filepath.Base(f))
		}
	}
}

// TestWritesWithAndWithoutStatusSubresource: a kind with the subresource takes its status only
// through /status; a kind without takes it with the object, /status is a 404, and a status change
// bumps the generation, as a CRD's does.
func TestWritesWithAndWithoutStatusSubresource(t *testing.T) {
	newObj := map[string]func() client.Object{
		"Rollout": func() client.Object { return rollout("a") },
		"AnalysisRun": func() client.Object {
			return &v1alpha1.AnalysisRun{ObjectMeta: metav1.ObjectMeta{Name: "a", Namespace: "default"}}
		},
		"Experiment": func() client.Object {
			return &v1alpha1.Experiment{ObjectMeta: metav1.ObjectMeta{Name: "a", Namespace: "default"}}
		},
	}
	// change sets a status field, and with spec a spec field too, on any of the three kinds.
	change := func(o client.Object, spec bool) {
		switch o := o.(type) {
		case *v1alpha1.Rollout:
			o.Status.Message = "written"
			o.Spec.Paused = spec
		case *v1alpha1.AnalysisRun:
			o.Status.Message = "written"
			o.Spec.Terminate = spec
		case *v1alpha1.Experiment:
			o.Status.Message = "written"
			o.Spec.Terminate = spec
		}
	}
	statusOf := func(o client.Object) string {
		switch o := o.(type) {
		case *v1alpha1.Rollout:
			return o.Status.Message
		case *v1alpha1.AnalysisRun:
			return o.Status.Message
		case *v1alpha1.Experiment:
			return o.Status.Message
		}
		return ""
	}
	specOf := func(o client.Object) bool {
		switch o := o.(type) {
		case *v1alpha1.Rollout:
			return o.Spec.Paused
		case *v1alpha1.AnalysisRun:
			return o.Spec.Terminate
		case *v1alpha1.Experiment:
			return o.Spec.Terminate
		}
		return false
	}
	const mergeStatus = `{"status":{"message":"written"}}`
	type write func(ctx context.Context, c client.Client, o client.Object) error
	update := func(ctx context.Context, c client.Client, o client.Object) error {
		change(o, true)
		return c.Update(ctx, o)
	}
	statusUpdate := func(ctx context.Context, c client.Client, o client.Object) error {
		change(o, true)
		return c.Status().Update(ctx, o)
	}
	patch := func(ctx context.Context, c client.Client, o client.Object) error {
		return c.Patch(ctx, o, client.RawPatch(types.MergePatchType, []byte(mergeStatus)))
	}
	statusPatch := func(ctx context.Context, c client.Client, o client.Object) error {
		return c.Status().Patch(ctx, o, client.RawPatch(types.MergePatchType, []byte(mergeStatus)))
	}
	for _, tc := range []struct {
		name     string
		kind     string
		write    write
		notFound string // the 404's message
		status   string // the stored status message after the write
		spec     bool   // the stored spec field after the write
		gen      int64
	}{
		{name: "rollout update keeps status", kind: "Rollout", write: update, status: "", spec: true, gen: 2},
		{name: "rollout status update keeps spec", kind: "Rollout", write: statusUpdate, status: "written", spec: false, gen: 1},
		{name: "rollout patch keeps status", kind: "Rollout", write: patch, status: "", gen: 1},
		{name: "rollout status patch", kind: "Rollout", write: statusPatch, status: "written", gen: 1},
		{name: "run update writes status and spec", kind: "AnalysisRun", write: update, status: "written", spec: true, gen: 2},
		{name: "run status update is a 404", kind: "AnalysisRun", write: statusUpdate, notFound: `analysisruns.argoproj.io "a" not found`, gen: 1},
		{name: "run patch writes status", kind: "AnalysisRun", write: patch, status: "written", gen: 2},
		{name: "run status patch is a 404", kind: "AnalysisRun", write: statusPatch, notFound: `analysisruns.argoproj.io "a" not found`, gen: 1},
		{name: "experiment update writes status and spec", kind: "Experiment", write: update, status: "written", spec: true, gen: 2},
		{name: "experiment status update is a 404", kind: "Experiment", write: statusUpdate, notFound: `experiments.argoproj.io "a" not found`, gen: 1},
		{name: "experiment patch writes status", kind: "Experiment", write: patch, status: "written", gen: 2},
		{name: "experiment status patch is a 404", kind: "Experiment", write: statusPatch, notFound: `experiments.argoproj.io "a" not found`, gen: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, c := newStore()
			ctx := context.Background()
			require.NoError(t, c.Create(ctx, newObj[tc.kind]()))
			o := newObj[tc.kind]()
			require.NoError(t, c.Get(ctx, client.ObjectKeyFromObject(o), o))
			err := tc.write(ctx, c, o)
			if tc.notFound != "" {
				require.True(t, apierrors.IsNotFound(err), "want a 404, got %v", err)
				assert.Equal(t, tc.notFound, err.Error())
			} else {
				require.NoError(t, err)
			}
			got := newObj[tc.kind]()
			require.NoError(t, c.Get(ctx, client.ObjectKeyFromObject(got), got))
			assert.Equal(t, tc.status, statusOf(got), "status")
			assert.Equal(t, tc.spec, specOf(got), "spec")
			assert.Equal(t, tc.gen, got.GetGeneration(), "generation")
		})
	}
}
