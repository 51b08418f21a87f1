package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/canarydrill/canarydrill/api/scheme"
	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

// process is a `canarydrill controller` process of a test.
type process struct {
	cmd     *exec.Cmd
	out     *syncBuffer
	health  string
	metrics string
	done    chan error
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startController runs the binary as the controller's ServiceAccount, with a short Lease in ns,
// and waits until /readyz answers 200.
func startController(t *testing.T, e *env, ns string) *process {
	t.Helper()
	p := &process{out: &syncBuffer{}, health: freeAddr(t), metrics: freeAddr(t), done: make(chan error, 1)}
	p.cmd = exec.Command(binary(t), "controller", "--kubeconfig", e.kubeconfig, "--instance-id", ns,
		"--metrics-addr", p.metrics, "--health-addr", p.health,
		"--leader-elect", "--leader-election-namespace", ns,
		"--leader-election-lease-duration", "4s", "--leader-election-renew-deadline", "3s", "--leader-election-retry-period", "500ms")
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			_ = p.cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("controller output:\n%s", tail(p.out.String(), 30))
		}
	})
	waitFor(t, 60*time.Second, "controller /readyz", func() (bool, error) {
		code, _, err := httpGet("http://" + p.health + "/readyz")
		return code == http.StatusOK, err
	})
	return p
}

func httpGet(url string) (int, string, error) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// kill ends the process with SIGKILL, as a crashed or evicted controller ends.
func (p *process) kill(t *testing.T) {
	_ = p.cmd.Process.Kill()
	<-p.done
}

// restartYAML has a long analysis step between two weights, so the test can kill the
// controller in the middle of it.
func restartYAML(id, image string) string {
	return fmt.Sprintf(`apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: demo
  labels: {argo-rollouts.argoproj.io/controller-instance-id: %[1]s}
spec:
  replicas: 4
  selector: {matchLabels: {app: demo}}
  template:
    metadata: {labels: {app: demo}}
    spec:
      containers: [{name: app, image: %[2]q}]
  strategy:
    canary:
      steps:
        - setWeight: 25
        - analysis: {templates: [{templateName: web-check}]}
        - setWeight: 50
        - pause: {duration: 2s}
        - setWeight: 75
`, id, image)
}

// TestControllerKilledAndRestarted kills the controller process in the middle of an analysis
// step and after it aborted, and starts it again: it must resume from status — the step index
// never goes back, no second AnalysisRun is made for the step, and the abort is carried out.
// It also checks /metrics, /readyz and a clean stop on SIGTERM that releases the Lease.
func TestControllerKilledAndRestarted(t *testing.T) {
	e, ns := setup(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	v := newVerdict(t, true)
	if err := applyYAML(ctx, e.admin, ns, []byte(templateYAML(ns, v.url)+"---\n"+restartYAML(ns, "demo:v1"))); err != nil {
		t.Fatal(err)
	}
	steps := watchSteps(ctx, t, e, ns)
	p := startController(t, e, ns)
	waitPhase(t, e.admin, ns, "demo", v1alpha1.RolloutPhaseHealthy, 60*time.Second)

	mustCLI(t, e, ns, "set", "image", "demo", "app=demo:v2")
	waitFor(t, 60*time.Second, "a measurement of the step's run", func() (bool, error) {
		runs := runsOf(t, e, ns)
		return len(runs) == 1 && len(runs[0].Status.MetricResults) > 0 && runs[0].Status.MetricResults[0].Count >= 1, nil
	})
	p.kill(t)
	t.Log("controller killed during the analysis step")
	p = startController(t, e, ns)
	waitPhase(t, e.admin, ns, "demo", v1alpha1.RolloutPhaseHealthy, 90*time.Second)
	runs := runsOf(t, e, ns)
	if len(runs) != 1 {
		t.Errorf("%d AnalysisRuns after the restart, want 1", len(runs))
	}
	if got := runs[0].Status.MetricResults[0].Count; runs[0].Status.Phase != v1alpha1.AnalysisPhaseSuccessful || got != 3 {
		t.Errorf("run %s, %d measurements; want Successful with 3", runs[0].Status.Phase, got)
	}
	if seq := steps.sequence(); !nonDecreasing(seq) {
		t.Errorf("step index went back: %v", seq)
	}

	// Abort by a failing analysis, kill the controller as soon as the abort is in status.
	v.ok.Store(false)
	mustCLI(t, e, ns, "set", "image", "demo", "app=demo:v3")
	waitFor(t, 60*time.Second, "abort", func() (bool, error) { return getRollout(t, e.admin, ns, "demo").Status.Abort, nil })
	p.kill(t)
	t.Log("controller killed right after the abort")
	before := len(runsOf(t, e, ns))
	p = startController(t, e, ns)
	ro := waitPhase(t, e.admin, ns, "demo", v1alpha1.RolloutPhaseDegraded, 60*time.Second)
	waitFor(t, 60*time.Second, "canary scaled to 0", func() (bool, error) {
		ro = getRollout(t, e.admin, ns, "demo")
		return ro.Status.Abort && ro.Status.UpdatedReplicas == 0 && ro.Status.AvailableReplicas == 4, nil
	})
	if after := len(runsOf(t, e, ns)); after != before {
		t.Errorf("%d AnalysisRuns after restarting an aborted rollout, want %d", after, before)
	}

	code, body, err := httpGet("http://" + p.metrics + "/metrics")
	if err != nil || code != 200 {
		t.Fatalf("/metrics: %d %v", code, err)
	}
	for _, want := range []string{
		fmt.Sprintf(`rollout_info{name="demo",namespace="%s",phase="Abort",strategy="canary",traffic_router=""} 1`, ns),
		fmt.Sprintf(`analysis_run_info{name="%s",namespace="%s",phase="Failed"} 1`, lastRun(t, e, ns), ns),
		"rollout_reconcile_bucket", "controller_runtime_reconcile_total", "workqueue_depth",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}

	if status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid)); err == nil {
		for _, l := range strings.Split(string(status), "\n") {
			if strings.HasPrefix(l, "VmHWM:") || strings.HasPrefix(l, "VmRSS:") {
				t.Logf("controller memory: %s", strings.Join(strings.Fields(l), " "))
			}
		}
	}

	// A clean stop: SIGTERM, exit 0, the Lease released.
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.done:
		if err != nil {
			t.Fatalf("controller exited with %v after SIGTERM", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("controller did not stop within 20s of SIGTERM")
	}
	lease := &coordinationv1.Lease{}
	if err := e.admin.Get(ctx, types.NamespacedName{Namespace: ns, Name: "canarydrill-controller-lock"}, lease); err != nil {
		t.Fatal(err)
	}
	if h := lease.Spec.HolderIdentity; h != nil && *h != "" {
		t.Errorf("Lease still held by %s after SIGTERM", *h)
	}
}

func runsOf(t *testing.T, e *env, ns string) []v1alpha1.AnalysisRun {
	var list v1alpha1.AnalysisRunList
	if err := e.admin.List(context.Background(), &list, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	return list.Items
}

func lastRun(t *testing.T, e *env, ns string) string {
	runs := runsOf(t, e, ns)
	last := runs[0]
	for _, r := range runs {
		if r.CreationTimestamp.After(last.CreationTimestamp.Time) || (r.CreationTimestamp.Equal(&last.CreationTimestamp) && r.Name > last.Name) {
			last = r
		}
	}
	return last.Name
}

// stepWatch records every status.currentStepIndex the Rollout shows, per revision.
type stepWatch struct {
	mu  sync.Mutex
	seq []string
}

func (s *stepWatch) sequence() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.seq...)
}

func watchSteps(ctx context.Context, t *testing.T, e *env, ns string) *stepWatch {
	wc, err := client.NewWithWatch(e.cp.Config, client.Options{Scheme: scheme.New()})
	if err != nil {
		t.Fatal(err)
	}
	w, err := wc.Watch(ctx, &v1alpha1.RolloutList{}, client.InNamespace(ns))
	if err != nil {
		t.Fatal(err)
	}
	s := &stepWatch{}
	go func() {
		defer w.Stop()
		for ev := range w.ResultChan() {
			ro, ok := ev.Object.(*v1alpha1.Rollout)
			if !ok || ev.Type == watch.Deleted || ro.Status.CurrentStepIndex == nil {
				continue
			}
			entry := fmt.Sprintf("%s:%d", ro.Status.CurrentPodHash, *ro.Status.CurrentStepIndex)
			s.mu.Lock()
			if len(s.seq) == 0 || s.seq[len(s.seq)-1] != entry {
				s.seq = append(s.seq, entry)
			}
			s.mu.Unlock()
		}
	}()
	return s
}

// nonDecreasing reports whether, within each pod hash, the step index never decreases.
func nonDecreasing(seq []string) bool {
	last := map[string]int{}
	for _, e := range seq {
		var hash string
		var i int
		k := strings.LastIndex(e, ":")
		hash = e[:k]
		fmt.Sscanf(e[k+1:], "%d", &i)
		if prev, ok := last[hash]; ok && i < prev {
			return false
		}
		last[hash] = i
	}
	return true
}
