package argoref

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"k8s.io/client-go/rest"

	"github.com/canarydrill/canarydrill/internal/controlplane"
)

// Options configure Start.
type Options struct {
	// Binary is the rollouts-controller to run; empty means Find("")'s.
	Binary string
	// Config is the identity the controller runs as, usually what Install returned; it is
	// written to a kubeconfig file (mode 0600) in Dir.
	Config *rest.Config
	// Dir holds the kubeconfig and the controller's log, rollouts-controller.log; it must exist.
	Dir string
	// InstanceID is Argo's --instance-id: the controller sees only objects labelled
	// argo-rollouts.argoproj.io/controller-instance-id=InstanceID (or only unlabelled ones when
	// empty), so that tests sharing a control plane stay apart.
	InstanceID string
	// LogLevel is Argo's --loglevel (debug, info, warn, error); empty means info.
	LogLevel string
	// Args are more flags, appended last.
	Args []string
	// Timeout bounds the start, until Argo says its controllers run; 0 means 60s.
	Timeout time.Duration
}

// Controller is a running rollouts-controller.
type Controller struct {
	// MetricsURL is Argo's /metrics; HealthzURL its /healthz.
	MetricsURL, HealthzURL string
	// LogPath is the controller's output (JSON lines, one per log entry).
	LogPath string

	proc *controlplane.Process
}

// readyLine is what Argo logs once its informers are synced and its workers started
// (controller.Manager.startLeading); it has no readiness endpoint to ask instead.
const readyLine = `"msg":"Started controller"`

// Start runs Argo's controller as o.Config's user with leader election off and its /healthz and
// /metrics on free ports, and returns once Argo logs that its controllers run. The child is
// killed with the thread that started it (Pdeathsig on Linux), so an interrupted test leaves no
// controller behind; call Stop when done.
//
// Argo listens on 0.0.0.0 (the address is a constant in its controller package), not on
// loopback only; the ports are free ones and live as long as the process.
func Start(ctx context.Context, o Options) (c *Controller, err error) {
	if o.Binary == "" {
		f, err := Find("")
		if err != nil {
			return nil, err
		}
		o.Binary = f.Controller
	}
	if o.Config == nil || o.Dir == "" {
		return nil, errors.New("argoref: Options.Config and Options.Dir are required")
	}
	if o.LogLevel == "" {
		o.LogLevel = "info"
	}
	if o.Timeout == 0 {
		o.Timeout = 60 * time.Second
	}
	kubeconfig := filepath.Join(o.Dir, "argo-rollouts.kubeconfig")
	if err := controlplane.WriteKubeconfig(kubeconfig, o.Config); err != nil {
		return nil, err
	}
	ports, err := controlplane.FreePorts(2)
	if err != nil {
		return nil, err
	}
	args := []string{
		"--kubeconfig=" + kubeconfig,
		"--leader-elect=false",
		"--healthzPort=" + strconv.Itoa(ports[0]),
		"--metricsPort=" + strconv.Itoa(ports[1]),
		"--loglevel=" + o.LogLevel,
		"--logformat=json",
	}
	if o.InstanceID != "" {
		args = append(args, "--instance-id="+o.InstanceID)
	}
	args = append(args, o.Args...)

	// Argo reads its own namespace (for argo-rollouts-config and the notification ConfigMap and
	// Secret) from POD_NAMESPACE, as its Deployment would set it through the downward API.
	proc, err := controlplane.StartProcess(o.Dir, "rollouts-controller", o.Binary, []string{"POD_NAMESPACE=" + Namespace}, args...)
	if err != nil {
		return nil, err
	}
	c = &Controller{
		MetricsURL: fmt.Sprintf("http://127.0.0.1:%d/metrics", ports[1]),
		HealthzURL: fmt.Sprintf("http://127.0.0.1:%d/healthz", ports[0]),
		LogPath:    proc.LogPath(),
		proc:       proc,
	}
	defer func() {
		if err != nil {
			_ = c.Stop()
			c = nil
		}
	}()
	if err := c.waitReady(ctx, o.Timeout); err != nil {
		return c, err
	}
	return c, nil
}

func (c *Controller) waitReady(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	hc := &http.Client{Timeout: time.Second}
	for {
		select {
		case <-c.proc.Done():
			return c.proc.ExitError()
		case <-ctx.Done():
			return fmt.Errorf("rollouts-controller not ready: %w; last output:\n%s", ctx.Err(), c.LogTail(20))
		case <-t.C:
		}
		if !c.logged(readyLine) {
			continue
		}
		resp, err := hc.Get(c.HealthzURL)
		if err != nil {
			continue
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			return nil
		}
	}
}

func (c *Controller) logged(s string) bool {
	b, err := os.ReadFile(c.LogPath)
	return err == nil && bytes.Contains(b, []byte(s))
}

// Pid is the controller's process ID.
func (c *Controller) Pid() int { return c.proc.Pid() }

// Exited reports whether the controller has ended.
func (c *Controller) Exited() bool { return c.proc.Exited() }

// Stop sends SIGTERM (Argo drains its workqueues and stops its servers) and SIGKILL after 10s.
// It returns nil when the process has ended, also when it had ended before.
func (c *Controller) Stop() error { return c.proc.Stop(10 * time.Second) }

// LogTail returns the last n lines of the controller's output.
func (c *Controller) LogTail(n int) string { return c.proc.Tail(n) }

// Memory is a process's resident memory, from /proc/<pid>/status.
type Memory struct {
	// RSS is the resident set now (VmRSS); Peak the highest it has been (VmHWM). Bytes.
	RSS, Peak int64
}

// ProcessMemory reads the resident memory of process pid (Linux only).
func ProcessMemory(pid int) (Memory, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return Memory{}, err
	}
	defer f.Close()
	var m Memory
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || (k != "VmRSS" && k != "VmHWM") {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		if err != nil {
			return Memory{}, fmt.Errorf("/proc/%d/status %s: %w", pid, k, err)
		}
		if k == "VmRSS" {
			m.RSS = kb << 10
		} else {
			m.Peak = kb << 10
		}
	}
	if err := sc.Err(); err != nil {
		return Memory{}, err
	}
	if m.RSS == 0 {
		return Memory{}, fmt.Errorf("/proc/%d/status has no VmRSS", pid)
	}
	return m, nil
}

// Memory reads the controller's resident memory.
func (c *Controller) Memory() (Memory, error) { return ProcessMemory(c.Pid()) }
