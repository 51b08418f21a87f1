package experiment

import (
	"encoding/json"
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
	"github.com/canarydrill/canarydrill/controller/rollout"
)

var experimentKind = v1alpha1.GroupVersion.WithKind("Experiment")

// reconcileTemplate creates, scales or winds down one template's ReplicaSet and Service and
// records the template's status (Argo's reconcileTemplate).
func (c *exContext) reconcileTemplate(t v1alpha1.TemplateSpec) error {
	ex := c.ex
	ts := templateStatus(&ex.Status, t.Name)
	if ts == nil {
		ts = &v1alpha1.TemplateStatus{Name: t.Name}
	} else {
		ts = ts.DeepCopy()
	}
	prev := ts.DeepCopy()
	desired := desiredReplicas(ex, &ex.Status, t)
	now := c.metaNow
	rs := c.templateRSs[t.Name]
	if rs == nil {
		created, err := c.createReplicaSet(t, ts.CollisionCount)
		switch {
		case err != nil && !apierrors.IsAlreadyExists(err):
			ts.Status = v1alpha1.TemplateStatusError
			ts.Message = fmt.Sprintf(MsgTemplateRSFailed, t.Name, err)
		case created != nil:
			c.templateRSs[t.Name] = created
			rs = created
			ts.LastTransitionTime = &now
		}
	} else {
		if t.Service != nil {
			if desired != 0 {
				c.ensureService(t, ts, rs)
			} else if rs.Status.AvailableReplicas == 0 {
				c.deleteService(t.Name, ts)
			}
		} else {
			c.deleteService(t.Name, ts)
		}
		if desired == 0 {
			rs = c.addScaleDownDelay(rs)
		}
		if replicas(rs) != desired {
			c.scaleTemplate(rs, t, ts, desired)
			ts.LastTransitionTime = &now
		}
	}
	if rs == nil {
		ts.Replicas, ts.UpdatedReplicas, ts.ReadyReplicas, ts.AvailableReplicas = 0, 0, 0, 0
	} else {
		ts.Replicas, ts.UpdatedReplicas = rs.Status.Replicas, rs.Status.Replicas
		ts.ReadyReplicas, ts.AvailableReplicas = rs.Status.ReadyReplicas, rs.Status.AvailableReplicas
	}
	if prev.Replicas != ts.Replicas || prev.UpdatedReplicas != ts.UpdatedReplicas || prev.ReadyReplicas != ts.ReadyReplicas || prev.AvailableReplicas != ts.AvailableReplicas {
		ts.LastTransitionTime = &now
	}
	if !templateCompleted(ts.Status) {
		if desired == ts.AvailableReplicas {
			if passed, _ := passedDuration(ex, &ex.Status, c.now); passed || c.terminating {
				ts.Status = v1alpha1.TemplateStatusSuccessful
			} else {
				ts.Status = v1alpha1.TemplateStatusRunning
			}
		} else {
			from := now
			if ts.LastTransitionTime != nil {
				from = *ts.LastTransitionTime
			}
			dl := progressDeadlineSeconds(ex)
			switch {
			case !c.now.Before(from.Add(time.Duration(dl) * time.Second)):
				ts.Status = v1alpha1.TemplateStatusFailed
				ts.Message = fmt.Sprintf(MsgTemplateDeadline, t.Name, dl)
			case c.terminating:
				ts.Status = v1alpha1.TemplateStatusSuccessful
			default:
				ts.Status = v1alpha1.TemplateStatusProgressing
			}
		}
	}
	if prev.Status != ts.Status {
		msg := fmt.Sprintf(MsgTemplateTransition, t.Name, prev.Status, ts.Status)
		if ts.Message != "" {
			msg += ": " + ts.Message
		}
		bad := ts.Status == v1alpha1.TemplateStatusFailed || ts.Status == v1alpha1.TemplateStatusError
		c.eventf(ex, bad, ReasonTemplatePrefix+string(ts.Status), "%s", msg)
	}
	setTemplateStatus(c.newStatus, *ts)
	return nil
}

func replicas(rs *appsv1.ReplicaSet) int32 {
	if rs.Spec.Replicas == nil {
		return 1
	}
	return *rs.Spec.Replicas
}

// newReplicaSet builds a template's ReplicaSet "<experiment>-<template>", its pod hash computed
// without a hash label it may have copied.
func newReplicaSet(ex *v1alpha1.Experiment, t v1alpha1.TemplateSpec, collisionCount *int32) *appsv1.ReplicaSet {
	tmpl := t.Template.DeepCopy()
	delete(tmpl.Labels, v1alpha1.DefaultRolloutUniqueLabelKey)
	hash := rollout.ComputePodTemplateHash(tmpl, collisionCount)
	if tmpl.Labels == nil {
		tmpl.Labels = map[string]string{}
	}
	tmpl.Labels[v1alpha1.DefaultRolloutUniqueLabelKey] = hash
	sel := &metav1.LabelSelector{}
	if t.Selector != nil {
		t.Selector.DeepCopyInto(sel)
	}
	if sel.MatchLabels == nil {
		sel.MatchLabels = map[string]string{}
	}
	sel.MatchLabels[v1alpha1.DefaultRolloutUniqueLabelKey] = hash
	labels := map[string]string{}
	for k, v := range tmpl.Labels {
		labels[k] = v
	}
	zero := int32(0)
	return &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{
			Name:            ex.Name + "-" + t.Name,
			Namespace:       ex.Namespace,
			Labels:          labels,
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(ex, experimentKind)},
			Annotations: map[string]string{
				v1alpha1.ExperimentNameAnnotationKey:         ex.Name,
				v1alpha1.ExperimentTemplateNameAnnotationKey: t.Name,
			},
		},
		Spec: appsv1.ReplicaSetSpec{Replicas: &zero, MinReadySeconds: t.MinReadySeconds, Selector: sel, Template: *tmpl},
	}
}

// createReplicaSet creates the template's ReplicaSet with no pods (the next reconcile sizes it). A
// same-named ReplicaSet of this Experiment and template is taken over; another one is a hash
// collision, recorded in the template status for the next try.
func (c *exContext) createReplicaSet(t v1alpha1.TemplateSpec, collisionCount *int32) (*appsv1.ReplicaSet, error) {
	rs := newReplicaSet(c.ex, t, collisionCount)
	err := c.r.Client.Create(c.ctx, rs)
	if err == nil {
		return rs, nil
	}
	if !apierrors.IsAlreadyExists(err) {
		c.eventf(c.ex, false, ReasonReplicaSetCreate, MsgRSCreateFailed, rs.Name, err)
		return nil, err
	}
	existing := &appsv1.ReplicaSet{}
	if gerr := c.r.Client.Get(c.ctx, client.ObjectKeyFromObject(rs), existing); gerr != nil {
		return nil, gerr
	}
	if ref := metav1.GetControllerOf(existing); ref != nil && ref.UID == c.ex.UID &&
		existing.Annotations[v1alpha1.ExperimentNameAnnotationKey] == c.ex.Name &&
		existing.Annotations[v1alpha1.ExperimentTemplateNameAnnotationKey] == t.Name &&
		sameTemplateIgnoringHash(&existing.Spec.Template, &rs.Spec.Template) {
		return existing, nil
	}
	// A collision: count it in the template status and try again next time.
	n := int32(1)
	statuses := append(c.ex.Status.DeepCopy().TemplateStatuses, v1alpha1.TemplateStatus{Name: t.Name, CollisionCount: &n})
	patch := map[string]any{"status": map[string]any{"templateStatuses": statuses}}
	data, merr := json.Marshal(patch)
	if merr != nil {
		return nil, merr
	}
	target := &v1alpha1.Experiment{ObjectMeta: metav1.ObjectMeta{Namespace: c.ex.Namespace, Name: c.ex.Name}}
	if perr := c.r.Client.Patch(c.ctx, target, client.RawPatch(types.MergePatchType, data)); perr != nil {
		return nil, perr
	}
	return nil, err
}

func sameTemplateIgnoringHash(a, b *corev1.PodTemplateSpec) bool {
	x, y := a.DeepCopy(), b.DeepCopy()
	delete(x.Labels, v1alpha1.DefaultRolloutUniqueLabelKey)
	delete(y.Labels, v1alpha1.DefaultRolloutUniqueLabelKey)
	dx, _ := json.Marshal(x)
	dy, _ := json.Marshal(y)
	return string(dx) == string(dy)
}

// addScaleDownDelay sets the ReplicaSet's scale-down deadline (or removes it with a zero delay),
// unless it has one; it returns the ReplicaSet as it is now.
func (c *exContext) addScaleDownDelay(rs *appsv1.ReplicaSet) *appsv1.ReplicaSet {
	delay := scaleDownDelaySeconds(c.ex)
	_, has := rs.Annotations[annotationScaleDownDeadline]
	var value any
	switch {
	case delay == 0 && has:
		value = nil
	case delay == 0 || has:
		return rs
	default:
		value = c.metaNow.Add(time.Duration(delay) * time.Second).UTC().Format(time.RFC3339)
	}
	patch := map[string]any{"metadata": map[string]any{"annotations": map[string]any{annotationScaleDownDeadline: value}}}
	data, _ := json.Marshal(patch)
	updated := rs.DeepCopy()
	if err := c.r.Client.Patch(c.ctx, updated, client.RawPatch(types.MergePatchType, data)); err != nil {
		c.r.Log.Info("unable to set the scale-down deadline", "replicaset", rs.Name, "error", err.Error())
		return rs
	}
	c.templateRSs[rs.Annotations[v1alpha1.ExperimentTemplateNameAnnotationKey]] = updated
	return updated
}

// scaleTemplate sizes the ReplicaSet; going to zero waits for the scale-down deadline.
func (c *exContext) scaleTemplate(rs *appsv1.ReplicaSet, t v1alpha1.TemplateSpec, ts *v1alpha1.TemplateStatus, desired int32) {
	if desired == 0 {
		if v, ok := rs.Annotations[annotationScaleDownDeadline]; ok {
			at, err := time.Parse(time.RFC3339, v)
			if err == nil && at.After(c.now) {
				c.requeueAfter(at.Sub(c.now))
				desired = 1
				if t.Replicas != nil {
					desired = *t.Replicas
				}
			}
		}
	}
	cur := replicas(rs)
	if cur == desired {
		return
	}
	op := "down"
	if cur < desired {
		op = "up"
	}
	updated := rs.DeepCopy()
	updated.Spec.Replicas = &desired
	if err := c.r.Client.Update(c.ctx, updated); err != nil {
		if apierrors.IsConflict(err) {
			c.requeueAfter(conflictRetry)
			return
		}
		c.eventf(c.ex, true, ReasonRSUpdateError, MsgScaleFailed, rs.Name, op, err)
		ts.Status = v1alpha1.TemplateStatusError
		ts.Message = fmt.Sprintf(MsgTemplateScaleError, ts.Name, desired, err)
		return
	}
	c.templateRSs[t.Name] = updated
	c.eventf(c.ex, false, ReasonScalingReplicaSet, MsgScaled, op, rs.Name, cur, desired)
}

// ensureService creates the template's Service (named after the ReplicaSet, or service.name) on
// the containers' ports, selecting the ReplicaSet's pods.
func (c *exContext) ensureService(t v1alpha1.TemplateSpec, ts *v1alpha1.TemplateStatus, rs *appsv1.ReplicaSet) {
	svc := c.templateSvcs[t.Name]
	var ports []corev1.ServicePort
	for _, ctr := range rs.Spec.Template.Spec.Containers {
		for _, p := range ctr.Ports {
			ports = append(ports, corev1.ServicePort{Name: p.Name, Protocol: p.Protocol, Port: p.ContainerPort, TargetPort: intstr.FromInt32(p.ContainerPort)})
		}
	}
	if (svc != nil && svc.Name == rs.Name) || len(ports) == 0 {
		return
	}
	name := rs.Name
	if t.Service.Name != "" {
		name = t.Service.Name
	}
	created, err := c.createService(name, t.Name, rs.Labels, ports)
	if err != nil {
		ts.Status = v1alpha1.TemplateStatusError
		ts.Message = fmt.Sprintf(MsgServiceFailed, name, t.Name, err)
		return
	}
	c.templateSvcs[t.Name] = created
	ts.ServiceName = created.Name
	ts.PodTemplateHash = rs.Labels[v1alpha1.DefaultRolloutUniqueLabelKey]
}

func (c *exContext) createService(name, template string, selector map[string]string, ports []corev1.ServicePort) (*corev1.Service, error) {
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{
			Name:            name,
			Namespace:       c.ex.Namespace,
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(c.ex, experimentKind)},
			Annotations: map[string]string{
				v1alpha1.ExperimentNameAnnotationKey:         c.ex.Name,
				v1alpha1.ExperimentTemplateNameAnnotationKey: template,
			},
		},
		Spec: corev1.ServiceSpec{Selector: selector, Ports: ports},
	}
	err := c.r.Client.Create(c.ctx, svc)
	if err == nil {
		return svc, nil
	}
	if !apierrors.IsAlreadyExists(err) {
		return nil, fmt.Errorf("cannot create service: %v %v", err, svc)
	}
	existing := &corev1.Service{}
	if err := c.r.Client.Get(c.ctx, client.ObjectKeyFromObject(svc), existing); err != nil {
		return nil, fmt.Errorf("did not get existing service with name %s: %v", name, err)
	}
	ref := metav1.GetControllerOf(existing)
	if ref == nil || ref.UID != c.ex.UID || existing.Annotations[v1alpha1.ExperimentNameAnnotationKey] != c.ex.Name ||
		existing.Annotations[v1alpha1.ExperimentTemplateNameAnnotationKey] != template {
		return nil, fmt.Errorf(MsgServiceNotOwned, name, template)
	}
	return existing, nil
}

func (c *exContext) deleteService(template string, ts *v1alpha1.TemplateStatus) {
	svc := c.templateSvcs[template]
	if svc == nil {
		return
	}
	if err := c.r.Client.Delete(c.ctx, svc); err != nil && !apierrors.IsNotFound(err) {
		ts.Status = v1alpha1.TemplateStatusError
		ts.Message = fmt.Sprintf(MsgServiceDeleteError, template, err)
		return
	}
	c.templateSvcs[template] = nil
	ts.ServiceName, ts.PodTemplateHash = "", ""
}
