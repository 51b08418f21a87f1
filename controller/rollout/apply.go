package rollout

import (
	"encoding/json"
	"fmt"
	"reflect"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

// plan is every write one reconcile decided on, carried out in one place by apply.
type plan struct {
	// requeue is the soonest time the Rollout must be looked at again; 0 means never.
	requeue time.Duration

	revision    string // the Rollout's new revision annotation, when revisionSet
	revisionSet bool

	createRS  *appsv1.ReplicaSet
	rsPatches []*rsPatch
	rsDeletes []*appsv1.ReplicaSet

	svcPatches []svcPatch

	arTerminate []*v1alpha1.AnalysisRun
	arCreate    []*v1alpha1.AnalysisRun
	arDelete    []*v1alpha1.AnalysisRun

	exCreate    []*v1alpha1.Experiment
	exTerminate []*v1alpha1.Experiment
	exDelete    []*v1alpha1.Experiment

	podPatches []podPatch
	podDeletes []*corev1.Pod

	// workloadReplicas is the new size of the workloadRef's Deployment, when it changes.
	workloadReplicas *int32

	// status is the complete new status; written only when it differs from the one read.
	status *v1alpha1.RolloutStatus
	// statusEvents are emitted only when the status write changed something.
	statusEvents []event
	events       []event
}

type event struct {
	warning bool
	reason  string
	message string
}

// rsPatch is a change to one ReplicaSet: its size, minReadySeconds and annotations, and its pod
// template's metadata and affinity.
type rsPatch struct {
	rs              *appsv1.ReplicaSet
	replicas        *int32
	minReadySeconds *int32
	annotations     map[string]*string // nil value removes the key

	templateLabels      map[string]*string
	templateAnnotations map[string]*string
	affinity            *corev1.Affinity
	affinitySet         bool
}

// podPatch changes a pod's labels and annotations (nil values remove keys).
type podPatch struct {
	pod         *corev1.Pod
	labels      map[string]*string
	annotations map[string]*string
}

type svcPatch struct {
	svc       *corev1.Service
	hash      string
	managedBy string // set when the managed-by annotation is added
}

func (p *plan) eventf(reason, format string, args ...any) {
	p.events = append(p.events, event{reason: reason, message: fmt.Sprintf(format, args...)})
}

func (p *plan) warnf(reason, format string, args ...any) {
	p.events = append(p.events, event{warning: true, reason: reason, message: fmt.Sprintf(format, args...)})
}

// requeueAfter asks for a reconcile after d, keeping the soonest request.
func (p *plan) requeueAfter(d time.Duration) {
	if d <= 0 {
		return
	}
	if p.requeue == 0 || d < p.requeue {
		p.requeue = d
	}
}

// requeueAt asks for a reconcile at t, when t is still ahead of now.
func (p *plan) requeueAt(now, t time.Time) {
	p.requeueAfter(t.Sub(now))
}

// patchFor returns the pending change to rs, creating it on first use.
func (p *plan) patchFor(rs *appsv1.ReplicaSet) *rsPatch {
	for _, x := range p.rsPatches {
		if x.rs.Name == rs.Name {
			return x
		}
	}
	x := &rsPatch{rs: rs}
	p.rsPatches = append(p.rsPatches, x)
	return x
}

func (x *rsPatch) setAnnotation(key, value string) {
	if x.annotations == nil {
		x.annotations = make(map[string]*string)
	}
	x.annotations[key] = &value
}

func (x *rsPatch) removeAnnotation(key string) {
	if x.annotations == nil {
		x.annotations = make(map[string]*string)
	}
	x.annotations[key] = nil
}

// apply carries out the plan in Argo's order: the new ReplicaSet, the Rollout's revision,
// ReplicaSet changes and clean-up, Service selectors, AnalysisRuns, and last the status.
func (c *rolloutContext) apply() error {
	p := &c.plan
	ctx, cl := c.ctx, c.r.Client
	if p.createRS != nil {
		if err := c.createReplicaSet(p.createRS); err != nil {
			return err
		}
	}
	if p.revisionSet {
		patch := map[string]any{"metadata": map[string]any{"annotations": map[string]string{AnnotationRevision: p.revision}}}
		target := &v1alpha1.Rollout{ObjectMeta: metav1.ObjectMeta{Namespace: c.ro.Namespace, Name: c.ro.Name}}
		if err := cl.Patch(ctx, target, rawMergePatch(patch)); err != nil {
			return fmt.Errorf("updating revision of rollout: %w", err)
		}
	}
	for _, x := range p.rsPatches {
		target := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Namespace: x.rs.Namespace, Name: x.rs.Name}}
		if err := cl.Patch(ctx, target, rawMergePatch(x.body())); err != nil {
			return fmt.Errorf("updating replicaset %s: %w", x.rs.Name, err)
		}
		if x.affinitySet {
			// A merge patch cannot replace an object; a JSON patch can.
			op := []map[string]any{{"op": "add", "path": "/spec/template/spec/affinity", "value": x.affinity}}
			if x.affinity == nil {
				op = []map[string]any{{"op": "remove", "path": "/spec/template/spec/affinity"}}
			}
			data, err := json.Marshal(op)
			if err != nil {
				return err
			}
			if err := cl.Patch(ctx, target, client.RawPatch(types.JSONPatchType, data)); err != nil {
				return fmt.Errorf("updating affinity of replicaset %s: %w", x.rs.Name, err)
			}
		}
	}
	for _, rs := range p.rsDeletes {
		target := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Namespace: rs.Namespace, Name: rs.Name, UID: rs.UID}}
		if err := cl.Delete(ctx, target); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("deleting replicaset %s: %w", rs.Name, err)
		}
	}
	for _, pp := range p.podPatches {
		meta := map[string]any{}
		if len(pp.labels) > 0 {
			meta["labels"] = pp.labels
		}
		if len(pp.annotations) > 0 {
			meta["annotations"] = pp.annotations
		}
		target := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: pp.pod.Namespace, Name: pp.pod.Name}}
		if err := cl.Patch(ctx, target, rawMergePatch(map[string]any{"metadata": meta})); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("syncing ephemeral metadata to pod %s: %w", pp.pod.Name, err)
		}
	}
	for _, pod := range p.podDeletes {
		target := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: pod.Namespace, Name: pod.Name, UID: pod.UID}}
		if err := cl.Delete(ctx, target); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("restarting pod %s: %w", pod.Name, err)
		}
	}
	if n := p.workloadReplicas; n != nil && c.workload != nil {
		target := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: c.workload.Namespace, Name: c.workload.Name}}
		if err := cl.Patch(ctx, target, rawMergePatch(map[string]any{"spec": map[string]any{"replicas": *n}})); err != nil {
			return fmt.Errorf("scaling deployment %s: %w", c.workload.Name, err)
		}
	}
	for _, sp := range p.svcPatches {
		body := map[string]any{"spec": map[string]any{"selector": map[string]string{v1alpha1.DefaultRolloutUniqueLabelKey: sp.hash}}}
		if sp.managedBy != "" {
			body["metadata"] = map[string]any{"annotations": map[string]string{AnnotationManagedByRollouts: sp.managedBy}}
		}
		target := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: sp.svc.Namespace, Name: sp.svc.Name}}
		if err := cl.Patch(ctx, target, rawMergePatch(body)); err != nil {
			return fmt.Errorf("switching selector of service %s: %w", sp.svc.Name, err)
		}
	}
	for _, ex := range p.exTerminate {
		body := map[string]any{"spec": map[string]any{"terminate": true}}
		target := &v1alpha1.Experiment{ObjectMeta: metav1.ObjectMeta{Namespace: ex.Namespace, Name: ex.Name}}
		if err := cl.Patch(ctx, target, rawMergePatch(body)); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("terminating experiment %s: %w", ex.Name, err)
		}
	}
	for _, ex := range p.exCreate {
		if err := c.createExperiment(ex); err != nil {
			return err
		}
	}
	for _, ex := range p.exDelete {
		if ex.DeletionTimestamp != nil {
			continue
		}
		target := &v1alpha1.Experiment{ObjectMeta: metav1.ObjectMeta{Namespace: ex.Namespace, Name: ex.Name, UID: ex.UID}}
		if err := cl.Delete(ctx, target); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("deleting experiment %s: %w", ex.Name, err)
		}
	}
	for _, ar := range p.arTerminate {
		body := map[string]any{"spec": map[string]any{"terminate": true}}
		if err := cl.Patch(ctx, runRef(ar), rawMergePatch(body)); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("terminating analysisrun %s: %w", ar.Name, err)
		}
	}
	for _, ar := range p.arCreate {
		if err := c.createAnalysisRun(ar); err != nil {
			return err
		}
	}
	for _, ar := range p.arDelete {
		if ar.DeletionTimestamp != nil {
			continue
		}
		if err := cl.Delete(ctx, runRef(ar)); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("deleting analysisrun %s: %w", ar.Name, err)
		}
	}
	wrote, err := c.writeStatus(p.status)
	if err != nil {
		return err
	}
	c.emit(p.events)
	if wrote {
		c.emit(p.statusEvents)
	}
	return nil
}

// runRef is an AnalysisRun carrying only its name, for patches and deletes.
func runRef(ar *v1alpha1.AnalysisRun) *v1alpha1.AnalysisRun {
	return &v1alpha1.AnalysisRun{ObjectMeta: metav1.ObjectMeta{Namespace: ar.Namespace, Name: ar.Name, UID: ar.UID}}
}

func (c *rolloutContext) emit(events []event) {
	rec := c.r.Recorder
	if rec == nil {
		return
	}
	for _, e := range events {
		t := corev1.EventTypeNormal
		if e.warning {
			t = corev1.EventTypeWarning
		}
		rec.Event(c.ro, t, e.reason, e.message)
	}
}

// writeStatus patches the status subresource when s differs from the status that was read; like
// Argo's persistRolloutStatus it skips the write when the merge patch would be empty.
func (c *rolloutContext) writeStatus(s *v1alpha1.RolloutStatus) (bool, error) {
	// Plain reflection is exact and cheap when nothing changed (the new status then holds the very
	// values that were read); anything it calls different is settled by the merge patch below.
	if s == nil || reflect.DeepEqual(&c.origStatus, s) {
		return false, nil
	}
	// As Argo, diff Rollouts that hold nothing but the two statuses.
	data, err := client.MergeFrom(&v1alpha1.Rollout{Status: c.origStatus}).Data(&v1alpha1.Rollout{Status: *s})
	if err != nil {
		return false, err
	}
	if string(data) == "{}" {
		return false, nil
	}
	target := &v1alpha1.Rollout{ObjectMeta: metav1.ObjectMeta{Namespace: c.ro.Namespace, Name: c.ro.Name}}
	if err := c.r.Client.Status().Patch(c.ctx, target, client.RawPatch(types.MergePatchType, data)); err != nil {
		return false, fmt.Errorf("patching rollout status: %w", err)
	}
	return true, nil
}

func (x *rsPatch) body() map[string]any {
	body := map[string]any{}
	spec := map[string]any{}
	if x.replicas != nil {
		spec["replicas"] = *x.replicas
	}
	if x.minReadySeconds != nil {
		spec["minReadySeconds"] = *x.minReadySeconds
	}
	tmeta := map[string]any{}
	if len(x.templateLabels) > 0 {
		tmeta["labels"] = x.templateLabels
	}
	if len(x.templateAnnotations) > 0 {
		tmeta["annotations"] = x.templateAnnotations
	}
	if len(tmeta) > 0 {
		spec["template"] = map[string]any{"metadata": tmeta}
	}
	if len(spec) > 0 {
		body["spec"] = spec
	}
	if len(x.annotations) > 0 {
		body["metadata"] = map[string]any{"annotations": x.annotations}
	}
	return body
}

func rawMergePatch(body map[string]any) client.Patch {
	data, err := json.Marshal(body)
	if err != nil {
		panic(err) // maps of strings and numbers always marshal
	}
	return client.RawPatch(types.MergePatchType, data)
}

// createReplicaSet creates the new ReplicaSet. An existing one with its name is taken over when it
// is ours with the same template; otherwise the hash collided, and as in Argo the collision count
// goes up and the reconcile ends with the error so the next one hashes anew.
func (c *rolloutContext) createReplicaSet(rs *appsv1.ReplicaSet) error {
	err := c.r.Client.Create(c.ctx, rs.DeepCopy())
	if err == nil {
		return nil
	}
	if !apierrors.IsAlreadyExists(err) {
		msg := fmt.Sprintf(MsgFailedRSCreate, rs.Name, err)
		c.emit([]event{{warning: true, reason: ReasonReplicaSetCreateError, message: msg}})
		s := c.origStatus.DeepCopy()
		setCondition(s, newCondition(v1alpha1.RolloutProgressing, corev1.ConditionFalse, ReasonReplicaSetCreateError, msg, c.metaNow))
		s.ObservedGeneration = observedGeneration(c.ro)
		s.Phase, s.Message = CalculateRolloutPhase(c.ro.Spec, *s)
		if _, perr := c.writeStatus(s); perr != nil {
			c.logger().Error(perr, "recording replicaset create error")
		}
		return err
	}
	existing := &appsv1.ReplicaSet{}
	if gerr := c.r.Client.Get(c.ctx, client.ObjectKeyFromObject(rs), existing); gerr != nil {
		return gerr
	}
	if ref := metav1.GetControllerOf(existing); ref != nil && ref.UID == c.ro.UID && sameTemplateIgnoringHash(&existing.Spec.Template, &c.ro.Spec.Template) {
		return nil
	}
	s := c.origStatus.DeepCopy()
	var n int32
	if s.CollisionCount != nil {
		n = *s.CollisionCount
	}
	n++
	s.CollisionCount = &n
	if _, perr := c.writeStatus(s); perr != nil {
		return perr
	}
	return err
}

// createAnalysisRun creates a run; when its name is taken by a run that is not ours, finished or
// different, it tries "<name>.1", "<name>.2", ... as Argo's CreateWithCollisionCounter does, and
// renames the run in the new status.
func (c *rolloutContext) createAnalysisRun(ar *v1alpha1.AnalysisRun) error {
	base := ar.Name
	for n := 1; ; n++ {
		obj := ar.DeepCopy()
		err := c.r.Client.Create(c.ctx, obj)
		if err == nil {
			break
		}
		if !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("creating analysisrun %s: %w", ar.Name, err)
		}
		existing := &v1alpha1.AnalysisRun{}
		if gerr := c.r.Client.Get(c.ctx, client.ObjectKeyFromObject(ar), existing); gerr != nil {
			return gerr
		}
		ref := metav1.GetControllerOf(existing)
		if !existing.Status.Phase.Completed() && ref != nil && ref.UID == c.ro.UID && sameRunSpec(&ar.Spec, &existing.Spec) {
			break
		}
		ar.Name = fmt.Sprintf("%s.%d", base, n)
	}
	if ar.Name != base && c.plan.status != nil {
		for _, s := range []*v1alpha1.RolloutAnalysisRunStatus{c.plan.status.Canary.CurrentStepAnalysisRunStatus, c.plan.status.Canary.CurrentBackgroundAnalysisRunStatus} {
			if s != nil && s.Name == base {
				s.Name = ar.Name
			}
		}
	}
	return nil
}

// sameRunSpec compares what Argo compares to recognise its own run: metrics, args, dry-run and
// measurement retention.
func sameRunSpec(a, b *v1alpha1.AnalysisRunSpec) bool {
	return apiequality.Semantic.DeepEqual(a.Metrics, b.Metrics) && apiequality.Semantic.DeepEqual(a.Args, b.Args) &&
		apiequality.Semantic.DeepEqual(a.DryRun, b.DryRun) && apiequality.Semantic.DeepEqual(a.MeasurementRetention, b.MeasurementRetention)
}

// sameTemplateIgnoringHash compares a ReplicaSet's pod template with the Rollout's, leaving out the
// pod-template-hash label. (Argo also applies API defaults to the desired template first; the
// ReplicaSets compared here are our own copies of the template, so no defaulting is needed.)
func sameTemplateIgnoringHash(live, desired *corev1.PodTemplateSpec) bool {
	l, d := live.DeepCopy(), desired.DeepCopy()
	delete(l.Labels, v1alpha1.DefaultRolloutUniqueLabelKey)
	delete(d.Labels, v1alpha1.DefaultRolloutUniqueLabelKey)
	if len(l.Labels) == 0 {
		l.Labels = nil
	}
	if len(d.Labels) == 0 {
		d.Labels = nil
	}
	return apiequality.Semantic.DeepEqual(l, d)
}
