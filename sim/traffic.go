package sim

import (
	"math"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

// share is one pod's fraction of its rollout's requests; a share without a pod is requests sent
// where no pod is ready, which fail.
type share struct {
	p      *pod
	frac   float64
	canary bool
}

// traffic models the requests users send: how many per second, and which pods they reach.
// Requests are accrued piecewise: whenever the split is about to change, what was served under
// the old split is drawn first.
type traffic struct {
	w     *World
	last  time.Time
	split []share
	// mirror are copies of requests a mirror route sends to pods: served (and seen in their
	// metrics) but not answered to users.
	mirror []share
	dirty  bool
	// canaryFrac is the canary's share of all requests under the current split.
	canaryFrac float64
}

func newTraffic(w *World) *traffic { return &traffic{w: w, last: w.clock.Now(), dirty: true} }

// invalidate marks the split for recomputation; callers accrue first.
func (t *traffic) invalidate() {
	t.accrue()
	t.dirty = true
	t.w.obs.trafficMayHaveChanged()
}

// rate is the offered load in requests per second at elapsed time d.
func (t *traffic) rate(d time.Duration) float64 {
	tr := t.w.sc.Spec.Traffic
	switch tr.Pattern {
	case "sine":
		period := tr.Period.Duration
		if period <= 0 {
			period = time.Hour
		}
		return math.Max(0, tr.RPS*(1+tr.Amplitude*math.Sin(2*math.Pi*d.Seconds()/period.Seconds())))
	case "diurnal":
		// Lowest at 04:00, highest at 16:00 virtual time of day.
		day := 24 * time.Hour
		phase := 2 * math.Pi * (float64((d+Epoch.Sub(Epoch.Truncate(day)))%day)/float64(day) - 4.0/24)
		amp := tr.Amplitude
		if amp == 0 {
			amp = 0.5
		}
		return math.Max(0, tr.RPS*(1-amp*math.Cos(phase)))
	default:
		return tr.RPS
	}
}

// accrue draws the requests served since the last accrual under the current split.
func (t *traffic) accrue() {
	now := t.w.now()
	dt := now.Sub(t.last)
	if dt <= 0 {
		return
	}
	if t.w.processes() {
		t.last = now // real requests: vegeta sends them and the router counts them
		return
	}
	split := t.current()
	mid := t.last.Add(dt / 2).Sub(t.w.clock.origin)
	perRollout := t.rate(mid) * dt.Seconds()
	for _, s := range split {
		if s.p == nil {
			t.fail(perRollout * s.frac)
			continue
		}
		t.w.app.serve(s.p, perRollout*s.frac, t.last, s.canary)
	}
	if len(t.mirror) > 0 {
		users := t.w.app.totals
		for _, s := range t.mirror {
			t.w.app.serve(s.p, perRollout*s.frac, t.last, s.canary)
		}
		t.w.app.totals = users
	}
	t.last = now
}

// fail counts requests that reached no pod: each one fails.
func (t *traffic) fail(lambda float64) {
	if lambda <= 0 {
		return
	}
	n := int64(poisson(lambda, t.w))
	t.w.app.totals.Total += n
	t.w.app.totals.Failed += n
}

// current returns the split, recomputing it when something changed.
func (t *traffic) current() []share {
	if !t.dirty {
		return t.split
	}
	t.dirty = false
	t.split = t.split[:0]
	t.mirror = t.mirror[:0]
	var canary, total float64
	for _, o := range t.w.store.Objects(rolloutGVK) {
		ro := o.(*v1alpha1.Rollout)
		shares, mirrors, routed := t.routedSplit(ro)
		if !routed {
			shares = t.replicaSplit(ro)
		}
		t.mirror = append(t.mirror, mirrors...)
		for _, s := range shares {
			total += s.frac
			if s.canary {
				canary += s.frac
			}
		}
		t.split = append(t.split, shares...)
	}
	t.canaryFrac = 0
	if total > 0 {
		t.canaryFrac = canary / total
	}
	return t.split
}

// replicaSplit is the replica-based split: every ready pod of the rollout gets an equal share,
// as a Service spreading connections over its endpoints would.
func (t *traffic) replicaSplit(ro *v1alpha1.Rollout) []share {
	var pods []*pod
	for _, rs := range t.w.work.replicaSetsOf(ro) {
		pods = append(pods, t.w.work.servingPods(rs)...)
	}
	if len(pods) == 0 {
		return nil
	}
	out := make([]share, 0, len(pods))
	for _, p := range pods {
		out = append(out, share{p: p, frac: 1 / float64(len(pods)), canary: isCanary(ro, p)})
	}
	return out
}

// isCanary says whether a pod runs a revision other than the rollout's stable one.
func isCanary(ro *v1alpha1.Rollout, p *pod) bool {
	return ro.Status.StableRS != "" && p.hash != ro.Status.StableRS
}

// canaryShare is the canary's share of all requests now.
func (t *traffic) canaryShare() float64 {
	t.current()
	return t.canaryFrac
}

// replicaSetsOf lists the ReplicaSets a rollout owns, sorted by name.
func (wl *workload) replicaSetsOf(ro *v1alpha1.Rollout) []types.NamespacedName {
	var out []types.NamespacedName
	for _, o := range wl.w.store.OwnedBy(replicaSetGVK, ro.UID) { // the owner index, not a scan
		out = append(out, client.ObjectKeyFromObject(o))
	}
	return out
}
