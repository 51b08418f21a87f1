package conformance

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-logr/logr"

	"github.com/canarydrill/canarydrill/driver"
	"github.com/canarydrill/canarydrill/internal/argoref"
)

// The two controllers compared.
const (
	argo        = "argo"
	canarydrill = "canarydrill"
)

// controllers are compared in this order: the reference first.
var controllers = []string{argo, canarydrill}

// sut is one running controller under test.
type sut struct {
	kind string
	pid  int // 0 when in process
	stop func() error
	log  func(n int) string
}

// memory is the process's resident memory.
func (s *sut) memory() (argoref.Memory, error) {
	if s.pid == 0 {
		return argoref.Memory{}, fmt.Errorf("%s runs in the test process", s.kind)
	}
	return argoref.ProcessMemory(s.pid)
}

var (
	runningMu sync.Mutex
	running   = map[*sut]bool{}
)

// stopAll stops every controller still running, on an interrupt of the test process.
func stopAll() {
	runningMu.Lock()
	defer runningMu.Unlock()
	for s := range running {
		_ = s.stop()
	}
}

func track(tb testing.TB, s *sut) *sut {
	runningMu.Lock()
	running[s] = true
	runningMu.Unlock()
	tb.Cleanup(func() {
		runningMu.Lock()
		delete(running, s)
		runningMu.Unlock()
		if err := s.stop(); err != nil {
			tb.Errorf("stopping %s: %v", s.kind, err)
		}
		if tb.Failed() {
			tb.Logf("%s controller, last errors:\n%s", s.kind, errorLines(s.log(2000), 5))
		}
	})
	return s
}

// startController starts kind for the objects labelled with instance ID id: Argo's released
// controller as a process, canarydrill's in process (driver.Driver) unless asProcess, then as
// the `canarydrill controller` binary. Each runs as its own ServiceAccount with its own role.
func startController(tb testing.TB, e *env, kind, id string, asProcess bool) *sut {
	tb.Helper()
	switch {
	case kind == argo:
		c, err := argoref.Start(context.Background(), argoref.Options{
			Binary: e.argo.Controller, Config: e.argoCfg, Dir: tb.TempDir(), InstanceID: id,
		})
		if err != nil {
			tb.Fatal(err)
		}
		return track(tb, &sut{kind: kind, pid: c.Pid(), stop: c.Stop, log: c.LogTail})
	case asProcess:
		return track(tb, startOursProcess(tb, e, id))
	default:
		return track(tb, startOursInProcess(tb, e, id))
	}
}

func startOursInProcess(tb testing.TB, e *env, id string) *sut {
	logPath := filepath.Join(tb.TempDir(), "controller.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { logFile.Close() })
	log := logr.FromSlogHandler(slog.NewJSONHandler(logFile, nil))
	d, err := driver.New(e.oursCfg, driver.Options{InstanceID: id, MetricsAddr: "127.0.0.1:0", ProbeAddr: "127.0.0.1:0", Log: log})
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Start(ctx) }()
	var once sync.Once
	var stopErr error
	s := &sut{kind: canarydrill, log: func(n int) string { return tailFile(logPath, n) }, stop: func() error {
		once.Do(func() {
			cancel()
			select {
			case stopErr = <-done:
			case <-time.After(30 * time.Second):
				stopErr = fmt.Errorf("driver did not stop within 30s")
			}
		})
		return stopErr
	}}
	deadline := time.Now().Add(30 * time.Second)
	for !d.Ready() {
		if time.Now().After(deadline) {
			_ = s.stop()
			tb.Fatal("canarydrill's driver not ready after 30s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	return s
}

func startOursProcess(tb testing.TB, e *env, id string) *sut {
	dir := tb.TempDir()
	logPath := filepath.Join(dir, "controller.log")
	log, err := os.Create(logPath)
	if err != nil {
		tb.Fatal(err)
	}
	health, metrics := freeAddr(tb), freeAddr(tb)
	cmd := exec.Command(binary(tb), "controller", "--kubeconfig", e.oursKubeconfig, "--instance-id", id,
		"--leader-elect=false", "--metrics-addr", metrics, "--health-addr", health)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		log.Close()
		tb.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); log.Close(); close(done) }()
	tail := func(n int) string { return tailFile(logPath, n) }
	s := &sut{kind: canarydrill, pid: cmd.Process.Pid, log: tail, stop: func() error {
		select {
		case <-done:
			return nil
		default:
		}
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
			return nil
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
			return fmt.Errorf("canarydrill controller ignored SIGTERM for 10s")
		}
	}}
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get("http://" + health + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		select {
		case <-done:
			tb.Fatalf("canarydrill controller exited:\n%s", tail(20))
		default:
		}
		if time.Now().After(deadline) {
			_ = s.stop()
			tb.Fatalf("canarydrill controller not ready after 60s:\n%s", tail(20))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// errorLines keeps the last n error entries of a JSON log (slog's "ERROR", logrus' "error"),
// each as "time msg: err".
func errorLines(log string, n int) string {
	var errs []string
	for _, l := range strings.Split(log, "\n") {
		var e map[string]any
		if json.Unmarshal([]byte(l), &e) != nil || !strings.EqualFold(fmt.Sprint(e["level"]), "error") {
			continue
		}
		line := fmt.Sprintf("%v %v", e["time"], e["msg"])
		for _, k := range []string{"err", "error"} {
			if v, ok := e[k]; ok {
				line += fmt.Sprintf(": %v", v)
			}
		}
		errs = append(errs, line)
	}
	return strings.Join(errs[max(0, len(errs)-n):], "\n")
}

func tailFile(path string, n int) string {
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

func freeAddr(tb testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
