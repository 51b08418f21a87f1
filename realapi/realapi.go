// Package realapi runs scenarios against a real kube-apiserver on the wall clock: what `canarydrill run --api real` does, as a library.
package realapi

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"net"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/canarydrill/canarydrill/api/scheme"
	"github.com/canarydrill/canarydrill/api/v1alpha1"
	"github.com/canarydrill/canarydrill/config"
	"github.com/canarydrill/canarydrill/driver"
	"github.com/canarydrill/canarydrill/internal/argoref"
	"github.com/canarydrill/canarydrill/internal/controlplane"
	"github.com/canarydrill/canarydrill/kubeletsim"
	"github.com/canarydrill/canarydrill/reports"
	"github.com/canarydrill/canarydrill/scenarios"
	"github.com/canarydrill/canarydrill/sim"
)

// The controllers a run can put under test.
const (
	// ControllerCanarydrill is our reconcilers under driver's manager, in this process, as the
	// ServiceAccount config/rbac binds (not as admin), on config/crd's CRDs.
	ControllerCanarydrill = "canarydrill"
	// ControllerArgo is Argo Rollouts' released controller (internal/argoref) as a process, as
	// its own ServiceAccount and ClusterRole, on Argo's CRDs.
	ControllerArgo = "argo"
)

// APIReal names the real API in reports.
const APIReal = "real"

// Options configure an Env.
type Options struct {
	// Controller is ControllerCanarydrill (default) or ControllerArgo.
	Controller string
	// TimeScale multiplies every duration of each scenario (scenarios.Scale); 0 means 1.
	TimeScale float64
	// ConfigDir is a config/ folder (CRDs and RBAC) to install instead of the binary's own
	// (config.FS, the CRDs this build was generated with).
	ConfigDir string
	// BinDir holds kube-apiserver and kube-controller-manager; empty means controlplane's default.
	BinDir string
	// Log receives the controller's and the kubelet simulator's logs; zero means none.
	Log logr.Logger
}

// Env is a running control plane with the controller under test: scenarios run on it, each in a
// namespace of its own, at the same time if the caller likes.
type Env struct {
	o          Options
	cp         *controlplane.ControlPlane
	admin      *rest.Config
	instanceID string
	dir        string
	stopCtl    func() error
}

// ErrNotBuilt is returned by Start when the control plane's (or Argo's) binaries are missing;
// the error's text names the make target that builds them.
var ErrNotBuilt = errors.New("binaries missing")

// Check validates options before anything starts: one line a problem.
func Check(o Options) error {
	var probs scenarios.Problems
	switch o.Controller {
	case "", ControllerCanarydrill, ControllerArgo:
	default:
		probs = append(probs, fmt.Sprintf("--controller: %q is not one of canarydrill, argo", o.Controller))
	}
	if o.TimeScale < 0 || o.TimeScale > 1 || math.IsNaN(o.TimeScale) {
		probs = append(probs, fmt.Sprintf("--time-scale: %g is not in (0, 1]: a run can be shortened, not stretched", o.TimeScale))
	}
	if len(probs) > 0 {
		return probs
	}
	return nil
}

// Start starts a control plane on loopback, installs the CRDs and RBAC the controller needs and
// starts the controller. On error everything started is stopped. Call Stop when done.
func Start(ctx context.Context, o Options) (e *Env, err error) {
	if err := Check(o); err != nil {
		return nil, err
	}
	if o.Controller == "" {
		o.Controller = ControllerCanarydrill
	}
	if o.TimeScale == 0 {
		o.TimeScale = 1
	}
	if _, err := controlplane.Find(o.BinDir); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotBuilt, err)
	}
	var argo argoref.Files
	if o.Controller == ControllerArgo {
		if argo, err = argoref.Find(""); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrNotBuilt, err)
		}
	}
	dir, err := os.MkdirTemp("", "canarydrill-run-")
	if err != nil {
		return nil, err
	}
	e = &Env{o: o, dir: dir, instanceID: "canarydrill-run-" + randomSuffix(), stopCtl: func() error { return nil }}
	defer func() {
		if err != nil {
			_ = e.Stop()
			e = nil
		}
	}()
	if e.cp, err = controlplane.Start(ctx, controlplane.Options{BinDir: o.BinDir}); err != nil {
		return e, err
	}
	e.admin = e.cp.Config
	if err := e.cp.InstallRouterCRDs(ctx); err != nil {
		return e, err
	}
	switch o.Controller {
	case ControllerArgo:
		cfg, err := argoref.Install(ctx, e.cp, argo)
		if err != nil {
			return e, err
		}
		c, err := argoref.Start(ctx, argoref.Options{Binary: argo.Controller, Config: cfg, Dir: dir, InstanceID: e.instanceID})
		if err != nil {
			return e, err
		}
		e.stopCtl = c.Stop
	default:
		var manifests fs.FS = config.FS
		if o.ConfigDir != "" {
			manifests = os.DirFS(o.ConfigDir)
		}
		cfg, err := e.cp.InstallFS(ctx, manifests)
		if err != nil {
			return e, err
		}
		if e.stopCtl, err = startDriver(cfg, e.instanceID, o.Log); err != nil {
			return e, err
		}
	}
	return e, nil
}

// startDriver runs our reconcilers in this process as cfg's user, for the objects labelled with
// instanceID, and returns once its informers have synced.
func startDriver(cfg *rest.Config, instanceID string, log logr.Logger) (func() error, error) {
	d, err := driver.New(cfg, driver.Options{InstanceID: instanceID, MetricsAddr: "0", ProbeAddr: "0", Log: log})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Start(ctx) }()
	var once sync.Once
	var stopErr error
	stop := func() error {
		once.Do(func() {
			cancel()
			select {
			case stopErr = <-done:
			case <-time.After(30 * time.Second):
				stopErr = errors.New("the controller did not stop within 30s")
			}
		})
		return stopErr
	}
	deadline := time.Now().Add(30 * time.Second)
	for !d.Ready() {
		select {
		case err := <-done:
			return nil, fmt.Errorf("the controller stopped: %v", err)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = stop()
			return nil, errors.New("the controller's informers did not sync within 30s")
		}
	}
	return stop, nil
}

// Stop stops the controller and the control plane and removes their files.
func (e *Env) Stop() error {
	errs := []error{e.stopCtl()}
	if e.cp != nil {
		errs = append(errs, e.cp.Stop())
	}
	errs = append(errs, os.RemoveAll(e.dir))
	return errors.Join(errs...)
}

// Controller names the controller under test.
func (e *Env) Controller() string { return e.o.Controller }

// Run runs one scenario in a namespace of its own, scaled by the time scale, on the wall clock,
// until it settled or its (scaled) maxDuration; the namespace is deleted afterwards. The report's
// times are scenario seconds (wall seconds divided by the time scale); its expectations are
// checked as the virtual-time run checks them. When ctx ends first, the report describes the run
// so far, with a note, and does not pass.
func (e *Env) Run(ctx context.Context, sc *scenarios.Scenario, seed int64) (*reports.Report, error) {
	s, err := e.Open(ctx, sc, seed, Platform{})
	if err != nil {
		return nil, err
	}
	defer s.Close()
	interrupted, err := s.Wait(ctx)
	if err != nil {
		return nil, err
	}
	r := s.Report(interrupted)
	reports.Check(r, sc.Spec.Expect) // the unscaled expectations, on scenario seconds
	if interrupted {
		r.Notes = append(r.Notes, fmt.Sprintf("interrupted at %.1f s: the run did not finish", r.VirtualSeconds))
		r.Passed = false
	}
	return r, nil
}

// Platform is a live drill's side of a session: the processes that play the pods and what
// follows the routing table; KeepRunning keeps it going after the rollout settled (a lab waits
// for its trainee). Without a Kubelet the kubelet simulator plays the world's kubelet model on
// the pods.
type Platform struct {
	Kubelet     sim.Kubelet
	OnRoutes    func(sim.RouteTable)
	KeepRunning bool
}

// Session is one scenario on the Env, in a namespace of its own, with its fakeprom on loopback and
// a kubelet simulator writing its pods' status; its World runs it (Wait). Close removes it all.
type Session struct {
	*sim.World
	e         *Env
	sc        *scenarios.Scenario
	ns        string
	promURL   string
	rewritten []string
	platform  bool
	ctx       context.Context // ends when the kubelet simulator fails
	closers   []func()
}

// Open prepares a scenario's run: the namespace, fakeprom on loopback, the kubelet simulator and
// the world, whose manifests (scaled, labelled for the controller's instance, their Prometheus
// addresses pointing at fakeprom) are applied. Wait runs it. On error nothing is left.
func (e *Env) Open(ctx context.Context, sc *scenarios.Scenario, seed int64, p Platform) (s *Session, err error) {
	scaled, err := scenarios.Scale(sc, e.o.TimeScale)
	if err != nil {
		return nil, err
	}
	admin, err := client.New(e.admin, client.Options{Scheme: scheme.New()})
	if err != nil {
		return nil, err
	}
	s = &Session{e: e, sc: sc, ns: namespaceFor(sc.Metadata.Name), platform: p.Kubelet != nil}
	defer func() {
		if err != nil {
			s.Close()
			s = nil
		}
	}()
	if err := admin.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: s.ns}}); err != nil {
		return s, fmt.Errorf("namespace %s: %w", s.ns, err)
	}
	s.onClose(func() { deleteNamespace(admin, s.ns) })

	// fakeprom on loopback: Argo dials the address in the template, and so does ours.
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return s, err
	}
	s.promURL = "http://" + lis.Addr().String()
	var handler http.Handler = http.NotFoundHandler()
	var hmu sync.RWMutex
	srv := &http.Server{Handler: http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		hmu.RLock()
		h := handler
		hmu.RUnlock()
		h.ServeHTTP(rw, r)
	}), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(lis) }()
	s.onClose(func() { _ = srv.Close() })
	s.rewritten = prepare(scaled, s.promURL, e.instanceID)

	// The kubelet simulator writes what the world's kubelet model (or the processes) decided.
	var behaviour behaviourProxy
	kl, err := kubeletsim.New(e.admin, kubeletsim.Options{Namespace: s.ns, Behaviour: &behaviour, Log: e.o.Log})
	if err != nil {
		return s, err
	}
	kctx, stopKubelet := context.WithCancel(context.Background())
	kdone := make(chan error, 1)
	// Without its Kubelet no pod of the run turns ready on the API, whatever the world's model
	// says: the run would go on until the Rollout's progress deadline and end Degraded, a verdict
	// about the controller that is really about the harness. The run ends with the error instead.
	wctx, stopWorld := context.WithCancelCause(ctx)
	s.ctx = wctx
	go func() {
		err := kl.Run(kctx)
		if err != nil {
			stopWorld(fmt.Errorf("kubelet simulator of namespace %s: %w", s.ns, err))
		}
		kdone <- err
	}()
	s.onClose(func() {
		stopKubelet()
		<-kdone
		stopWorld(nil)
	})

	s.World, err = sim.NewRealAPI(wctx, scaled, seed, sim.RealAPI{
		Clock: clock.RealClock{}, Config: e.admin, Namespace: s.ns, OnPodStates: kl.Resync,
		Kubelet: p.Kubelet, OnRoutes: p.OnRoutes, KeepRunning: p.KeepRunning,
	})
	if err != nil {
		if ctx.Err() == nil && wctx.Err() != nil {
			err = context.Cause(wctx)
		}
		return s, err
	}
	behaviour.set(s.KubeletBehaviour())
	hmu.Lock()
	handler = s.PrometheusHandler()
	hmu.Unlock()
	return s, nil
}

// onClose adds f to what Close does, first added last done.
func (s *Session) onClose(f func()) { s.closers = append(s.closers, f) }

// Wait runs the world until the rollout settled, its maxDuration, Stop or the end of ctx (then
// interrupted is true and err nil: Report describes the run so far).
func (s *Session) Wait(ctx context.Context) (interrupted bool, err error) {
	runErr := s.RunRealAPI(s.ctx)
	if ctx.Err() == nil && s.ctx.Err() != nil {
		return false, fmt.Errorf("%s: %w", s.sc.Source, context.Cause(s.ctx))
	}
	if runErr != nil && ctx.Err() != nil {
		return true, nil
	}
	if runErr != nil {
		return false, fmt.Errorf("%s: %w", s.sc.Source, runErr)
	}
	return false, nil
}

// Report is the session's report in scenario seconds, with the run's notes; the caller checks
// its expectations (after adding what it measured itself).
func (s *Session) Report(interrupted bool) *reports.Report {
	f := s.e.o.TimeScale
	r := s.World.Report()
	wallSecs := r.VirtualSeconds
	var failedToZero *float64
	if r.DetectedAt != nil && r.TrafficRestoredAt != nil {
		failedToZero = reports.Secs(round3(*r.TrafficRestoredAt - *r.DetectedAt))
	}
	rescale(r, f)
	// The world's note names the scaled maxDuration; an interrupted run did not reach it at all.
	for i, n := range r.Notes {
		if strings.HasPrefix(n, "maxDuration ") {
			if interrupted {
				r.Notes = append(r.Notes[:i:i], r.Notes[i+1:]...)
			} else {
				r.Notes[i] = fmt.Sprintf("maxDuration %s reached before the rollout settled", s.sc.Spec.MaxDuration)
			}
			break
		}
	}
	r.API, r.Controller = APIReal, s.e.o.Controller
	r.TimeScale = f
	r.WallSeconds = reports.Secs(round3(wallSecs))
	r.FailedToTrafficZeroWallSeconds = failedToZero
	pods := "pods played by the kubelet simulator"
	if s.platform {
		pods = "pods run as demoapp processes, their status written by the kubelet simulator"
	}
	r.Notes = append(r.Notes, fmt.Sprintf("real API: %s's controller on kube-apiserver, kube-controller-manager and etcd; namespace %s; %s", s.e.o.Controller, s.ns, pods))
	if len(s.rewritten) > 0 {
		r.Prometheus = s.rewritten // the addresses the templates name, as in virtual time
		r.Notes = append(r.Notes, fmt.Sprintf("Prometheus: %s rewritten to the run's fakeprom at %s before applying", strings.Join(s.rewritten, ", "), s.promURL))
	}
	if f != 1 {
		r.Notes = append(r.Notes, fmt.Sprintf("time scale %g: every duration ran %g times faster on the wall clock (scenarios.Scale); times are scenario seconds (wall seconds / %g)", f, 1/f, f))
	}
	if failedToZero != nil {
		r.Notes = append(r.Notes, fmt.Sprintf("AnalysisRun Failed to canary traffic 0: %.3f s wall, as the run's watches saw them", *failedToZero))
	}
	return r
}

// TimeScale is wall time per scenario time.
func (s *Session) TimeScale() float64 { return s.e.o.TimeScale }

// Close stops the session's kubelet simulator and fakeprom and deletes its namespace; safe to
// call twice.
func (s *Session) Close() {
	for i := len(s.closers) - 1; i >= 0; i-- {
		s.closers[i]()
	}
	s.closers = nil
}

// prepare labels the manifests for the controller's instance ID and points every Prometheus
// provider at the run's fakeprom; it returns the addresses it replaced.
func prepare(sc *scenarios.Scenario, promURL, instanceID string) []string {
	seen := map[string]bool{}
	var replaced []string
	rewrite := func(ms []v1alpha1.Metric) {
		for i := range ms {
			if p := ms[i].Provider.Prometheus; p != nil {
				if p.Address != "" && !seen[p.Address] {
					seen[p.Address] = true
					replaced = append(replaced, p.Address)
				}
				p.Address = promURL
			}
		}
	}
	for _, o := range sc.Objects {
		rewrite(v1alpha1.MetricsOf(o.Object))
	}
	for _, o := range sc.Objects {
		switch o.Object.(type) {
		case *v1alpha1.Rollout, *v1alpha1.AnalysisTemplate, *v1alpha1.ClusterAnalysisTemplate, *v1alpha1.AnalysisRun, *v1alpha1.Experiment:
			l := o.GetLabels()
			if l == nil {
				l = map[string]string{}
			}
			l[driver.LabelControllerInstanceID] = instanceID
			o.SetLabels(l)
		}
	}
	sort.Strings(replaced)
	return replaced
}

// rescale turns the wall seconds of a scaled run into scenario seconds.
func rescale(r *reports.Report, f float64) {
	if f == 1 {
		return
	}
	s := func(x float64) float64 { return round3(x / f) }
	p := func(x *float64) {
		if x != nil {
			*x = s(*x)
		}
	}
	r.VirtualSeconds = s(r.VirtualSeconds)
	for _, x := range []*float64{r.FaultStartedAt, r.FirstBadMeasurementAt, r.DetectedAt, r.AbortedAt,
		r.TrafficRestoredAt, r.CanaryScaledDownAt, r.PromotedAt, r.DetectionSeconds, r.RollbackSeconds} {
		p(x)
	}
	for i := range r.AnalysisRuns {
		ar := &r.AnalysisRuns[i]
		ar.CreatedAt = s(ar.CreatedAt)
		for j := range ar.Metrics {
			for k := range ar.Metrics[j].Measurements {
				m := &ar.Metrics[j].Measurements[k]
				m.At = s(m.At)
			}
		}
	}
	for i := range r.Events {
		r.Events[i].At = s(r.Events[i].At)
	}
	for i := range r.Weights {
		r.Weights[i].At = s(r.Weights[i].At)
	}
	if r.Signals != nil {
		r.Signals.Step = s(r.Signals.Step)
		for i := range r.Signals.At {
			r.Signals.At[i] = s(r.Signals.At[i])
		}
	}
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

// namespaceFor names a run's namespace: the scenario's name and a random suffix, at most 63
// characters.
func namespaceFor(name string) string {
	suffix := "-" + randomSuffix()
	if len(name) > 63-len(suffix) {
		name = strings.TrimRight(name[:63-len(suffix)], "-")
	}
	return name + suffix
}

func randomSuffix() string {
	const alphabet = "bcdfghjklmnpqrstvwxz2456789"
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// deleteNamespace removes what a run's namespace holds, then the namespace (the control plane
// runs no namespace controller, so its objects are deleted here first).
func deleteNamespace(c client.Client, ns string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_ = c.DeleteAllOf(ctx, &v1alpha1.Rollout{}, client.InNamespace(ns))
	_ = c.DeleteAllOf(ctx, &v1alpha1.AnalysisRun{}, client.InNamespace(ns))
	_ = c.DeleteAllOf(ctx, &v1alpha1.Experiment{}, client.InNamespace(ns))
	_ = c.DeleteAllOf(ctx, &v1alpha1.AnalysisTemplate{}, client.InNamespace(ns))
	zero := int64(0)
	_ = c.DeleteAllOf(ctx, &corev1.Pod{}, client.InNamespace(ns), client.GracePeriodSeconds(zero))
	_ = c.Delete(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})
}

// behaviourProxy hands kubeletsim's questions to the world's kubelet model once the world is
// built; before then every pod is running and not ready.
type behaviourProxy struct {
	mu sync.RWMutex
	b  kubeletsim.Behaviour
}

func (p *behaviourProxy) set(b kubeletsim.Behaviour) {
	p.mu.Lock()
	p.b = b
	p.mu.Unlock()
}

// State implements kubeletsim.Behaviour.
func (p *behaviourProxy) State(pod *corev1.Pod, started, now time.Time) kubeletsim.PodState {
	p.mu.RLock()
	b := p.b
	p.mu.RUnlock()
	if b == nil {
		return kubeletsim.PodState{}
	}
	return b.State(pod, started, now)
}
