package scenarios

import (
	"bytes"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// restartsMetric is the series whose counts follow the kubelet's restart back-off.
const restartsMetric = "kube_pod_container_status_restarts_total"

// Scale returns a copy of sc that runs f times as long (0 < f <= 1): every duration of the
// scenario and of its Argo manifests is multiplied by f, and every rate per second by 1/f, so that
// a wall-clock run keeps the proportions, and so the outcome, of the virtual-time one. f = 1
// returns an equal deep copy; sc is never changed. What scales, what does not and why is in
// docs/scenarios.md ("Time scale").
//
// A scaled duration that the real system cannot honour, or a duration that cannot be scaled, is a
// problem: Scale returns Problems, one line each with the file and field path, and no scenario.
func Scale(sc *Scenario, f float64) (*Scenario, error) {
	if math.IsNaN(f) || f <= 0 || f > 1 {
		return nil, Problems{fmt.Sprintf("%s: time scale %v: want 0 < f <= 1", sc.Source, f)}
	}
	out := sc.deepCopy()
	if f == 1 {
		return out, nil
	}
	s := &scaler{f: f}
	s.spec(out)
	for _, o := range out.Objects {
		s.object(o)
	}
	s.restartCadence(out)
	if len(s.probs) > 0 {
		return nil, s.probs
	}
	return out, nil
}

type scaler struct {
	f     float64
	probs Problems
	// readsRestarts is set when a policy query counts container restarts.
	readsRestarts bool
}

func (s *scaler) problem(format string, args ...any) {
	s.probs = append(s.probs, fmt.Sprintf(format, args...))
}

func (s *scaler) dur(d time.Duration) time.Duration { return scaleDuration(d, s.f) }

// window scales a duration that must stay at least minScaledWindow; where names file and field.
func (s *scaler) window(where string, d time.Duration) time.Duration {
	to := s.dur(d)
	if d > 0 && to < minScaledWindow {
		s.problem("%s: %s scales to %s, below the %s floor", where, FormatDuration(d), FormatDuration(to), FormatDuration(minScaledWindow))
	}
	return to
}

func (s *scaler) spec(sc *Scenario) {
	src, sp, p := sc.Source, &sc.Spec, field.NewPath("spec")
	at := func(fp *field.Path) string { return src + ": " + fp.String() }
	sp.MaxDuration.Duration = s.dur(sp.MaxDuration.Duration)
	if sp.Traffic.Pattern == "diurnal" {
		s.problem("%s: traffic pattern diurnal has a fixed 24h cycle, which cannot be scaled: use sine with a period", at(p.Child("traffic", "pattern")))
	}
	sp.Traffic.RPS /= s.f
	sp.Traffic.Period.Duration = s.dur(sp.Traffic.Period.Duration)
	sp.Metrics.ScrapeInterval.Duration = s.window(at(p.Child("metrics", "scrapeInterval")), sp.Metrics.ScrapeInterval.Duration)
	if sp.Metrics.Replay != "" {
		s.problem("%s: the recording's sample times do not scale, so scaled windows would read it at the wrong pace", at(p.Child("metrics", "replay")))
	}
	sp.Metrics.Shift.Duration = s.dur(sp.Metrics.Shift.Duration)
	s.versions(sp.Versions)
	s.entries(sp.Timeline)
	for _, d := range []*Duration{sp.Expect.DetectionWithin, sp.Expect.RollbackWithin} {
		if d != nil {
			d.Duration = s.dur(d.Duration)
		}
	}
	if h := sp.Healthy; h != nil {
		s.versions(h.Versions)
		s.entries(h.Timeline)
	}
	s.jobs(sp.Jobs)
}

// jobs scales how long each Job's pod runs. The back-off between the pods of a failing Job is
// Kubernetes' constant (10s doubling) and stays, as the kubelet's restart back-off does: a scaled
// failing Job reaches Failed later, in proportion, with the same outcome.
func (s *scaler) jobs(js map[string]Job) {
	for name, j := range js {
		j.Duration.Duration = s.dur(j.Duration.Duration)
		js[name] = j
	}
}

func (s *scaler) versions(vs map[string]Version) {
	for name, v := range vs {
		v.Startup.Duration = s.dur(v.Startup.Duration)
		vs[name] = v
	}
}

func (s *scaler) entries(tl []Entry) {
	for i := range tl {
		e := &tl[i]
		e.At.Duration = s.dur(e.At.Duration)
		e.Duration.Duration = s.dur(e.Duration.Duration)
		if e.Fault == FaultMemoryLeak && e.Rate.IsSet() {
			// Bytes per second: the leak must reach the limit in f of the time.
			bytesPerSecond := int64(math.Round(e.Rate.Float() / s.f))
			e.Rate = Quantity{*resource.NewQuantity(bytesPerSecond, e.Rate.Format), true}
		}
	}
}

// restartCadence reports faults that restart containers when a policy counts restarts: the
// kubelet's back-off (10 s doubling to 5 m) and a crash loop's 2 s run are not scenario fields,
// so restarts would come 1/f times too rarely for the scaled windows that count them.
func (s *scaler) restartCadence(sc *Scenario) {
	if !s.readsRestarts {
		return
	}
	for i, e := range sc.Spec.Timeline {
		switch e.Fault {
		case FaultCrashLoop, FaultOOM, FaultMemoryLeak:
			s.problem("%s: %s: %s restarts containers on the kubelet's back-off (10s doubling to 5m), which does not scale, and a policy counts %s",
				sc.Source, field.NewPath("spec", "timeline").Index(i).Child("fault"), e.Fault, restartsMetric)
		}
	}
}

func (sc *Scenario) deepCopy() *Scenario {
	out := *sc
	out.Spec = sc.Spec.deepCopy()
	if sc.Objects != nil {
		out.Objects = make([]Object, len(sc.Objects))
		for i, o := range sc.Objects {
			out.Objects[i] = Object{Object: o.Object.DeepCopyObject().(client.Object), Source: o.Source}
		}
	}
	out.ReplayData = bytes.Clone(sc.ReplayData)
	return &out
}

func (s Spec) deepCopy() Spec {
	if s.Seed != nil {
		seed := *s.Seed
		s.Seed = &seed
	}
	s.Manifests = slices.Clone(s.Manifests)
	s.Versions = copyVersions(s.Versions)
	s.Timeline = copyEntries(s.Timeline)
	s.Expect.DetectionWithin = copyPtr(s.Expect.DetectionWithin)
	s.Expect.RollbackWithin = copyPtr(s.Expect.RollbackWithin)
	s.Expect.MaxUserErrors = copyPtr(s.Expect.MaxUserErrors)
	if h := s.Healthy; h != nil {
		s.Healthy = &Healthy{Versions: copyVersions(h.Versions), Timeline: copyEntries(h.Timeline)}
	}
	if s.Jobs != nil {
		jobs := make(map[string]Job, len(s.Jobs))
		for k, j := range s.Jobs {
			j.FailFor = slices.Clone(j.FailFor)
			jobs[k] = j
		}
		s.Jobs = jobs
	}
	s.Conformance = copyPtr(s.Conformance)
	return s
}

func copyPtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

func copyVersions(vs map[string]Version) map[string]Version {
	if vs == nil {
		return nil
	}
	out := make(map[string]Version, len(vs))
	for k, v := range vs {
		v.ErrorRate = copyPtr(v.ErrorRate)
		v.Memory.Start.Quantity = v.Memory.Start.DeepCopy()
		v.Memory.Limit.Quantity = v.Memory.Limit.DeepCopy()
		out[k] = v
	}
	return out
}

func copyEntries(tl []Entry) []Entry {
	if tl == nil {
		return nil
	}
	out := make([]Entry, len(tl))
	for i, e := range tl {
		e.Rate.Quantity = e.Rate.DeepCopy()
		if u := e.Update; u != nil {
			e.Update = &Update{Image: u.Image, Args: slices.Clone(u.Args), Env: maps.Clone(u.Env), Version: u.Version}
		}
		out[i] = e
	}
	return out
}

// objectName names a manifest object in messages as validation does: "file: Kind name".
func objectName(o Object) string {
	kind := o.Object.GetObjectKind().GroupVersionKind().Kind
	if kind == "" {
		kind = strings.TrimPrefix(fmt.Sprintf("%T", o.Object), "*v1alpha1.")
	}
	return fmt.Sprintf("%s: %s %s", o.Source, kind, o.Object.GetName())
}
