package sim

import (
	"sort"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

// serviceOf names the Service users reach the pod through: the first (by name) whose selector,
// apart from the pod-template-hash, matches the pod, other than the rollout's canary and stable
// services; else the stable service; else the rollout's name.
func (w *World) serviceOf(p *pod) string {
	var managed map[string]bool
	stable := ""
	if o := w.store.Peek(rolloutGVK, p.rsRollout()); o != nil {
		if c := o.(*v1alpha1.Rollout).Spec.Strategy.Canary; c != nil {
			managed = map[string]bool{c.CanaryService: true, c.StableService: true}
			stable = c.StableService
		}
	}
	var names []string
	for _, o := range w.store.Objects(serviceGVK) {
		svc := o.(*corev1.Service)
		if svc.Namespace != p.key.Namespace || managed[svc.Name] || len(svc.Spec.Selector) == 0 {
			continue
		}
		sel := map[string]string{}
		for k, v := range svc.Spec.Selector {
			if k != v1alpha1.DefaultRolloutUniqueLabelKey {
				sel[k] = v
			}
		}
		if labels.SelectorFromSet(sel).Matches(labels.Set(p.labels)) {
			names = append(names, svc.Name)
		}
	}
	sort.Strings(names)
	switch {
	case len(names) > 0:
		return names[0]
	case stable != "":
		return stable
	}
	return p.rollout
}
