package rollout

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

// ReplicaSets of a Rollout: creation, revision numbers, annotations, scaling and clean-up
// (Argo's rollout/sync.go, rollout/replicaset.go and utils/annotations).

// rsRevision is the ReplicaSet's revision annotation; ok is false when it is missing or no number.
func rsRevision(rs *appsv1.ReplicaSet) (int64, bool) {
	v, ok := rs.Annotations[AnnotationRevision]
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	return n, err == nil
}

func revisionOrZero(rs *appsv1.ReplicaSet) int64 {
	n, _ := rsRevision(rs)
	return n
}

func maxRevision(rss []*appsv1.ReplicaSet) int64 {
	var m int64
	for _, rs := range rss {
		if n, ok := rsRevision(rs); ok && n > m {
			m = n
		}
	}
	return m
}

// isActive reports whether a ReplicaSet has, or should have, pods.
func isActive(rs *appsv1.ReplicaSet) bool { return rs != nil && rsReplicas(rs) > 0 }

func hasScaleDownDeadline(rs *appsv1.ReplicaSet) bool {
	return rs != nil && rs.Annotations[AnnotationScaleDownDeadline] != ""
}

// scaleDownDeadline parses the ReplicaSet's scale-down-deadline annotation.
func scaleDownDeadline(rs *appsv1.ReplicaSet) (time.Time, bool, error) {
	v := rs.Annotations[AnnotationScaleDownDeadline]
	if v == "" {
		return time.Time{}, false, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("unable to read scaleDownAt label on rs '%s'", rs.Name)
	}
	return t, true, nil
}

// planNewReplicaSet builds the ReplicaSet for the Rollout's current template (Argo's
// createDesiredReplicaSet): named <rollout>-<hash>, the hash label on its labels, selector and pod
// template, owned by the Rollout, at revision max+1 and zero replicas. It is created by apply; the
// rest of the reconcile already treats it as existing.
func (c *rolloutContext) planNewReplicaSet() {
	ro := c.ro
	revision := strconv.FormatInt(maxRevision(c.olderRSs)+1, 10)
	tmpl := ro.Spec.Template.DeepCopy()
	tmpl.Spec.Affinity = replicaSetAffinity(ro, c.podHash)
	tmpl.Labels = withLabel(ro.Spec.Template.Labels, v1alpha1.DefaultRolloutUniqueLabelKey, c.podHash)
	zero := int32(0)
	rs := &appsv1.ReplicaSet{
		TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "ReplicaSet"},
		ObjectMeta: metav1.ObjectMeta{
			Name:              ro.Name + "-" + c.podHash,
			Namespace:         ro.Namespace,
			OwnerReferences:   []metav1.OwnerReference{*metav1.NewControllerRef(ro, rolloutKind)},
			Labels:            tmpl.Labels,
			CreationTimestamp: c.metaNow,
		},
		Spec: appsv1.ReplicaSetSpec{
			Replicas:        &zero,
			MinReadySeconds: ro.Spec.MinReadySeconds,
			Selector:        selectorWithLabel(ro.Spec.Selector, v1alpha1.DefaultRolloutUniqueLabelKey, c.podHash),
			Template:        *tmpl,
		},
	}
	setNewReplicaSetAnnotations(ro, rs, revision, false)
	// The new pods get the canary metadata during an update, the stable metadata on a first deploy.
	var md *v1alpha1.PodTemplateMetadata
	update := c.stableRS != nil
	switch cs, bg := ro.Spec.Strategy.Canary, ro.Spec.Strategy.BlueGreen; {
	case cs != nil && update:
		md = cs.CanaryMetadata
	case cs != nil:
		md = cs.StableMetadata
	case bg != nil && update:
		md = bg.PreviewMetadata
	case bg != nil:
		md = bg.ActiveMetadata
	}
	withEphemeralMetadata(rs, md)

	create := rs.DeepCopy()
	create.CreationTimestamp = metav1.Time{}
	c.plan.createRS = create

	c.setRolloutRevision(revision)
	n, _ := rsRevision(rs)
	c.plan.eventf(ReasonNewReplicaSetCreated, MsgNewReplicaSetDetailed, rs.Name, n)
	cond := newCondition(v1alpha1.RolloutProgressing, corev1.ConditionTrue, ReasonNewReplicaSetCreated, fmt.Sprintf(MsgNewReplicaSet, rs.Name), c.metaNow)
	setCondition(&c.ro.Status, cond)

	c.allRSs = append(c.allRSs, rs)
	c.newRS = rs
	c.classifyReplicaSets()
}

func withLabel(labels map[string]string, key, value string) map[string]string {
	out := make(map[string]string, len(labels)+1)
	for k, v := range labels {
		out[k] = v
	}
	out[key] = value
	return out
}

func selectorWithLabel(sel *metav1.LabelSelector, key, value string) *metav1.LabelSelector {
	out := &metav1.LabelSelector{}
	if sel != nil {
		sel.DeepCopyInto(out)
	}
	out.MatchLabels = withLabel(out.MatchLabels, key, value)
	return out
}

// setRolloutRevision records the revision on the Rollout, with a RolloutUpdated event when it
// changes.
func (c *rolloutContext) setRolloutRevision(revision string) {
	if c.ro.Annotations[AnnotationRevision] == revision {
		return
	}
	annotations := make(map[string]string, len(c.ro.Annotations)+1)
	for k, v := range c.ro.Annotations {
		annotations[k] = v
	}
	annotations[AnnotationRevision] = revision
	c.ro.Annotations = annotations
	c.plan.revision, c.plan.revisionSet = revision, true
	c.plan.eventf(ReasonRolloutUpdated, MsgRolloutUpdated, revision)
}

// setNewReplicaSetAnnotations copies the Rollout's annotations (but Argo's own) to the ReplicaSet,
// raises its revision to revision when lower (keeping the old one in revision-history), and on a
// new ReplicaSet records the desired replicas. It reports whether anything changed.
func setNewReplicaSetAnnotations(ro *v1alpha1.Rollout, rs *appsv1.ReplicaSet, revision string, exists bool) bool {
	if rs.Annotations == nil {
		rs.Annotations = make(map[string]string)
	}
	changed := false
	for k, v := range ro.Annotations {
		if skipCopyAnnotation(k) || rs.Annotations[k] == v {
			continue
		}
		rs.Annotations[k] = v
		changed = true
	}
	oldRevision, had := rs.Annotations[AnnotationRevision]
	oldN, err := strconv.ParseInt(oldRevision, 10, 64)
	if err != nil {
		if oldRevision != "" {
			return false
		}
		oldN = 0
	}
	newN, err := strconv.ParseInt(revision, 10, 64)
	if err != nil {
		return false
	}
	if oldN < newN {
		rs.Annotations[AnnotationRevision] = revision
		changed = true
	}
	if had && changed {
		history := rs.Annotations[AnnotationRevisionHistory]
		if history == "" {
			rs.Annotations[AnnotationRevisionHistory] = oldRevision
		} else {
			rs.Annotations[AnnotationRevisionHistory] = strings.Join(append(strings.Split(history, ","), oldRevision), ",")
		}
	}
	if !exists && setDesiredReplicasAnnotation(rs, replicasOrDefault(ro.Spec.Replicas)) {
		changed = true
	}
	return changed
}

func setDesiredReplicasAnnotation(rs *appsv1.ReplicaSet, replicas int32) bool {
	v := strconv.Itoa(int(replicas))
	if rs.Annotations[AnnotationDesiredReplicas] == v {
		return false
	}
	rs.Annotations[AnnotationDesiredReplicas] = v
	return true
}

// replicasAnnotationsNeedUpdate reports a stale desired-replicas annotation, or a scale-down
// deadline left on a ReplicaSet of a Rollout scaled to zero.
func replicasAnnotationsNeedUpdate(rs *appsv1.ReplicaSet, replicas int32) bool {
	if rs.Annotations == nil {
		return true
	}
	if rs.Annotations[AnnotationDesiredReplicas] != strconv.Itoa(int(replicas)) {
		return true
	}
	return replicas == 0 && rs.Annotations[AnnotationScaleDownDeadline] != ""
}

// syncReplicaSetRevision keeps the new ReplicaSet's revision above the older ones and its
// annotations and minReadySeconds in line with the Rollout; when that needs a write the Rollout's
// own revision waits for the next reconcile, as in Argo.
func (c *rolloutContext) syncReplicaSetRevision() {
	if c.newRS == nil || c.plan.createRS != nil {
		if c.newRS != nil {
			c.setRolloutRevision(c.newRS.Annotations[AnnotationRevision])
		}
		return
	}
	revision := strconv.FormatInt(maxRevision(c.olderRSs)+1, 10)
	if !c.revisionSyncNeeded(revision) {
		c.setRolloutRevision(c.newRS.Annotations[AnnotationRevision])
		if getCondition(&c.ro.Status, v1alpha1.RolloutProgressing) == nil {
			setCondition(&c.ro.Status, newCondition(v1alpha1.RolloutProgressing, corev1.ConditionTrue, ReasonFoundNewReplicaSet, fmt.Sprintf(MsgFoundNewReplicaSet, c.newRS.Name), c.metaNow))
		}
		return
	}
	rs := c.newRS.DeepCopy()
	annotationsChanged := setNewReplicaSetAnnotations(c.ro, rs, revision, true)
	minReadyChanged := rs.Spec.MinReadySeconds != c.ro.Spec.MinReadySeconds
	affinityChanged := antiAffinityNeedsUpdate(rs.Spec.Template.Spec.Affinity, c.ro, c.podHash)
	if annotationsChanged || minReadyChanged || affinityChanged {
		p := c.plan.patchFor(c.newRS)
		for k, v := range rs.Annotations {
			if old, ok := c.newRS.Annotations[k]; !ok || old != v {
				p.setAnnotation(k, v)
			}
		}
		if minReadyChanged {
			m := c.ro.Spec.MinReadySeconds
			p.minReadySeconds = &m
			rs.Spec.MinReadySeconds = m
		}
		// As Argo, the affinity is written anew with every such update.
		if affinity := replicaSetAffinity(c.ro, c.podHash); !apiequality.Semantic.DeepEqual(affinity, rs.Spec.Template.Spec.Affinity) {
			p.affinity, p.affinitySet = affinity, true
			rs.Spec.Template.Spec.Affinity = affinity
		}
		c.replaceReplicaSet(c.newRS, rs)
		return
	}
	c.setRolloutRevision(rs.Annotations[AnnotationRevision])
	if getCondition(&c.ro.Status, v1alpha1.RolloutProgressing) == nil {
		setCondition(&c.ro.Status, newCondition(v1alpha1.RolloutProgressing, corev1.ConditionTrue, ReasonFoundNewReplicaSet, fmt.Sprintf(MsgFoundNewReplicaSet, rs.Name), c.metaNow))
	}
}

// revisionSyncNeeded reports, without copying, whether syncReplicaSetRevision has to change the
// new ReplicaSet: a Rollout annotation to copy, a lower revision, or another minReadySeconds.
func (c *rolloutContext) revisionSyncNeeded(revision string) bool {
	rs := c.newRS
	if rs.Spec.MinReadySeconds != c.ro.Spec.MinReadySeconds || antiAffinityNeedsUpdate(rs.Spec.Template.Spec.Affinity, c.ro, c.podHash) {
		return true
	}
	for k, v := range c.ro.Annotations {
		if cur, ok := rs.Annotations[k]; !skipCopyAnnotation(k) && (!ok || cur != v) {
			return true
		}
	}
	old, ok := rs.Annotations[AnnotationRevision]
	if !ok || old == "" {
		return true
	}
	oldN, err := strconv.ParseInt(old, 10, 64)
	if err != nil {
		return false // Argo leaves a ReplicaSet with a malformed revision alone
	}
	newN, _ := strconv.ParseInt(revision, 10, 64)
	return oldN < newN
}

// replaceReplicaSet swaps a ReplicaSet for its updated copy in every list of the context.
func (c *rolloutContext) replaceReplicaSet(old, updated *appsv1.ReplicaSet) {
	for i, rs := range c.allRSs {
		if rs == old {
			c.allRSs[i] = updated
		}
	}
	c.classifyReplicaSets()
}

// isScalingEvent reports a changed spec.replicas: the new or stable ReplicaSet, while it has
// pods, records another desired-replicas value.
func (c *rolloutContext) isScalingEvent() bool {
	replicas := replicasOrDefault(c.ro.Spec.Replicas)
	for _, rs := range [2]*appsv1.ReplicaSet{c.newRS, c.stableRS} {
		if !isActive(rs) {
			continue
		}
		v, ok := rs.Annotations[AnnotationDesiredReplicas]
		if !ok {
			continue
		}
		desired, err := strconv.ParseInt(v, 10, 32)
		if err != nil {
			continue
		}
		if int32(desired) != replicas {
			return true
		}
	}
	return false
}

// scaleReplicaSet sizes a ReplicaSet, records spec.replicas of the Rollout on it and emits
// ScalingReplicaSet; it returns whether the size changed and the ReplicaSet as it will be.
func (c *rolloutContext) scaleReplicaSet(rs *appsv1.ReplicaSet, scale int32) (bool, *appsv1.ReplicaSet) {
	replicas := replicasOrDefault(c.ro.Spec.Replicas)
	cur := rsReplicas(rs)
	sizeChange := cur != scale
	if !sizeChange && !replicasAnnotationsNeedUpdate(rs, replicas) {
		return false, rs
	}
	p := c.plan.patchFor(rs)
	updated := *rs
	updated.Spec.Replicas = int32Ptr(scale)
	p.replicas = updated.Spec.Replicas
	if want := strconv.Itoa(int(replicas)); rs.Annotations[AnnotationDesiredReplicas] != want {
		p.setAnnotation(AnnotationDesiredReplicas, want)
	}
	if scale == 0 && !c.shouldDelayScaleDownOnAbort() && hasScaleDownDeadline(rs) {
		p.removeAnnotation(AnnotationScaleDownDeadline)
	}
	if sizeChange {
		op := "down"
		if cur < scale {
			op = "up"
		}
		c.plan.eventf(ReasonScalingReplicaSet, MsgScalingReplicaSet, op, rs.Name, revisionOrZero(rs), cur, scale)
	}
	return sizeChange, &updated
}

// addScaleDownDelay sets the ReplicaSet's scale-down deadline to now+delay (a zero delay removes
// it) and schedules the reconcile that scales it down.
func (c *rolloutContext) addScaleDownDelay(rs *appsv1.ReplicaSet, delay time.Duration) {
	if rs == nil {
		return
	}
	if delay == 0 {
		c.removeScaleDownDelay(rs)
		return
	}
	deadline := c.metaNow.Add(delay)
	c.plan.patchFor(rs).setAnnotation(AnnotationScaleDownDeadline, deadline.UTC().Format(time.RFC3339))
	c.plan.requeueAt(c.now, deadline)
}

func (c *rolloutContext) removeScaleDownDelay(rs *appsv1.ReplicaSet) {
	if hasScaleDownDeadline(rs) {
		c.plan.patchFor(rs).removeAnnotation(AnnotationScaleDownDeadline)
	}
}

// reconcileRevisionHistoryLimit deletes the oldest scaled-down ReplicaSets beyond
// revisionHistoryLimit, with the AnalysisRuns of their pod hash.
func (c *rolloutContext) reconcileRevisionHistoryLimit(oldRSs []*appsv1.ReplicaSet) {
	var alive []*appsv1.ReplicaSet
	for _, rs := range oldRSs {
		if rs != nil && rs.DeletionTimestamp == nil {
			alive = append(alive, rs)
		}
	}
	diff := len(alive) - int(revisionHistoryLimit(c.ro))
	if diff <= 0 {
		return
	}
	sortByCreation(alive)
	for _, rs := range alive[:diff] {
		if rs.Status.Replicas != 0 || rsReplicas(rs) != 0 || rs.Generation > rs.Status.ObservedGeneration {
			continue
		}
		c.plan.rsDeletes = append(c.plan.rsDeletes, rs)
		hash, ok := rs.Labels[v1alpha1.DefaultRolloutUniqueLabelKey]
		if !ok {
			continue
		}
		for _, ar := range c.otherArs {
			if ar.Labels[v1alpha1.DefaultRolloutUniqueLabelKey] == hash {
				c.plan.arDelete = append(c.plan.arDelete, ar)
			}
		}
		for _, ex := range c.otherExs {
			if ex.Labels[v1alpha1.DefaultRolloutUniqueLabelKey] == hash {
				c.plan.exDelete = append(c.plan.exDelete, ex)
			}
		}
	}
}

// sortByRevisionDesc orders ReplicaSets newest revision first, newest creation first among equals.
func sortByRevisionDesc(rss []*appsv1.ReplicaSet) {
	sort.SliceStable(rss, func(i, j int) bool {
		ri, iok := rsRevision(rss[i])
		rj, jok := rsRevision(rss[j])
		if iok && jok && ri != rj {
			return ri > rj
		}
		if iok != jok {
			return iok
		}
		return rss[j].CreationTimestamp.Before(&rss[i].CreationTimestamp)
	})
}
