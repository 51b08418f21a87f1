package argoref_test

import (
	"context"
	"io"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/canarydrill/canarydrill/internal/argoref"
	"github.com/canarydrill/canarydrill/internal/controlplane/cptest"
)

// TestStartStop installs Argo into a real control plane, starts its controller as Argo's
// ServiceAccount, reads its metrics and memory, and stops it: SIGTERM alone ends it, well
// within the 10s before Stop would kill it.
func TestStartStop(t *testing.T) {
	f, err := argoref.Find("")
	if err != nil {
		if os.Getenv(cptest.EnvRequire) != "1" {
			t.Skipf("real-API test skipped: %v; set %s=1 to make this a failure", err, cptest.EnvRequire)
		}
		t.Fatal(err)
	}
	cp := cptest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cfg, err := argoref.Install(ctx, cp, f)
	if err != nil {
		t.Fatal(err)
	}
	c, err := argoref.Start(ctx, argoref.Options{Binary: f.Controller, Config: cfg, Dir: t.TempDir(), InstanceID: "argoref-test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Stop() })
	resp, err := http.Get(c.MetricsURL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if want := `argo_rollouts_controller_info{version="` + argoref.Version; !strings.Contains(string(body), want) {
		t.Errorf("/metrics lacks %s", want)
	}
	m, err := c.Memory()
	if err != nil || m.RSS < 10<<20 {
		t.Errorf("memory %+v, %v", m, err)
	}
	start := time.Now()
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 9*time.Second {
		t.Errorf("stopping took %s: SIGTERM was not enough", d)
	} else {
		t.Logf("stopped in %s; RSS was %.1f MB", d.Round(time.Millisecond), float64(m.RSS)/(1<<20))
	}
	if !c.Exited() {
		t.Error("the controller still runs after Stop")
	}
	if err := syscall.Kill(c.Pid(), 0); err == nil {
		t.Errorf("pid %d still exists", c.Pid())
	}
	if strings.Contains(c.LogTail(200), `"level":"fatal"`) {
		t.Errorf("Argo logged a fatal error:\n%s", c.LogTail(20))
	}
}
