package sim

import (
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// Termination reasons, as the kubelet writes them in lastState.terminated.reason.
const (
	reasonOOMKilled = "OOMKilled"
	reasonError     = "Error"
)

// The kubelet's restart back-off: 10s doubling to 5m, reset after 10 minutes of running.
const (
	backoffInitial = 10 * time.Second
	backoffMax     = 5 * time.Minute
	backoffReset   = 10 * time.Minute
	// crashAfter is how long a crash-looping process runs before it exits.
	crashAfter = 2 * time.Second
)

// container is the pod's app container as the kubelet runs it. A restart is a new container:
// gen changes, and events scheduled for the old one (ready, OOM, crash) find it gone.
type container struct {
	gen      int
	running  bool
	started  time.Time
	restarts int32
	// lastReason is the reason of the last termination ("" before the first).
	lastReason string
	// crashes counts terminations since the container last ran backoffReset without one.
	crashes int
	// The working set is memAt at memFrom, growing at leak bytes per second since.
	memAt   float64
	memFrom time.Time
	leak    float64
}

// memory is the container's working set now, capped at the limit (where the kernel kills it).
func (p *pod) memory(now time.Time) float64 {
	if !p.ctr.running {
		return 0
	}
	m := p.ctr.memAt + p.ctr.leak*now.Sub(p.ctr.memFrom).Seconds()
	if lim := p.behaviour.Memory.Limit.Float(); m > lim {
		return lim
	}
	return m
}

// startContainer is the kubelet starting (or restarting) the app: counters start from zero as
// in a new process, and the container is ready after its version's startup time unless a
// crash-loop fault makes it exit first.
func (wl *workload) startContainer(p *pod) {
	if wl.w.processes() {
		wl.w.rtStartContainer(p)
		return
	}
	now := wl.w.now()
	c := &p.ctr
	c.gen++
	c.running, c.started = true, now
	c.memAt, c.memFrom, c.leak = p.behaviour.Memory.Start.Float(), now, 0
	p.metrics = nil
	gen := c.gen
	if wl.w.faults.crashLooping(p) {
		wl.w.after(crashAfter, func() {
			if !p.gone && p.ctr.gen == gen && p.ctr.running {
				wl.terminate(p, reasonError)
			}
		})
	} else {
		wl.w.after(p.behaviour.Startup.Duration, func() {
			if p.ctr.gen == gen {
				wl.markReady(p)
			}
		})
	}
	wl.leakChanged(p)
}

// leakChanged recomputes the container's leak after a memory-leak fault started or ended, or
// the container started, and schedules the OOM kill for when the working set reaches the limit.
func (wl *workload) leakChanged(p *pod) {
	if wl.w.processes() {
		return // a real process leaks (its knob follows the faults) and exits by itself
	}
	now := wl.w.now()
	c := &p.ctr
	c.memAt, c.memFrom = p.memory(now), now
	c.leak = wl.w.faults.leakRate(p)
	if c.leak <= 0 {
		return
	}
	lim := p.behaviour.Memory.Limit.Float()
	d := time.Duration((lim - c.memAt) / c.leak * float64(time.Second))
	gen, from := c.gen, c.memFrom
	wl.w.after(max(d, 0), func() {
		// Stale if the container restarted or the leak changed meanwhile.
		if !p.gone && p.ctr.gen == gen && p.ctr.running && p.ctr.memFrom.Equal(from) {
			wl.terminate(p, reasonOOMKilled)
		}
	})
}

// terminate is the container exiting (killed by the kernel, or crashing): the pod turns
// unready and stops getting requests, and the kubelet restarts it after its back-off.
func (wl *workload) terminate(p *pod, reason string) {
	if p.gone || !p.ctr.running {
		return
	}
	if wl.w.processes() {
		wl.w.rt.kubelet.Kill(p.key, p.ctr.gen) // a no-op when the process already exited
	}
	now := wl.w.now()
	wasReady := p.ready
	if wasReady {
		wl.w.traffic.accrue()
	}
	c := &p.ctr
	if now.Sub(c.started) >= backoffReset {
		c.crashes = 0
	}
	c.crashes++
	c.running, c.lastReason = false, reason
	c.gen++
	p.ready = false
	wl.w.obs.event("ContainerTerminated", fmt.Sprintf("pod %s container %s: %s, restart %d", p.key.Name, p.container(), reason, c.restarts+1))
	delay := min(backoffInitial<<(c.crashes-1), backoffMax)
	gen := c.gen
	wl.w.after(delay, func() {
		if !p.gone && p.ctr.gen == gen {
			p.ctr.restarts++
			wl.startContainer(p)
			wl.writePodStatus(p)
		}
	})
	wl.writePodStatus(p)
	if wasReady {
		wl.w.traffic.invalidate()
	}
	wl.syncStatusSoon(p.rs)
}

// writePodStatus writes the pod's status as the kubelet reports it: readiness, restart count,
// the current and the last container state.
func (wl *workload) writePodStatus(p *pod) {
	if wl.w.onRealAPI() {
		wl.w.raPublishPod(p) // kubeletsim writes it
		return
	}
	obj := &corev1.Pod{}
	if err := wl.w.client.Get(wl.w.ctx, p.key, obj); err != nil {
		return // deleted meanwhile
	}
	now := metav1.NewTime(wl.w.now())
	cond := corev1.ConditionFalse
	if p.ready {
		cond = corev1.ConditionTrue
	}
	obj.Status.Phase = corev1.PodRunning
	obj.Status.PodIP = p.ip
	obj.Status.StartTime = &metav1.Time{Time: p.created}
	obj.Status.Conditions = []corev1.PodCondition{
		{Type: corev1.PodReady, Status: cond, LastTransitionTime: now},
		{Type: corev1.ContainersReady, Status: cond, LastTransitionTime: now},
	}
	obj.Status.ContainerStatuses = obj.Status.ContainerStatuses[:0]
	for i, c := range obj.Spec.Containers {
		cs := corev1.ContainerStatus{Name: c.Name, Image: c.Image, Ready: true, Started: ptr.To(true),
			State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: now}}}
		if i == 0 {
			cs.Ready, cs.RestartCount = p.ready, p.ctr.restarts
			cs.State = corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.NewTime(p.ctr.started)}}
			if !p.ctr.running {
				cs.Started = ptr.To(false)
				cs.State = corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff"}}
			}
			if p.ctr.lastReason != "" {
				code := int32(1)
				if p.ctr.lastReason == reasonOOMKilled {
					code = 137
				}
				cs.LastTerminationState = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
					Reason: p.ctr.lastReason, ExitCode: code, FinishedAt: now,
				}}
			}
		}
		obj.Status.ContainerStatuses = append(obj.Status.ContainerStatuses, cs)
	}
	if err := wl.w.client.Status().Update(wl.w.ctx, obj); err != nil {
		wl.w.fail(fmt.Errorf("writing status of pod %s: %w", p.key, err))
	}
}
