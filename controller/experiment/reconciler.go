package experiment

import (
	"context"
	"fmt"
	"reflect"
	"time"

	"github.com/go-logr/logr"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/record"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

// Reconciler implements sigs.k8s.io/controller-runtime/pkg/reconcile.Reconciler for Experiments
// with Argo Rollouts' semantics (experiments/experiment.go): one ReplicaSet per template (and a
// Service when asked for), AnalysisRuns once every template is available, and a phase that follows
// the worst template and run. It expects to run again when the Experiment, its ReplicaSets or its
// AnalysisRuns change; RequeueAfter covers the duration and the progress deadline.
type Reconciler struct {
	Client   client.Client
	Clock    clock.PassiveClock   // the only source of time
	Recorder record.EventRecorder // nil records nothing
	Log      logr.Logger
}

var _ reconcile.Reconciler = (*Reconciler)(nil)

// exContext is one reconcile of an Experiment.
type exContext struct {
	r       *Reconciler
	ctx     context.Context
	ex      *v1alpha1.Experiment
	now     time.Time
	metaNow metav1.Time

	templateRSs  map[string]*appsv1.ReplicaSet
	templateSvcs map[string]*corev1.Service
	newStatus    *v1alpha1.ExperimentStatus
	terminating  bool
	requeue      time.Duration
}

// Reconcile runs one sync of the Experiment.
func (r *Reconciler) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	ex := &v1alpha1.Experiment{}
	if err := r.Client.Get(ctx, req.NamespacedName, ex); err != nil {
		if apierrors.IsNotFound(err) {
			return reconcile.Result{}, nil
		}
		return reconcile.Result{}, err
	}
	if ex.DeletionTimestamp != nil {
		return reconcile.Result{}, nil
	}
	now := r.Clock.Now()
	c := &exContext{r: r, ctx: ctx, ex: ex, now: now, metaNow: metav1.NewTime(now.Truncate(time.Second))}
	if cond := c.invalidSpec(); cond != nil {
		s := ex.Status.DeepCopy()
		if prev := condition(s, v1alpha1.InvalidExperimentSpec); prev != nil && prev.Message != cond.Message {
			removeCondition(s, v1alpha1.InvalidExperimentSpec)
		}
		setCondition(s, *cond)
		return reconcile.Result{}, c.persist(s)
	}
	var err error
	if c.templateRSs, err = c.replicaSets(); err != nil {
		return reconcile.Result{}, err
	}
	if c.templateSvcs, err = c.services(); err != nil {
		return reconcile.Result{}, err
	}
	c.newStatus = ex.Status.DeepCopy()
	c.terminating = isTerminating(ex, &ex.Status)
	for _, t := range ex.Spec.Templates {
		if err := c.reconcileTemplate(t); err != nil {
			return reconcile.Result{}, err
		}
	}
	for _, a := range ex.Spec.Analyses {
		c.reconcileAnalysisRun(a)
	}
	s := c.calculateStatus()
	if d := enqueueDuration(ex, s, c.now); d != nil {
		c.requeueAfter(*d)
	}
	if err := c.persist(s); err != nil {
		return reconcile.Result{}, err
	}
	return reconcile.Result{RequeueAfter: c.requeue}, nil
}

func (c *exContext) requeueAfter(d time.Duration) {
	if d <= 0 {
		d = time.Nanosecond // now, as the next event at this instant
	}
	if c.requeue == 0 || d < c.requeue {
		c.requeue = d
	}
}

func (c *exContext) eventf(obj client.Object, warning bool, reason, format string, args ...any) {
	if c.r.Recorder == nil {
		return
	}
	t := corev1.EventTypeNormal
	if warning {
		t = corev1.EventTypeWarning
	}
	c.r.Recorder.Eventf(obj, t, reason, format, args...)
}

// invalidSpec checks the templates (Argo's VerifyExperimentSpec).
func (c *exContext) invalidSpec() *v1alpha1.ExperimentCondition {
	ex := c.ex
	seen := map[string]bool{}
	msg := ""
	for i, t := range ex.Spec.Templates {
		switch {
		case t.Selector == nil:
			msg = fmt.Sprintf(MsgMissingField, fmt.Sprintf(".Spec.Templates[%d].Selector", i))
		case reflect.DeepEqual(t.Selector, &metav1.LabelSelector{}):
			msg = fmt.Sprintf(MsgSelectAll, i)
		case t.MinReadySeconds > progressDeadlineSeconds(ex):
			msg = fmt.Sprintf(MsgMinReadyOverDL, i)
		case t.Name == "":
			msg = fmt.Sprintf(MsgTemplateNameEmpty, ex.Name, i)
		case seen[t.Name]:
			msg = fmt.Sprintf(MsgTemplateNameRepeat, ex.Name, t.Name)
		}
		if msg != "" {
			break
		}
		seen[t.Name] = true
	}
	if msg == "" {
		return nil
	}
	if prev := condition(&ex.Status, v1alpha1.InvalidExperimentSpec); prev != nil && prev.Message == msg {
		cp := *prev
		cp.LastUpdateTime = c.metaNow
		return &cp
	}
	cond := newCondition(v1alpha1.InvalidExperimentSpec, corev1.ConditionTrue, ReasonInvalidSpec, msg, c.metaNow)
	return &cond
}

// replicaSets maps template names to the ReplicaSets the Experiment owns.
func (c *exContext) replicaSets() (map[string]*appsv1.ReplicaSet, error) {
	var list appsv1.ReplicaSetList
	if err := c.r.Client.List(c.ctx, &list, client.InNamespace(c.ex.Namespace)); err != nil {
		return nil, err
	}
	out := map[string]*appsv1.ReplicaSet{}
	for i := range list.Items {
		rs := &list.Items[i]
		name, ok := c.claim(rs)
		if !ok {
			continue
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("multiple ReplicaSets match single experiment template: %s", name)
		}
		out[name] = rs
	}
	return out, nil
}

// services maps template names to the Services the Experiment owns.
func (c *exContext) services() (map[string]*corev1.Service, error) {
	var list corev1.ServiceList
	if err := c.r.Client.List(c.ctx, &list, client.InNamespace(c.ex.Namespace)); err != nil {
		return nil, err
	}
	out := map[string]*corev1.Service{}
	for i := range list.Items {
		svc := &list.Items[i]
		name, ok := c.claim(svc)
		if !ok {
			continue
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("multiple Services match single experiment template: %s", name)
		}
		out[name] = svc
	}
	return out, nil
}

// claim returns the template an object of the Experiment belongs to.
func (c *exContext) claim(obj client.Object) (string, bool) {
	ref := metav1.GetControllerOf(obj)
	a := obj.GetAnnotations()
	if ref == nil || ref.UID != c.ex.UID || a[v1alpha1.ExperimentNameAnnotationKey] != c.ex.Name {
		return "", false
	}
	name := a[v1alpha1.ExperimentTemplateNameAnnotationKey]
	for _, t := range c.ex.Spec.Templates {
		if t.Name == name && name != "" {
			return name, true
		}
	}
	return "", false
}

// persist writes the status when it changed and emits Experiment<Phase> on a new phase.
func (c *exContext) persist(s *v1alpha1.ExperimentStatus) error {
	prev := c.ex.Status
	data, err := client.MergeFrom(&v1alpha1.Experiment{Status: prev}).Data(&v1alpha1.Experiment{Status: *s})
	if err != nil {
		return err
	}
	if string(data) == "{}" {
		return nil
	}
	target := &v1alpha1.Experiment{ObjectMeta: metav1.ObjectMeta{Namespace: c.ex.Namespace, Name: c.ex.Name}}
	// A merge patch of the object, as Argo's persistExperimentStatus sends: the Experiment CRD
	// has no status subresource.
	if err := c.r.Client.Patch(c.ctx, target, client.RawPatch(types.MergePatchType, data)); err != nil {
		return err
	}
	if prev.Phase != s.Phase {
		bad := s.Phase == v1alpha1.AnalysisPhaseError || s.Phase == v1alpha1.AnalysisPhaseFailed || s.Phase == v1alpha1.AnalysisPhaseInconclusive
		c.eventf(c.ex, bad, ReasonExperimentPrefix+string(s.Phase), MsgPhaseTransition, prev.Phase, s.Phase)
	}
	return nil
}

func progressDeadlineSeconds(ex *v1alpha1.Experiment) int32 {
	if ex.Spec.ProgressDeadlineSeconds != nil {
		return *ex.Spec.ProgressDeadlineSeconds
	}
	return defaultProgressDeadlineSeconds
}

func scaleDownDelaySeconds(ex *v1alpha1.Experiment) int32 {
	if ex.Spec.ScaleDownDelaySeconds != nil {
		return *ex.Spec.ScaleDownDelaySeconds
	}
	return defaultScaleDownDelaySeconds
}
