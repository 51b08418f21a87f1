package trafficrouting

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

func TestSMITrafficSplit(t *testing.T) {
	ro := canaryRollout(&v1alpha1.RolloutTrafficRouting{SMI: &v1alpha1.SMITrafficRouting{RootService: "web"}})
	ro.UID = "uid-web"
	l := newLab(t, ro)
	r := &SMI{router: l.router()}
	require.NoError(t, r.SetWeight(l.ctx, 10))
	assert.Equal(t, []string{"Normal TrafficSplitCreated TrafficSplit `web` created"}, l.events())
	assert.Equal(t, `backends:
- service: web-canary
  weight: "10"
- service: web-stable
  weight: "90"
service: web
`, l.spec([]string{"split.smi-spec.io/v1alpha1", "TrafficSplit"}, "web"))

	require.NoError(t, r.SetWeight(l.ctx, 40, v1alpha1.WeightDestination{ServiceName: "web-exp", Weight: 20}))
	assert.Equal(t, `backends:
- service: web-canary
  weight: "40"
- service: web-exp
  weight: "20"
- service: web-stable
  weight: "40"
service: web
`, l.spec([]string{"split.smi-spec.io/v1alpha1", "TrafficSplit"}, "web"))
}

func TestSMITrafficSplitOfAnotherOwner(t *testing.T) {
	ro := canaryRollout(&v1alpha1.RolloutTrafficRouting{SMI: &v1alpha1.SMITrafficRouting{TrafficSplitName: "split"}})
	ts := &unstructured.Unstructured{}
	ts.SetAPIVersion("split.smi-spec.io/v1alpha3")
	ts.SetKind("TrafficSplit")
	ts.SetName("split")
	ts.SetNamespace("default")
	l := newLab(t, ro, ts)
	err := (&SMI{router: l.router()}).SetWeight(l.ctx, 10)
	assert.EqualError(t, err, "Rollout does not own TrafficSplit `split`")
	require.NoError(t, l.c.Get(l.ctx, client.ObjectKeyFromObject(ts), ts))
}
