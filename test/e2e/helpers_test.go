package e2e

import (
	"bufio"
	"log/slog"

	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/go-logr/logr"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
	"github.com/canarydrill/canarydrill/driver"
	"github.com/canarydrill/canarydrill/internal/controlplane"
)

func applyYAML(ctx context.Context, c client.Client, ns string, data []byte) error {
	return controlplane.ApplyYAML(ctx, c, ns, data)
}

// startDriver runs the controller in-process as cfg's user, with instance ID id, until t ends.
func startDriver(t *testing.T, cfg *rest.Config, id string) *driver.Driver {
	t.Helper()
	d, err := driver.New(cfg, driver.Options{InstanceID: id, MetricsAddr: "127.0.0.1:0", ProbeAddr: "127.0.0.1:0", Log: testLog()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Start(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("driver stopped with %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Errorf("driver did not stop within 30s")
		}
	})
	waitFor(t, 30*time.Second, "controller ready", func() (bool, error) { return d.Ready(), nil })
	return d
}

// testLog is a logger to stderr when E2E_LOG is set (its value is the verbosity), else none.
func testLog() logr.Logger {
	v := os.Getenv("E2E_LOG")
	if v == "" {
		return logr.Discard()
	}
	var level int
	fmt.Sscanf(v, "%d", &level)
	return logr.FromSlogHandler(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.Level(-level)}))
}

// waitFor polls cond every 50ms until it holds or timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() (bool, error)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		ok, err := cond()
		if ok {
			return
		}
		last = err
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("timed out after %s waiting for %s (last error: %v)", timeout, what, last)
}

func getRollout(t *testing.T, c client.Client, ns, name string) *v1alpha1.Rollout {
	t.Helper()
	ro := &v1alpha1.Rollout{}
	if err := c.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, ro); err != nil {
		t.Fatal(err)
	}
	return ro
}

// waitPhase waits until the Rollout's status.phase is phase (and its spec was observed).
func waitPhase(t *testing.T, c client.Client, ns, name string, phase v1alpha1.RolloutPhase, timeout time.Duration) *v1alpha1.Rollout {
	t.Helper()
	var ro *v1alpha1.Rollout
	waitFor(t, timeout, fmt.Sprintf("rollout %s %s", name, phase), func() (bool, error) {
		ro = &v1alpha1.Rollout{}
		if err := c.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, ro); err != nil {
			return false, err
		}
		return ro.Status.Phase == phase && ro.Status.ObservedGeneration == fmt.Sprint(ro.Generation),
			fmt.Errorf("phase %s %q, step %v", ro.Status.Phase, ro.Status.Message, ptrString(ro.Status.CurrentStepIndex))
	})
	return ro
}

func ptrString(p *int32) string {
	if p == nil {
		return "nil"
	}
	return fmt.Sprint(*p)
}

// cli runs the canarydrill binary with the controller's kubeconfig in namespace ns; it returns
// stdout, stderr and the exit code.
func cli(t *testing.T, e *env, ns string, args ...string) (string, string, int) {
	t.Helper()
	full := append([]string{"rollouts", "--kubeconfig", e.cp.Kubeconfig, "-n", ns}, args...)
	cmd := exec.Command(binary(t), full...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

// mustCLI runs cli and fails t unless it exits 0.
func mustCLI(t *testing.T, e *env, ns string, args ...string) string {
	t.Helper()
	out, errOut, code := cli(t, e, ns, args...)
	if code != 0 {
		t.Fatalf("canarydrill rollouts %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

func firstLine(s string) string {
	sc := bufio.NewScanner(strings.NewReader(s))
	sc.Scan()
	return sc.Text()
}
