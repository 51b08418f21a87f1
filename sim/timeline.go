package sim

import (
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
	"github.com/canarydrill/canarydrill/controller/ops"
	"github.com/canarydrill/canarydrill/scenarios"
)

// timeline fires the scenario's entries at their times.
type timeline struct {
	w       *World
	pending int
}

func newTimeline(w *World) *timeline { return &timeline{w: w} }

func (tl *timeline) schedule() {
	for i := range tl.w.sc.Spec.Timeline {
		e := tl.w.sc.Spec.Timeline[i]
		tl.pending++
		tl.w.q.add(tl.w.clock.origin.Add(e.At.Duration), "", func() {
			tl.pending--
			tl.fire(i, e)
		})
	}
}

func (tl *timeline) done() bool { return tl.pending == 0 }

// target is the Rollout an entry acts on: its rollout field, else the focus.
func (tl *timeline) target(e scenarios.Entry) types.NamespacedName {
	w := tl.w
	key := types.NamespacedName{Namespace: w.focusNamespace(), Name: w.focus}
	if ns, name, ok := strings.Cut(e.Rollout, "/"); ok {
		key = types.NamespacedName{Namespace: ns, Name: name}
	} else if e.Rollout != "" {
		key.Name = e.Rollout
	}
	return key
}

func (tl *timeline) fire(i int, e scenarios.Entry) {
	w := tl.w
	key := tl.target(e)
	var err error
	switch {
	case e.Update != nil:
		err = tl.update(key, e.Update)
		w.obs.event("TimelineUpdate", describeUpdate(key.Name, e.Update))
	case e.Fault != "":
		w.faults.start(e)
		w.obs.event("FaultStarted", describeFault(e))
		if e.Duration.Duration > 0 {
			w.after(e.Duration.Duration, func() { w.obs.event("FaultEnded", describeFault(e)+" ended") })
		}
	case e.Action != "":
		w.obs.event("TimelineAction", fmt.Sprintf("kubectl argo rollouts %s %s", e.Action, key.Name))
		err = tl.act(key, e.Action)
	}
	if err != nil {
		w.fail(fmt.Errorf("%s: spec.timeline[%d]: %w", w.sc.Source, i, err))
	}
}

// update changes the pod template as `kubectl argo rollouts set image` or an edit would,
// again on a conflict with a controller's write (on a real API).
func (tl *timeline) update(key types.NamespacedName, u *scenarios.Update) error {
	if err := retry.RetryOnConflict(retry.DefaultRetry, func() error { return tl.updateOnce(key, u) }); err != nil {
		return err
	}
	tl.w.obs.updated(key)
	return nil
}

func (tl *timeline) updateOnce(key types.NamespacedName, u *scenarios.Update) error {
	w := tl.w
	ro := &v1alpha1.Rollout{}
	if err := w.client.Get(w.ctx, key, ro); err != nil {
		return err
	}
	if len(ro.Spec.Template.Spec.Containers) == 0 {
		return fmt.Errorf("rollout %s has no containers to update", key.Name)
	}
	c := &ro.Spec.Template.Spec.Containers[0]
	if u.Image != "" {
		c.Image = u.Image
	}
	if u.Args != nil {
		c.Args = append([]string(nil), u.Args...)
	}
	names := make([]string, 0, len(u.Env))
	for k := range u.Env {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		setEnv(c, k, u.Env[k])
	}
	if u.Version != "" {
		if ro.Spec.Template.Annotations == nil {
			ro.Spec.Template.Annotations = map[string]string{}
		}
		ro.Spec.Template.Annotations[scenarios.VersionAnnotation] = u.Version
	}
	return w.client.Update(w.ctx, ro)
}

func setEnv(c *corev1.Container, k, v string) {
	for i := range c.Env {
		if c.Env[i].Name == k {
			c.Env[i].Value = v
			return
		}
	}
	c.Env = append(c.Env, corev1.EnvVar{Name: k, Value: v})
}

func (tl *timeline) act(key types.NamespacedName, action string) error {
	w := tl.w
	switch action {
	case scenarios.ActionPromote:
		return ops.Promote(w.ctx, w.client, key, ops.PromoteOptions{})
	case scenarios.ActionPromoteFull:
		return ops.Promote(w.ctx, w.client, key, ops.PromoteOptions{Full: true})
	case scenarios.ActionAbort:
		return ops.Abort(w.ctx, w.client, key)
	case scenarios.ActionRetry:
		return ops.Retry(w.ctx, w.client, key)
	case scenarios.ActionPause:
		return ops.Pause(w.ctx, w.client, key)
	case scenarios.ActionResume:
		return ops.Resume(w.ctx, w.client, key)
	case scenarios.ActionUndo:
		_, err := ops.Undo(w.ctx, w.client, key, 0)
		if err == nil {
			w.obs.updated(key)
		}
		return err
	}
	return fmt.Errorf("unknown action %q", action)
}

func describeUpdate(name string, u *scenarios.Update) string {
	var parts []string
	if u.Image != "" {
		parts = append(parts, "image "+u.Image)
	}
	if u.Args != nil {
		parts = append(parts, "args "+strings.Join(u.Args, " "))
	}
	if len(u.Env) > 0 {
		parts = append(parts, fmt.Sprintf("%d env vars", len(u.Env)))
	}
	if u.Version != "" {
		parts = append(parts, "version "+u.Version)
	}
	return fmt.Sprintf("rollout %s updated: %s", name, strings.Join(parts, ", "))
}

func describeFault(e scenarios.Entry) string {
	on := e.Target
	if e.Version != "" {
		on = "version " + e.Version
	}
	s := fmt.Sprintf("%s on %s", e.Fault, on)
	if e.Rate.IsSet() {
		s += " rate " + e.Rate.String()
	}
	if e.Fault == scenarios.FaultHTTPErrors {
		s += fmt.Sprintf(" code %d", e.Code)
	}
	if e.Add.Duration > 0 {
		s += " add " + e.Add.String()
	}
	if e.Factor > 0 {
		s += fmt.Sprintf(" factor %g", e.Factor)
	}
	if e.Duration.Duration > 0 {
		s += " for " + e.Duration.String()
	}
	return s
}
