package rollout

import (
	"encoding/binary"
	"encoding/json"
	"hash/fnv"
	"maps"
	"reflect"
	"strconv"
	"sync"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

// ComputePodTemplateHash is Argo's rollouts-pod-template-hash: fnv32a over the JSON of the pod
// template, then (when set) the collision count as eight little-endian bytes, printed in decimal
// and encoded with rand.SafeEncodeString.
func ComputePodTemplateHash(template *corev1.PodTemplateSpec, collisionCount *int32) string {
	h := fnv.New32a()
	data, err := json.Marshal(template)
	if err != nil {
		panic(err) // a PodTemplateSpec always marshals
	}
	_, _ = h.Write(data)
	if collisionCount != nil {
		// Argo writes a uint32 into an 8-byte buffer and hashes all eight bytes.
		var buf [8]byte
		binary.LittleEndian.PutUint32(buf[:], uint32(*collisionCount))
		_, _ = h.Write(buf[:])
	}
	return rand.SafeEncodeString(strconv.FormatUint(uint64(h.Sum32()), 10))
}

// ComputeStepHash is Argo's status.currentStepHash: the same encoding over the JSON of the canary
// steps, or "" when the Rollout is not a canary.
func ComputeStepHash(ro *v1alpha1.Rollout) string {
	if ro.Spec.Strategy.BlueGreen != nil || ro.Spec.Strategy.Canary == nil {
		return ""
	}
	return stepsHash(ro.Spec.Strategy.Canary.Steps)
}

func stepsHash(steps []v1alpha1.CanaryStep) string {
	h := fnv.New32a()
	data, err := json.Marshal(steps)
	if err != nil {
		panic(err) // steps always marshal
	}
	_, _ = h.Write(data)
	return rand.SafeEncodeString(strconv.FormatUint(uint64(h.Sum32()), 10))
}

// hashCache remembers, per Rollout, what a reconcile derives from its spec alone: the template
// and step hashes, the status selector string and whether the referenced objects exist. An
// unchanged resourceVersion answers at once; otherwise the spec is compared with the remembered
// copy, and only a real change costs a JSON encoding. It is not keyed on metadata.generation
// because not every API (fake clients) bumps the generation.
type hashCache struct {
	mu      sync.Mutex
	entries map[types.NamespacedName]*hashEntry
}

type hashEntry struct {
	uid types.UID
	// rv is the resourceVersion every field below was last confirmed for.
	rv string

	selector    metav1.LabelSelector
	hasSelector bool
	selectorStr string

	template  corev1.PodTemplateSpec
	collision int32
	hasColl   bool
	podHash   string

	steps    []v1alpha1.CanaryStep
	canary   bool
	stepHash string

	// refsValid is true once the objects named in refsSpec were found and checked.
	refsValid  bool
	refsSpec   *v1alpha1.RolloutStrategy
	refsLabels map[string]string

	// specErr is the first error of ValidateRollout for the spec at rv.
	specErr *field.Error
}

// entry returns the Rollout's entry, starting afresh when the name now belongs to another object.
func (c *hashCache) entry(ro *v1alpha1.Rollout) *hashEntry {
	if c.entries == nil {
		c.entries = make(map[types.NamespacedName]*hashEntry)
	}
	key := types.NamespacedName{Namespace: ro.Namespace, Name: ro.Name}
	e := c.entries[key]
	if e == nil || e.uid != ro.UID {
		e = &hashEntry{uid: ro.UID}
		c.entries[key] = e
	}
	return e
}

// specDerived is what a reconcile needs from the Rollout's spec.
type specDerived struct {
	podHash   string
	stepHash  string
	selector  string
	refsValid bool
	specErr   *field.Error
}

// derive returns the hashes, the selector string and the reference check of the Rollout; key is
// the version of everything the spec was read from (the Rollout's resourceVersion, and the
// workload's when the template comes from a workloadRef).
func (c *hashCache) derive(ro *v1alpha1.Rollout, key string) specDerived {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.entry(ro)
	if e.rv == "" || e.rv != key {
		e.podHash = e.templateHash(ro)
		e.stepHash = e.stepsHash(ro)
		e.selectorStr = e.selectorString(ro)
		if e.refsValid && (!reflect.DeepEqual(e.refsSpec, &ro.Spec.Strategy) || !maps.Equal(e.refsLabels, ro.Spec.Template.Labels)) {
			e.refsValid = false
		}
		e.specErr = nil
		if errs := ValidateRollout(ro); len(errs) > 0 {
			e.specErr = errs[0]
		}
		e.rv = key
	}
	return specDerived{podHash: e.podHash, stepHash: e.stepHash, selector: e.selectorStr, refsValid: e.refsValid, specErr: e.specErr}
}

func (e *hashEntry) selectorString(ro *v1alpha1.Rollout) string {
	sel := ro.Spec.Selector
	if e.selectorStr != "" && e.hasSelector == (sel != nil) && (sel == nil || reflect.DeepEqual(&e.selector, sel)) {
		return e.selectorStr
	}
	e.hasSelector = sel != nil
	e.selector = metav1.LabelSelector{}
	if sel != nil {
		sel.DeepCopyInto(&e.selector)
	}
	return metav1.FormatLabelSelector(sel)
}

// podTemplateHash returns ComputePodTemplateHash for the Rollout, from the cache when possible.
func (c *hashCache) podTemplateHash(ro *v1alpha1.Rollout) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.entry(ro).templateHash(ro)
}

func (e *hashEntry) templateHash(ro *v1alpha1.Rollout) string {
	cc := ro.Status.CollisionCount
	if e.podHash != "" && e.hasColl == (cc != nil) && (cc == nil || *cc == e.collision) &&
		reflect.DeepEqual(&e.template, &ro.Spec.Template) {
		return e.podHash
	}
	e.podHash = ComputePodTemplateHash(&ro.Spec.Template, cc)
	ro.Spec.Template.DeepCopyInto(&e.template)
	e.hasColl = cc != nil
	if cc != nil {
		e.collision = *cc
	}
	return e.podHash
}

// stepHash returns ComputeStepHash for the Rollout, from the cache when possible.
func (c *hashCache) stepHash(ro *v1alpha1.Rollout) string {
	canary := ro.Spec.Strategy.BlueGreen == nil && ro.Spec.Strategy.Canary != nil
	if !canary {
		return ""
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.entry(ro).stepsHash(ro)
}

func (e *hashEntry) stepsHash(ro *v1alpha1.Rollout) string {
	if ro.Spec.Strategy.BlueGreen != nil || ro.Spec.Strategy.Canary == nil {
		return ""
	}
	steps := ro.Spec.Strategy.Canary.Steps
	if e.canary && reflect.DeepEqual(e.steps, steps) {
		return e.stepHash
	}
	e.stepHash = stepsHash(steps)
	e.canary = true
	e.steps = make([]v1alpha1.CanaryStep, len(steps))
	for i := range steps {
		steps[i].DeepCopyInto(&e.steps[i])
	}
	return e.stepHash
}

func (c *hashCache) setReferencesValid(ro *v1alpha1.Rollout) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.entry(ro)
	e.refsValid = true
	e.refsSpec = ro.Spec.Strategy.DeepCopy()
	e.refsLabels = make(map[string]string, len(ro.Spec.Template.Labels))
	for k, v := range ro.Spec.Template.Labels {
		e.refsLabels[k] = v
	}
}

// invalidateReferences makes the next reconcile look the referenced objects up again.
func (c *hashCache) invalidateReferences(ro *v1alpha1.Rollout) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.entry(ro).refsValid = false
}

func (c *hashCache) forget(key types.NamespacedName) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.entries, key)
}
