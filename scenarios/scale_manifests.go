package scenarios

import (
	"math"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

// Argo's defaults for the duration fields that Scale writes out when they are absent, so that
// they scale too (Argo's utils/defaults; the judge's are canarydrill's).
const (
	argoProgressDeadlineSeconds    = 600
	argoScaleDownDelaySeconds      = 30
	argoAbortScaleDownDelaySeconds = 30
	judgeWindow                    = 5 * time.Minute
	judgeStep                      = 10 * time.Second
)

func (s *scaler) object(o Object) {
	w := objectName(o)
	spec := field.NewPath("spec")
	switch t := o.Object.(type) {
	case *v1alpha1.Rollout:
		s.rollout(w, &t.Spec)
	case *v1alpha1.AnalysisTemplate:
		s.metrics(w, spec.Child("metrics"), t.Spec.Metrics)
	case *v1alpha1.ClusterAnalysisTemplate:
		s.metrics(w, spec.Child("metrics"), t.Spec.Metrics)
	case *v1alpha1.AnalysisRun:
		s.metrics(w, spec.Child("metrics"), t.Spec.Metrics)
	case *v1alpha1.Experiment:
		es := &t.Spec
		es.Duration = s.argoWindow(w, spec.Child("duration"), es.Duration)
		es.ProgressDeadlineSeconds = s.secondsPtr(w, spec.Child("progressDeadlineSeconds"), es.ProgressDeadlineSeconds, argoProgressDeadlineSeconds)
		es.ScaleDownDelaySeconds = s.secondsPtr(w, spec.Child("scaleDownDelaySeconds"), es.ScaleDownDelaySeconds, argoScaleDownDelaySeconds)
		for i := range es.Templates {
			tp := &es.Templates[i]
			tp.MinReadySeconds = s.seconds(w, spec.Child("templates").Index(i).Child("minReadySeconds"), tp.MinReadySeconds)
		}
	}
}

func (s *scaler) rollout(w string, rs *v1alpha1.RolloutSpec) {
	p := field.NewPath("spec")
	rs.MinReadySeconds = s.seconds(w, p.Child("minReadySeconds"), rs.MinReadySeconds)
	rs.ProgressDeadlineSeconds = s.secondsPtr(w, p.Child("progressDeadlineSeconds"), rs.ProgressDeadlineSeconds, argoProgressDeadlineSeconds)
	if c := rs.Strategy.Canary; c != nil {
		cp := p.Child("strategy", "canary")
		// Argo reads these only with traffic routing, and with dynamicStableScale an absent
		// abortScaleDownDelaySeconds means something else than its default; there the field stays
		// as written.
		def := int32(0)
		if c.TrafficRouting != nil && !c.DynamicStableScale {
			def = argoScaleDownDelaySeconds
		}
		c.ScaleDownDelaySeconds = s.secondsPtr(w, cp.Child("scaleDownDelaySeconds"), c.ScaleDownDelaySeconds, def)
		c.AbortScaleDownDelaySeconds = s.secondsPtr(w, cp.Child("abortScaleDownDelaySeconds"), c.AbortScaleDownDelaySeconds, def)
		for i := range c.Steps {
			s.step(w, cp.Child("steps").Index(i), &c.Steps[i])
		}
	}
	if b := rs.Strategy.BlueGreen; b != nil {
		bp := p.Child("strategy", "blueGreen")
		b.AutoPromotionSeconds = s.seconds(w, bp.Child("autoPromotionSeconds"), b.AutoPromotionSeconds)
		// With post-promotion analysis, an absent scaleDownDelaySeconds makes Argo wait for the
		// analysis instead of the default delay.
		def := int32(argoScaleDownDelaySeconds)
		if b.PostPromotionAnalysis != nil {
			def = 0
		}
		b.ScaleDownDelaySeconds = s.secondsPtr(w, bp.Child("scaleDownDelaySeconds"), b.ScaleDownDelaySeconds, def)
		b.AbortScaleDownDelaySeconds = s.secondsPtr(w, bp.Child("abortScaleDownDelaySeconds"), b.AbortScaleDownDelaySeconds, argoAbortScaleDownDelaySeconds)
	}
}

func (s *scaler) step(w string, p *field.Path, st *v1alpha1.CanaryStep) {
	if ps := st.Pause; ps != nil && ps.Duration != nil {
		ps.Duration = s.pause(w, p.Child("pause", "duration"), *ps.Duration)
	}
	if ex := st.Experiment; ex != nil {
		ep := p.Child("experiment")
		ex.Duration = s.argoWindow(w, ep.Child("duration"), ex.Duration)
		ex.ScaleDownDelaySeconds = s.secondsPtr(w, ep.Child("scaleDownDelaySeconds"), ex.ScaleDownDelaySeconds, argoScaleDownDelaySeconds)
	}
}

// pause scales a pause duration, kept in the form it was written in: an integer, an integer
// string, or a duration string. Argo counts pauses in whole seconds.
func (s *scaler) pause(w string, p *field.Path, d intstr.IntOrString) *intstr.IntOrString {
	if d.Type == intstr.Int {
		v := intstr.FromInt32(s.seconds(w, p, d.IntVal))
		return &v
	}
	if n, err := strconv.ParseInt(d.StrVal, 10, 32); err == nil {
		v := intstr.FromString(strconv.Itoa(int(s.seconds(w, p, int32(n)))))
		return &v
	}
	from, err := time.ParseDuration(d.StrVal)
	if err != nil {
		s.problem("%s: %s: %q is not a duration, so it cannot be scaled", w, p, d.StrVal)
		return &d
	}
	v := intstr.FromString(FormatDuration(time.Duration(s.wholeSeconds(w, p, from)) * time.Second))
	return &v
}

// seconds scales a whole-second field. 0 stays 0: for these fields it is a meaning (no delay,
// no auto-promotion, never scale down), not a length.
func (s *scaler) seconds(w string, p *field.Path, v int32) int32 {
	if v <= 0 {
		return v
	}
	return s.wholeSeconds(w, p, time.Duration(v)*time.Second)
}

// wholeSeconds scales d to the nearest whole second, Argo's resolution for these fields. A
// length that would scale below one second is a problem: rounding it to 0 or 1 s would change
// it by half or more.
func (s *scaler) wholeSeconds(w string, p *field.Path, d time.Duration) int32 {
	exact := d.Seconds() * s.f
	if d > 0 && exact < 1 {
		s.problem("%s: %s: %s scales to %s, below Argo's 1s resolution", w, p, FormatDuration(d), FormatDuration(s.dur(d)))
		return 1
	}
	return int32(math.Round(exact))
}

// secondsPtr scales an optional whole-second field; when it is absent and def > 0, Argo's
// default def is written out so that it scales too.
func (s *scaler) secondsPtr(w string, p *field.Path, v *int32, def int32) *int32 {
	if v == nil {
		if def <= 0 {
			return nil
		}
		v = &def
	}
	out := s.seconds(w, p, *v)
	return &out
}

// argoDuration scales an Argo duration string; an empty one (absent) stays empty.
func (s *scaler) argoDuration(w string, p *field.Path, v v1alpha1.DurationString, floor time.Duration) v1alpha1.DurationString {
	if v == "" {
		return v
	}
	d, err := v.Duration()
	if err != nil {
		s.problem("%s: %s: %q is not a duration, so it cannot be scaled", w, p, string(v))
		return v
	}
	to := s.dur(d)
	if d > 0 && to < floor {
		s.problem("%s: %s: %s scales to %s, below the %s floor", w, p, string(v), FormatDuration(to), FormatDuration(floor))
	}
	return v1alpha1.DurationString(FormatDuration(to))
}

func (s *scaler) argoWindow(w string, p *field.Path, v v1alpha1.DurationString) v1alpha1.DurationString {
	return s.argoDuration(w, p, v, minScaledWindow)
}

func (s *scaler) metrics(w string, p *field.Path, ms []v1alpha1.Metric) {
	for i := range ms {
		m, mp := &ms[i], p.Index(i)
		m.Interval = s.argoWindow(w, mp.Child("interval"), m.Interval)
		m.InitialDelay = s.argoDuration(w, mp.Child("initialDelay"), m.InitialDelay, 0)
		pp := mp.Child("provider")
		if pr := m.Provider.Prometheus; pr != nil {
			pr.Query = s.query(w, pp.Child("prometheus", "query"), pr.Query)
			if rq := pr.RangeQuery; rq != nil {
				rp := pp.Child("prometheus", "rangeQuery")
				rq.Start = s.durationCalls(w, rp.Child("start"), rq.Start)
				rq.End = s.durationCalls(w, rp.Child("end"), rq.End)
				rq.Step = s.argoWindow(w, rp.Child("step"), rq.Step)
			}
		}
		if j := m.Provider.Judge; j != nil {
			jp := pp.Child("judge")
			if j.Window == "" {
				j.Window = v1alpha1.DurationString(FormatDuration(judgeWindow))
			}
			if j.Step == "" {
				j.Step = v1alpha1.DurationString(FormatDuration(judgeStep))
			}
			j.Window = s.argoWindow(w, jp.Child("window"), j.Window)
			j.Step = s.argoWindow(w, jp.Child("step"), j.Step)
			for k := range j.Metrics {
				q, qp := &j.Metrics[k], jp.Child("metrics").Index(k)
				q.Canary = s.query(w, qp.Child("canary"), q.Canary)
				q.Baseline = s.query(w, qp.Child("baseline"), q.Baseline)
			}
		}
		if j := m.Provider.Job; j != nil && j.Spec.ActiveDeadlineSeconds != nil {
			// The deadline races the Job's pods, whose run (spec.jobs) scales.
			d := int64(s.seconds(w, pp.Child("job", "spec", "activeDeadlineSeconds"), int32(min(*j.Spec.ActiveDeadlineSeconds, math.MaxInt32))))
			j.Spec.ActiveDeadlineSeconds = &d
		}
	}
}

func (s *scaler) query(w string, p *field.Path, q string) string {
	if strings.Contains(q, restartsMetric) {
		s.readsRestarts = true
	}
	out, probs := scaleQuery(q, s.f)
	for _, pr := range probs {
		s.problem("%s: %s: %s", w, p, pr)
	}
	return out
}

func (s *scaler) durationCalls(w string, p *field.Path, e string) string {
	out, probs := scaleDurationCalls(e, s.f)
	for _, pr := range probs {
		s.problem("%s: %s: %s", w, p, pr)
	}
	return out
}
