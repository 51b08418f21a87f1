package trafficrouting

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/tools/record"
	clocktesting "k8s.io/utils/clock/testing"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/canarydrill/canarydrill/api/scheme"
	"github.com/canarydrill/canarydrill/api/v1alpha1"
	"github.com/canarydrill/canarydrill/sim/memapi"
)

// lab is an in-memory API with a Rollout, and the events routers record.
type lab struct {
	t   *testing.T
	ctx context.Context
	c   client.Client
	rec *record.FakeRecorder
	ro  *v1alpha1.Rollout
}

func newLab(t *testing.T, ro *v1alpha1.Rollout, objs ...client.Object) *lab {
	t.Helper()
	store := memapi.New(scheme.New(), clocktesting.NewFakePassiveClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)))
	c := store.Client()
	ctx := context.Background()
	require.NoError(t, c.Create(ctx, ro))
	for _, o := range objs {
		require.NoError(t, c.Create(ctx, o))
	}
	return &lab{t: t, ctx: ctx, c: c, rec: record.NewFakeRecorder(100), ro: ro}
}

func (l *lab) router() router { return router{c: l.c, rec: l.rec, ro: l.ro} }

func (l *lab) events() []string {
	var out []string
	for {
		select {
		case e := <-l.rec.Events:
			out = append(out, e)
		default:
			return out
		}
	}
}

// fromYAML reads an unstructured object.
func fromYAML(t *testing.T, s string) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{}
	j, err := yaml.YAMLToJSON([]byte(s))
	require.NoError(t, err)
	require.NoError(t, u.UnmarshalJSON(j))
	if u.GetNamespace() == "" {
		u.SetNamespace("default")
	}
	return u
}

// get reads an unstructured object back as YAML, without its metadata, for comparisons.
func (l *lab) spec(gvk []string, name string) string {
	l.t.Helper()
	u := &unstructured.Unstructured{}
	u.SetAPIVersion(gvk[0])
	u.SetKind(gvk[1])
	require.NoError(l.t, l.c.Get(l.ctx, client.ObjectKey{Namespace: "default", Name: name}, u))
	out, err := yaml.Marshal(u.Object["spec"])
	require.NoError(l.t, err)
	return string(out)
}

func i32(v int32) *int32 { return &v }

func canaryRollout(tr *v1alpha1.RolloutTrafficRouting) *v1alpha1.Rollout {
	return &v1alpha1.Rollout{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default"},
		Spec: v1alpha1.RolloutSpec{
			Replicas: i32(4),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "web:v1"}}},
			},
			Strategy: v1alpha1.RolloutStrategy{Canary: &v1alpha1.CanaryStrategy{
				CanaryService: "web-canary", StableService: "web-stable", TrafficRouting: tr,
			}},
		},
	}
}
