package sim

import (
	"fmt"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/canarydrill/canarydrill/fakeprom"
)

// The kubelet's part in a wall-clock run: the ReplicaSet controller's pods get real processes
// from the Kubelet; their readiness, exits and restarts come back through ContainerEvents; the
// faults active on each pod become its app's knobs; kube-state-metrics' and cAdvisor's series
// are written at every scrape interval, and the apps are scraped over HTTP.

// appPort is the container port every pod's scrape target names as its instance, as a pod's
// IP and port would: the instance stays the same across restarts, so rate() sees counter resets.
const appPort = "8080"

// rtStartContainer starts (or restarts) a pod's container as a process.
func (w *World) rtStartContainer(p *pod) {
	rt := w.rt
	c := &p.ctr
	c.gen++
	c.running, c.started = true, w.now()
	c.memAt, c.memFrom, c.leak = 0, w.now(), 0
	p.metrics = nil
	addr, ok := rt.addrs[p.key]
	if !ok {
		a, err := rt.kubelet.Admit(p.key)
		if err != nil {
			w.fail(fmt.Errorf("starting pod %s: %w", p.key.Name, err))
			return
		}
		addr, rt.addrs[p.key], rt.targetsDirty = a, a, true
	}
	f := w.appFaults(p)
	rt.pushed[p.key] = pushedFaults{gen: c.gen, f: f}
	rt.kubelet.Start(Container{
		Pod: p.key, Gen: c.gen, Addr: addr,
		Version: p.version, Behaviour: p.behaviour, Args: w.podArgs(p),
		CrashOnStart: w.faults.crashLooping(p),
		Faults:       f,
		Seed:         w.rng.Uint64(),
	}, w)
}

// podArgs are the arguments of the pod's first container.
func (w *World) podArgs(p *pod) []string {
	if o := w.store.Peek(podGVK, p.key); o != nil {
		if cs := o.(*corev1.Pod).Spec.Containers; len(cs) > 0 {
			return append([]string(nil), cs[0].Args...)
		}
	}
	return nil
}

// ContainerReady implements ContainerEvents: the pod turns ready once its version's startup time
// has passed too (a readiness probe's initial delay).
func (w *World) ContainerReady(key types.NamespacedName, gen int) {
	w.post(func() {
		p := w.work.pods[key]
		if p == nil || p.ctr.gen != gen || !p.ctr.running {
			return
		}
		at := p.ctr.started.Add(p.behaviour.Startup.Duration)
		if !at.After(w.now()) {
			w.work.markReady(p)
			return
		}
		w.q.add(at, "", func() {
			if p.ctr.gen == gen {
				w.work.markReady(p)
			}
		})
	})
}

// ContainerExited implements ContainerEvents: the kubelet's termination, then its back-off.
func (w *World) ContainerExited(key types.NamespacedName, gen int, reason string) {
	w.post(func() {
		if p := w.work.pods[key]; p != nil && p.ctr.gen == gen {
			w.work.terminate(p, reason)
		}
	})
}

// rtRemovePod ends a deleted pod's process.
func (w *World) rtRemovePod(p *pod) {
	rt := w.rt
	rt.kubelet.Remove(p.key)
	delete(rt.addrs, p.key)
	delete(rt.pushed, p.key)
	rt.targetsDirty = true
}

// appFaults are the knobs of a pod's app from the faults active on it now.
func (w *World) appFaults(p *pod) AppFaults {
	e := w.faults.effects(p, w.now())
	return AppFaults{
		ErrorRate: e.errorRate, ErrorCode: e.errorCode,
		LatencyAdd: e.latencyAdd, LatencyFactor: e.latencyFactor,
		BusinessFailure:    e.businessFailure,
		LeakBytesPerSecond: w.faults.leakRate(p),
	}
}

// rtSyncFaults sends every running app the knobs it should have now: faults start and end, and
// a canary promoted to stable stops being a canary fault's target.
func (w *World) rtSyncFaults() {
	rt := w.rt
	for _, p := range w.work.allPods() {
		if !p.ctr.running {
			continue
		}
		f := w.appFaults(p)
		if last := rt.pushed[p.key]; last.gen == p.ctr.gen && last.f == f {
			continue
		}
		rt.pushed[p.key] = pushedFaults{gen: p.ctr.gen, f: f}
		rt.kubelet.SetFaults(p.key, p.ctr.gen, f)
	}
}

// rtSyncTargets gives the scraper every live pod, with the default preset's labels.
func (w *World) rtSyncTargets() {
	rt := w.rt
	if !rt.targetsDirty {
		return
	}
	rt.targetsDirty = false
	var targets []fakeprom.Target
	for _, p := range w.work.allPods() {
		addr := rt.addrs[p.key]
		if addr == "" {
			continue
		}
		b := labels.NewBuilder(w.work.seriesOf(p).base)
		b.Set(model.InstanceLabel, p.ip+":"+appPort)
		targets = append(targets, fakeprom.Target{URL: "http://" + addr + "/metrics", Labels: b.Labels()})
	}
	if err := rt.scraper.SetTargets(targets); err != nil {
		w.fail(fmt.Errorf("scrape targets: %w", err))
	}
}

// rtScheduleScrapes starts the kubelet's series at time zero.
func (w *World) rtScheduleScrapes() { w.q.add(w.now(), "", w.rtScrape) }

// rtScrape writes kube-state-metrics' and cAdvisor's series of every pod (the working set is the
// process's own) and the staleness markers of pods gone since the last time.
func (w *World) rtScrape() {
	wl := w.work
	t := w.now().UnixMilli()
	for _, p := range wl.departed {
		if p.series != nil {
			for _, r := range p.series.all {
				w.prom.MarkStale(r, t)
			}
		}
	}
	wl.departed = wl.departed[:0]
	for _, p := range wl.allPods() {
		if p.ctr.running {
			if m, ok := w.rt.kubelet.Memory(p.key); ok {
				p.ctr.memAt, p.ctr.memFrom, p.ctr.leak = m, w.now(), 0
			}
		}
		wl.emitKube(p, wl.seriesOf(p), t)
	}
	w.q.add(w.now().Add(w.sc.Spec.Metrics.ScrapeInterval.Duration), "", w.rtScrape)
}
