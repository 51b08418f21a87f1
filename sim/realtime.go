package sim

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/canarydrill/canarydrill/fakeprom"
	"github.com/canarydrill/canarydrill/scenarios"
)

// A wall-clock run (a live drill): the same world, reconcilers, ReplicaSet controller, timeline
// and observer, with the event loop waiting on a real clock, containers run by a Kubelet (real
// processes), requests sent by a real load generator through a router that follows the routing
// table the loop publishes, and the app's series scraped over HTTP by fakeprom's Scraper.
//
// Every API access stays on the loop's goroutine: other goroutines post work to it (the
// Kubelet's reports, a trainee's commands through Do).

// Realtime configures a wall-clock run.
type Realtime struct {
	// Clock is the scenario's clock: Now starts at Epoch when the run starts, and timers and
	// tickers take scenario durations (a clock that runs faster than the wall shortens a drill).
	Clock clock.WithTicker
	// Kubelet runs the pods' containers.
	Kubelet Kubelet
	// OnRoutes is called on the loop whenever the focus Rollout's routing table changes.
	OnRoutes func(RouteTable)
	// KeepRunning keeps the loop going after the rollout settled, until Stop, the context's end
	// or maxDuration (a lab waits for its trainee).
	KeepRunning bool
	// ScrapeOptions configure the scrapes of the apps beyond the scenario's interval.
	ScrapeOptions []fakeprom.ScrapeOption
}

// Kubelet runs pods' app containers for a wall-clock run. Rates are per scenario second. It
// reports through ContainerEvents, from any goroutine.
type Kubelet interface {
	// Admit takes a new pod and returns the address its app serves on for the pod's life:
	// restarts keep it, as a pod keeps its IP.
	Admit(pod types.NamespacedName) (addr string, err error)
	// Start starts container generation c.Gen of a pod; Ready or Exited follows.
	Start(c Container, ev ContainerEvents)
	// Kill ends the pod's container gen (an OOM kill or a crash the scenario injects); no Exited
	// follows. A container that already exited is left alone.
	Kill(pod types.NamespacedName, gen int)
	// SetFaults switches the running app's knobs.
	SetFaults(pod types.NamespacedName, gen int, f AppFaults)
	// Memory is the running container's working set in bytes.
	Memory(pod types.NamespacedName) (float64, bool)
	// Remove ends a deleted pod: its container stops and its address is released.
	Remove(pod types.NamespacedName)
}

// ContainerEvents is what a Kubelet reports: the World implements it.
type ContainerEvents interface {
	// ContainerReady says the app of container gen answers its health check.
	ContainerReady(pod types.NamespacedName, gen int)
	// ContainerExited says container gen ended by itself, with the kubelet's reason
	// (OOMKilled for exit code 137, Error otherwise).
	ContainerExited(pod types.NamespacedName, gen int, reason string)
}

// Container is one start of a pod's app container.
type Container struct {
	Pod  types.NamespacedName
	Gen  int
	Addr string
	// Version names the scenario version the pod runs, and Behaviour is how it behaves.
	Version   string
	Behaviour scenarios.Version
	// Args are the pod template's first container's arguments (the seed's -text=...).
	Args []string
	// CrashOnStart: a crash-loop fault makes the container exit as soon as it starts.
	CrashOnStart bool
	// Faults are the app's knobs at start.
	Faults AppFaults
	// Seed seeds the app's request draws.
	Seed uint64
}

// AppFaults are the fault knobs of one app process, from the faults active on its pod.
type AppFaults struct {
	ErrorRate       float64
	ErrorCode       int
	LatencyAdd      time.Duration
	LatencyFactor   float64
	BusinessFailure float64
	// LeakBytesPerSecond is the memory-leak rate per scenario second.
	LeakBytesPerSecond float64
}

// ReasonOOMKilled and ReasonError are the kubelet's termination reasons a Kubelet reports.
const (
	ReasonOOMKilled = reasonOOMKilled
	ReasonError     = reasonError
)

// realtime is the state of a wall-clock run.
type realtime struct {
	Realtime
	kubelet Kubelet
	posted  chan func()
	done    chan struct{}
	stopped bool

	scraper      *fakeprom.Scraper
	addrs        map[types.NamespacedName]string
	pushed       map[types.NamespacedName]pushedFaults
	targetsDirty bool
	routes       *RouteTable
	// api is set against a real API server (realapi.go); a drill there has a kubelet too.
	api *realAPI
}

type pushedFaults struct {
	gen int
	f   AppFaults
}

// maxEventsPerBatch stops a wall-clock run whose reconcilers keep writing, as
// maxEventsPerInstant does in virtual time.
const maxEventsPerBatch = maxEventsPerInstant

// NewRealtime builds the world of a wall-clock run; RunRealtime runs it.
func NewRealtime(ctx context.Context, sc *scenarios.Scenario, seed int64, cfg Realtime) (*World, error) {
	if cfg.Clock == nil || cfg.Kubelet == nil {
		return nil, errors.New("sim: a wall-clock run needs a Clock and a Kubelet")
	}
	rt := &realtime{
		Realtime: cfg,
		kubelet:  cfg.Kubelet,
		posted:   make(chan func(), 1024),
		done:     make(chan struct{}),
		addrs:    map[types.NamespacedName]string{},
		pushed:   map[types.NamespacedName]pushedFaults{},
	}
	w, err := newWorld(ctx, sc, seed, rt)
	if err != nil {
		return nil, err
	}
	rt.scraper = newAppScraper(w, cfg.ScrapeOptions)
	return w, nil
}

// newAppScraper scrapes the apps' /metrics into the world's fakeprom at the scenario's interval.
func newAppScraper(w *World, extra []fakeprom.ScrapeOption) *fakeprom.Scraper {
	interval := w.sc.Spec.Metrics.ScrapeInterval.Duration
	opts := append([]fakeprom.ScrapeOption{fakeprom.WithScrapeInterval(interval), fakeprom.WithScrapeTimeout(interval)}, extra...)
	return fakeprom.NewScraper(w.prom, w.rt.Clock, opts...)
}

// RunRealtime runs the loop on the real clock until the rollout settled (unless KeepRunning),
// Stop, maxDuration or the end of ctx (its error is returned; Report still describes the run so
// far). Nothing of the run goes on after it returns but the Kubelet's processes, which are the
// caller's.
func (w *World) RunRealtime(ctx context.Context) error {
	rt := w.rt
	if rt == nil {
		return errors.New("sim: RunRealtime on a virtual-time world")
	}
	scrapeCtx, stopScrapes := context.WithCancel(ctx)
	scraped := make(chan struct{})
	go func() {
		defer close(scraped)
		if rt.scraper != nil {
			rt.scraper.Run(scrapeCtx)
		}
	}()
	defer func() {
		close(rt.done)
		stopScrapes()
		<-scraped
	}()
	for {
		w.clock.advance(rt.Clock.Now())
		if err := w.runBatch(); err != nil {
			return err
		}
		// Not sticky: a trainee's command can start a new update after the rollout settled.
		if w.settled = w.isSettled(); w.settled && !rt.KeepRunning {
			return nil
		}
		if rt.stopped || !w.now().Before(w.end) {
			return nil
		}
		next := w.end
		if at, ok := w.q.peek(); ok && at.Before(next) {
			next = at
		}
		timer := rt.Clock.NewTimer(next.Sub(w.now()))
		select {
		case <-ctx.Done():
			timer.Stop()
			return ctx.Err()
		case f := <-rt.posted:
			w.clock.advance(rt.Clock.Now())
			f()
		case <-timer.C():
		}
		timer.Stop()
	}
}

// runBatch runs every event due by now and everything posted, then publishes what changed.
func (w *World) runBatch() error {
	rt := w.rt
	n := 0
	for {
		e := w.dueEvent()
		if e == nil {
			select {
			case f := <-rt.posted:
				f()
			default:
				w.afterBatch()
				return w.err
			}
		} else {
			e.run()
		}
		if w.err != nil {
			return w.err
		}
		if n++; n > maxEventsPerBatch {
			return fmt.Errorf("more than %d events at %s: a reconciler keeps writing", maxEventsPerBatch, w.sinceStart(w.now()))
		}
	}
}

// dueEvent pops the next live event due by now, or returns nil.
func (w *World) dueEvent() *event {
	for {
		at, ok := w.q.peek()
		if !ok || at.After(w.now()) || at.After(w.end) {
			return nil
		}
		if e := w.q.take(w.q.pop()); e != nil {
			return e
		}
	}
}

// afterBatch is the end of an instant in a wall-clock run: the observer's traffic check, then
// what the processes, the router and the scraper must follow.
func (w *World) afterBatch() {
	w.obs.endOfInstant()
	if w.onRealAPI() {
		w.raAfterBatch()
	}
	if !w.processes() {
		return
	}
	w.rtPublishRoutes()
	w.rtSyncFaults()
	w.rtSyncTargets()
}

// post hands f to the loop; false when the run has ended.
func (w *World) post(f func()) bool {
	select {
	case w.rt.posted <- f:
		return true
	case <-w.rt.done:
		return false
	}
}

// Do runs f on the loop with the world's API client, and waits for it: the way other goroutines
// read or change the API of a running drill. It returns false when the run ended first.
func (w *World) Do(f func(ctx context.Context, c client.Client)) bool {
	ran := make(chan struct{})
	if !w.post(func() { f(w.ctx, w.client); close(ran) }) {
		return false
	}
	select {
	case <-ran:
		return true
	case <-w.rt.done:
		return false
	}
}

// Stop ends a wall-clock run after the current batch.
func (w *World) Stop() { w.post(func() { w.rt.stopped = true }) }

// Elapsed is the scenario time since the run started.
func (w *World) Elapsed() time.Duration { return w.clock.Elapsed() }

// pop removes the earliest event, live or not.
func (q *queue) pop() *event { return heap.Pop(&q.h).(*event) }

// advance moves the clock to t if t is later: a wall-clock run runs each event when the loop
// gets to it, at or after its due time.
func (c *Clock) advance(t time.Time) {
	if t.After(c.now) {
		c.now = t
	}
}

// Apply does a timeline entry now, as the timeline does at an entry's time: an update, a fault
// or an operator's action. It is how a trainee's commands reach a running lab; call it on the
// loop (inside Do). Unlike the timeline's, its errors (a rollout that does not exist, a verb
// that does not apply) are the caller's to show, not the end of the run.
func (w *World) Apply(e scenarios.Entry) error {
	tl := w.timeline
	key := tl.target(e)
	switch {
	case e.Update != nil:
		if err := tl.update(key, e.Update); err != nil {
			return err
		}
		w.obs.event("TimelineUpdate", describeUpdate(key.Name, e.Update))
	case e.Fault != "":
		w.faults.start(e)
		w.obs.event("FaultStarted", describeFault(e))
	case e.Action != "":
		if err := tl.act(key, e.Action); err != nil {
			return err
		}
		w.obs.event("TimelineAction", fmt.Sprintf("kubectl argo rollouts %s %s", e.Action, key.Name))
	}
	return nil
}
