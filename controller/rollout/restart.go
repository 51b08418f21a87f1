package rollout

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Restarting pods for spec.restartAt (Argo's rollout/restart.go): pods created before restartAt
// are deleted a few at a time, so that no more than maxUnavailable (at least one) are missing;
// their ReplicaSets make new ones. Argo evicts; here they are deleted, which no
// PodDisruptionBudget holds up.

// needsRestart reports a restartAt that has passed and was not yet carried out.
func (c *rolloutContext) needsRestart() bool {
	at := c.ro.Spec.RestartAt
	if at == nil {
		return false
	}
	if r := c.ro.Status.RestartedAt; r != nil && at.Equal(r) {
		return false
	}
	return c.now.After(at.Time)
}

// reconcilePodRestarts deletes the pods due for a restart that may go now and returns how many.
// When none is left, status.restartedAt takes spec.restartAt.
func (c *rolloutContext) reconcilePodRestarts() (int, error) {
	ro := c.ro
	if at := ro.Spec.RestartAt; at != nil && c.now.Before(at.Time) {
		c.plan.requeueAt(c.now, at.Time)
	}
	if !c.needsRestart() {
		return 0, nil
	}
	pods, err := c.rolloutPods()
	if err != nil {
		return 0, err
	}
	replicas := replicasOrDefault(ro.Spec.Replicas)
	total := sumSpecReplicas(c.allRSs)
	var available int32
	for _, p := range pods {
		if p.DeletionTimestamp == nil && podAvailable(p, ro.Spec.MinReadySeconds, c.now) {
			available++
		}
	}
	concurrent := max(MaxUnavailable(ro), 1)
	canRestart := available - (max(replicas, total) - concurrent)
	restartAt := ro.Spec.RestartAt
	needs, restarted := 0, 0
	for _, p := range pods {
		if !p.CreationTimestamp.Before(restartAt) {
			continue
		}
		needs++
		if canRestart <= 0 || p.DeletionTimestamp != nil {
			continue
		}
		c.plan.podDeletes = append(c.plan.podDeletes, p)
		canRestart--
		restarted++
	}
	if needs != restarted {
		c.plan.requeueAfter(restartPodCheck)
	} else {
		c.newStatus.RestartedAt = ro.Spec.RestartAt
	}
	return restarted, nil
}

// rolloutPods lists the pods of the Rollout's ReplicaSets that its selector selects.
func (c *rolloutContext) rolloutPods() ([]*corev1.Pod, error) {
	sel, err := metav1.LabelSelectorAsSelector(c.ro.Spec.Selector)
	if err != nil {
		return nil, err
	}
	var list corev1.PodList
	if err := c.r.Client.List(c.ctx, &list, client.InNamespace(c.ro.Namespace), client.MatchingLabelsSelector{Selector: sel}); err != nil {
		return nil, err
	}
	owners := make(map[types.UID]bool, len(c.allRSs))
	for _, rs := range c.allRSs {
		if rs.UID != "" {
			owners[rs.UID] = true
		}
	}
	var out []*corev1.Pod
	for i := range list.Items {
		p := &list.Items[i]
		for _, ref := range p.OwnerReferences {
			if owners[ref.UID] {
				out = append(out, p)
				break
			}
		}
	}
	return out, nil
}

// podAvailable is Kubernetes' IsPodAvailable: ready, for at least minReadySeconds.
func podAvailable(p *corev1.Pod, minReadySeconds int32, now time.Time) bool {
	for _, cond := range p.Status.Conditions {
		if cond.Type != corev1.PodReady || cond.Status != corev1.ConditionTrue {
			continue
		}
		if minReadySeconds == 0 {
			return true
		}
		return !cond.LastTransitionTime.IsZero() && cond.LastTransitionTime.Add(time.Duration(minReadySeconds)*time.Second).Before(now)
	}
	return false
}
