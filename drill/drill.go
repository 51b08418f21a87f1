package drill

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/canarydrill/canarydrill/drill/kubelet"
	"github.com/canarydrill/canarydrill/drill/load"
	"github.com/canarydrill/canarydrill/drill/router"
	"github.com/canarydrill/canarydrill/realapi"
	"github.com/canarydrill/canarydrill/reports"
	"github.com/canarydrill/canarydrill/scenarios"
	"github.com/canarydrill/canarydrill/sim"
)

// The Kubernetes APIs a drill can run against.
const (
	// APIMemory is the in-memory API driven by the simulator's event loop on the wall clock.
	APIMemory = "memory"
	// APIReal is a control plane on loopback (kube-apiserver, kube-controller-manager, etcd)
	// with the controller under test reconciling there: ours under its controller-runtime
	// driver, or Argo Rollouts' own.
	APIReal = realapi.APIReal
)

// Window is the width of the report's per-window load figures, in scenario time.
const Window = 10 * time.Second

// Options configure a drill.
type Options struct {
	// Seed overrides the scenario's seed.
	Seed *int64
	// TimeScale is wall time per scenario time: 0.25 runs every duration of the scenario (its
	// timeline, pauses, analysis intervals and rate windows, scrape interval, start-up times)
	// four times faster, and sends four times the requests per wall second. Default 1.
	TimeScale float64
	// API is APIMemory (default) or APIReal.
	API string
	// Controller is the controller under test with APIReal: realapi.ControllerCanarydrill
	// (default) or realapi.ControllerArgo. Log gets its logs (default none).
	Controller string
	Log        logr.Logger
	// PodCommand runs the demo service (demoapp.Main): the program and its first arguments.
	PodCommand []string
	// PodEnv is added to the pods' environment.
	PodEnv []string
	// OnProgress, when set, gets a snapshot at most every ProgressEvery (default 500 ms).
	OnProgress    func(Progress)
	ProgressEvery time.Duration
	// Clock is the wall clock under the scenario's (default the real one); with APIReal the
	// control plane's clock is the real one whatever this is.
	Clock clock.WithTicker
	// KeepRunning keeps the drill going after the rollout settled, until Stop, the context's
	// end or maxDuration: a lab waits for its trainee.
	KeepRunning bool
}

// Progress is a drill's state for a live progress line.
type Progress struct {
	sim.Progress
	// Requests and Failed are what vegeta has seen answered so far.
	Requests, Failed uint64
}

// Result is a finished (or interrupted) drill.
type Result struct {
	Report *reports.Report
	// Interrupted says the context ended the drill before the scenario did.
	Interrupted bool
	// Addrs are every loopback address the drill listened on (router and pods); all are closed
	// when Run returns.
	Addrs []string
}

// Run runs a scenario as a drill. Every process it starts and every port it opens are gone when
// it returns, whatever ended it (the scenario, ctx, an error). An invalid scenario for a drill
// returns scenarios.Problems and runs nothing.
func Run(ctx context.Context, sc *scenarios.Scenario, o Options) (*Result, error) {
	s, err := Start(ctx, sc, o)
	if err != nil {
		return nil, err
	}
	return s.Wait()
}

// Session is a drill running in the background, for a caller that acts on it meanwhile (a lab).
type Session struct {
	p    *platform
	done chan struct{}
	res  *Result
	err  error
}

// Start starts a drill; Wait returns its result. Like Run, it leaves nothing behind once Wait
// has returned.
func Start(ctx context.Context, sc *scenarios.Scenario, o Options) (*Session, error) {
	if err := Check(sc, o); err != nil {
		return nil, err
	}
	o.defaults()
	seed := sc.SeedOr(scenarios.DefaultSeed)
	if o.Seed != nil {
		seed = *o.Seed
	}
	// Against a real API the world runs the scenario already scaled, leak rates included.
	podScale := o.TimeScale
	if o.API == APIReal {
		podScale = 1
	}
	kl, err := kubelet.New(kubelet.Options{Command: o.PodCommand, Env: o.PodEnv, TimeScale: podScale})
	if err != nil {
		return nil, err
	}
	p := &platform{o: o, sc: sc, kubelet: kl}
	if err := p.start(ctx, seed); err != nil {
		return nil, errors.Join(err, p.close())
	}
	s := &Session{p: p, done: make(chan struct{})}
	ran, reported := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(reported)
		p.reportProgress(ran)
	}()
	go func() {
		defer close(s.done)
		s.res, s.err = p.run(ctx)
		close(ran)
		<-reported // no progress line after the end
		if err := p.close(); err != nil && s.err == nil {
			s.res, s.err = nil, err
		}
		if s.res != nil {
			s.res.Addrs = append(p.kubelet.Addrs(), p.router.Addr())
		}
	}()
	return s, nil
}

// Do runs f on the drill's loop with its API client, and waits for it; false when the drill
// has ended.
func (s *Session) Do(f func(ctx context.Context, c client.Client)) bool { return s.p.backend.Do(f) }

// ErrEnded is what a Session's calls return once the drill has ended.
var ErrEnded = errors.New("the drill has ended")

// Apply does a timeline entry now: an update, a fault, an operator's action.
func (s *Session) Apply(e scenarios.Entry) error {
	var err error
	if !s.p.backend.Do(func(context.Context, client.Client) { err = s.p.backend.Apply(e) }) {
		return ErrEnded
	}
	return err
}

// Report is the report of the drill so far (its load figures come at the end).
func (s *Session) Report() (*reports.Report, error) {
	var r *reports.Report
	if !s.p.backend.Do(func(context.Context, client.Client) { r = s.p.backend.Report() }) {
		return nil, ErrEnded
	}
	return r, nil
}

// Stop ends the drill after the current batch of events.
func (s *Session) Stop() { s.p.backend.Stop() }

// Done is closed when the drill has ended and cleaned up.
func (s *Session) Done() <-chan struct{} { return s.done }

// Wait waits for the drill's end and its cleanup.
func (s *Session) Wait() (*Result, error) {
	<-s.done
	return s.res, s.err
}

// Check says whether a drill can run the scenario with these options: one problem a line, with
// the file and the field path.
func Check(sc *scenarios.Scenario, o Options) error {
	var probs scenarios.Problems
	switch o.API {
	case "", APIMemory:
		if o.Controller != "" {
			probs = append(probs, "--controller: only with --api real")
		}
	case APIReal:
		if err := realapi.Check(realapi.Options{Controller: o.Controller}); err != nil {
			probs = append(probs, err.Error())
		}
		if o.TimeScale >= 0 && o.TimeScale <= 1 {
			probs = append(probs, realapi.Unsupported(sc, cmp.Or(o.TimeScale, 1))...)
		}
	default:
		probs = append(probs, fmt.Sprintf("--api: %q is not one of memory, real", o.API))
	}
	if o.TimeScale < 0 || o.TimeScale > 1 || math.IsNaN(o.TimeScale) {
		probs = append(probs, fmt.Sprintf("--time-scale: %g is not in (0, 1]: a drill can be shortened, not stretched", o.TimeScale))
	}
	if p := sc.Spec.Metrics.Preset; p != scenarios.DefaultPreset {
		probs = append(probs, fmt.Sprintf("%s: spec.metrics.preset: Unsupported value: %q: a drill's pods expose the default preset only", sc.Source, p))
	}
	if sc.Spec.Metrics.Replay != "" {
		probs = append(probs, fmt.Sprintf("%s: spec.metrics.replay: Forbidden: a drill measures its live pods, not recorded metrics", sc.Source))
	}
	if len(probs) > 0 {
		return probs
	}
	return nil
}

func (o *Options) defaults() {
	if o.TimeScale == 0 {
		o.TimeScale = 1
	}
	if o.API == "" {
		o.API = APIMemory
	}
	if o.Clock == nil {
		o.Clock = clock.RealClock{}
	}
	if o.ProgressEvery <= 0 {
		o.ProgressEvery = 500 * time.Millisecond
	}
}

// platform is the loopback side of a drill: the pods' processes, the router and the load.
type platform struct {
	o       Options
	sc      *scenarios.Scenario
	clk     *scaledClock
	kubelet *kubelet.Kubelet
	router  *router.Router
	backend Backend

	mu       sync.Mutex
	attack   *load.Attack
	attackEr error
	stopped  bool // the load is over (or will never start)
	load     *reports.Load
	windows  []reports.Window
	closed   bool
}

func (p *platform) start(ctx context.Context, seed int64) error {
	p.clk = newScaledClock(p.o.Clock, p.o.TimeScale)
	b, err := newBackend(ctx, p.o, p.sc, seed, sim.Realtime{
		Clock:       p.clk,
		Kubelet:     p.kubelet,
		OnRoutes:    p.routesChanged,
		KeepRunning: p.o.KeepRunning,
	})
	if err != nil {
		return err
	}
	p.backend = b
	if rb, ok := b.(*realBackend); ok {
		p.clk.zero = rb.Origin() // scenario time zero is the world's start, after the control plane's
	}
	p.router, err = router.New("", p.clk.elapsed, b.LatencyBounds())
	return err
}

// run runs the world's loop to its end and builds the report.
func (p *platform) run(ctx context.Context) (*Result, error) {
	runErr := p.backend.Run(ctx)
	interrupted := runErr != nil && ctx.Err() != nil && errors.Is(runErr, ctx.Err())
	if runErr != nil && !interrupted {
		return nil, fmt.Errorf("%s: %w", p.sc.Source, runErr)
	}
	return &Result{Report: p.report(interrupted), Interrupted: interrupted}, nil
}

// routesChanged runs on the world's loop: the router takes the new table, and the load starts
// with the first table that has a ready pod (as the traffic model sends nothing before).
func (p *platform) routesChanged(t sim.RouteTable) {
	p.router.Publish(t)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.attack != nil || p.attackEr != nil || p.stopped || !t.Ready() {
		return
	}
	offset := p.backend.Elapsed()
	p.attack, p.attackEr = load.Start(load.Options{
		URL:       "http://" + p.router.Addr() + "/",
		Traffic:   p.sc.Spec.Traffic,
		TimeScale: p.o.TimeScale,
		Zero:      p.clk.zero,
		Offset:    offset,
		Duration:  p.sc.Spec.MaxDuration.Duration - offset,
		Header:    t.Header,
		Value:     t.Value,
		Window:    Window,
	})
	if p.attackEr != nil {
		p.backend.Stop()
	}
}

// reportProgress calls OnProgress every ProgressEvery until the drill ends.
func (p *platform) reportProgress(done <-chan struct{}) {
	if p.o.OnProgress == nil {
		return
	}
	tick := time.NewTicker(p.o.ProgressEvery)
	defer tick.Stop()
	for {
		select {
		case <-done:
			return
		case <-tick.C:
		}
		var pr Progress
		if !p.backend.Do(func(context.Context, client.Client) { pr.Progress = p.backend.Progress() }) {
			return
		}
		p.mu.Lock()
		if p.attack != nil {
			pr.Requests, pr.Failed = p.attack.Live()
		}
		p.mu.Unlock()
		p.o.OnProgress(pr)
	}
}

// stopLoad ends the attack, waits for its last answers and keeps vegeta's figures.
func (p *platform) stopLoad() (*reports.Load, []reports.Window) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.stopped {
		p.stopped = true
		if a := p.attack; a != nil {
			a.Stop()
			l, ws := a.Wait()
			p.load, p.windows = &l, ws
		}
	}
	return p.load, p.windows
}

// close ends everything the platform started, in order: the load, the router, the processes.
// It is safe to call twice.
func (p *platform) close() error {
	p.stopLoad()
	if p.closed {
		return nil
	}
	p.closed = true
	var errs []error
	if p.router != nil {
		errs = append(errs, p.router.Close(5*time.Second))
	}
	if p.backend != nil {
		errs = append(errs, p.backend.Close())
	}
	errs = append(errs, p.kubelet.Close(10*time.Second))
	return errors.Join(errs...)
}

// Now is the drill's scenario time (object timestamps are on it).
func (s *Session) Now() time.Time { return s.p.clk.Now() }
