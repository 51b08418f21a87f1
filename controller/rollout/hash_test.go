package rollout

import (
	"encoding/binary"
	"encoding/json"
	"hash/fnv"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/rand"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

func podTemplate(image string) corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "demo"}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "demo", Image: image}}},
	}
}

func TestComputePodTemplateHash(t *testing.T) {
	tmpl := podTemplate("demo:v1")
	h := ComputePodTemplateHash(&tmpl, nil)

	// The same algorithm spelled out: fnv32a of the template's JSON, decimal, safe-encoded.
	data, err := json.Marshal(&tmpl)
	require.NoError(t, err)
	assert.NotContains(t, string(data), "creationTimestamp", "a zero creationTimestamp is omitted, as in Argo's Kubernetes libraries")
	f := fnv.New32a()
	_, _ = f.Write(data)
	assert.Equal(t, rand.SafeEncodeString(strconv.FormatUint(uint64(f.Sum32()), 10)), h)

	// A collision count adds eight little-endian bytes.
	var buf [8]byte
	binary.LittleEndian.PutUint32(buf[:], 1)
	_, _ = f.Write(buf[:])
	assert.Equal(t, rand.SafeEncodeString(strconv.FormatUint(uint64(f.Sum32()), 10)), ComputePodTemplateHash(&tmpl, i32(1)))

	other := podTemplate("demo:v2")
	assert.NotEqual(t, h, ComputePodTemplateHash(&other, nil))
	assert.Equal(t, h, ComputePodTemplateHash(&tmpl, nil), "deterministic")
}

func TestHashCacheFollowsContent(t *testing.T) {
	var c hashCache
	ro := &v1alpha1.Rollout{ObjectMeta: metav1.ObjectMeta{Name: "ro", UID: "u1"}, Spec: v1alpha1.RolloutSpec{
		Template: podTemplate("demo:v1"),
		Strategy: v1alpha1.RolloutStrategy{Canary: &v1alpha1.CanaryStrategy{Steps: []v1alpha1.CanaryStep{{SetWeight: i32(20)}}}},
	}}
	h1 := c.podTemplateHash(ro)
	assert.Equal(t, ComputePodTemplateHash(&ro.Spec.Template, nil), h1)
	assert.Equal(t, h1, c.podTemplateHash(ro))

	// The generation is not looked at: a changed template is noticed without it.
	ro.Spec.Template.Spec.Containers[0].Image = "demo:v2"
	h2 := c.podTemplateHash(ro)
	assert.NotEqual(t, h1, h2)
	assert.Equal(t, ComputePodTemplateHash(&ro.Spec.Template, nil), h2)

	ro.Status.CollisionCount = i32(1)
	assert.Equal(t, ComputePodTemplateHash(&ro.Spec.Template, i32(1)), c.podTemplateHash(ro))

	s1 := c.stepHash(ro)
	assert.Equal(t, ComputeStepHash(ro), s1)
	ro.Spec.Strategy.Canary.Steps[0].SetWeight = i32(30)
	assert.NotEqual(t, s1, c.stepHash(ro))
	assert.Equal(t, ComputeStepHash(ro), c.stepHash(ro))
}
