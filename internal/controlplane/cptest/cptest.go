// Package cptest starts a real control plane for a test, or skips the test when none is built.
package cptest

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"testing"

	"github.com/canarydrill/canarydrill/internal/controlplane"
)

// EnvRequire, set to 1, turns a missing control plane from a skip into a failure;
// `make e2e` sets it after building the binaries.
const EnvRequire = "CANARYDRILL_E2E"

var (
	mu      sync.Mutex
	running = map[*controlplane.ControlPlane]bool{}
	once    sync.Once
)

// Start starts a control plane for t and stops it (removing its data dir) when t ends. Without
// the binaries it skips t, naming what is missing and how to build it, unless CANARYDRILL_E2E=1.
// An interrupt (SIGINT, SIGTERM) of the test process stops every control plane it started.
func Start(t testing.TB) *controlplane.ControlPlane {
	t.Helper()
	if _, err := controlplane.Find(""); err != nil {
		if errors.Is(err, controlplane.ErrNotBuilt) && os.Getenv(EnvRequire) != "1" {
			t.Skipf("real-API test skipped: %v; set %s=1 to make this a failure", err, EnvRequire)
		}
		t.Fatal(err)
	}
	once.Do(stopOnSignal)
	cp, err := controlplane.Start(context.Background(), controlplane.Options{})
	if err != nil {
		t.Fatalf("starting the control plane: %v", err)
	}
	mu.Lock()
	running[cp] = true
	mu.Unlock()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("kube-apiserver, last lines:\n%s", cp.LogTail("kube-apiserver", 15))
			t.Logf("kube-controller-manager, last lines:\n%s", cp.LogTail("kube-controller-manager", 15))
		}
		mu.Lock()
		delete(running, cp)
		mu.Unlock()
		if err := cp.Stop(); err != nil {
			t.Errorf("stopping the control plane: %v", err)
		}
	})
	return cp
}

func stopOnSignal() {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ch
		mu.Lock()
		for cp := range running {
			_ = cp.Stop()
		}
		mu.Unlock()
		os.Exit(130)
	}()
}
