package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/canarydrill/canarydrill/api/scheme"
	"github.com/canarydrill/canarydrill/internal/controlplane"
	"github.com/canarydrill/canarydrill/internal/controlplane/cptest"
	"github.com/canarydrill/canarydrill/kubeletsim"
)

// env is the control plane that every test of the package shares: the CRDs and config/rbac
// applied, the controller's ServiceAccount token, and a kubelet simulator. Tests isolate
// themselves by namespace and by controller instance ID.
type env struct {
	cp         *controlplane.ControlPlane
	admin      client.Client
	controller *rest.Config // the ServiceAccount bound to config/rbac's ClusterRole
	kubeconfig string       // the same, as a file for the binary
	pods       *kubeletsim.Scripted
	kubelet    *kubeletsim.Kubelet
}

var (
	shared     *env
	skipWhy    string
	binOnce    sync.Once
	binPath    string
	binErr     error
	binDir     string
	stopShared = func() {}
)

// Startup is how long the simulated pods take to become ready.
const podStartup = 500 * time.Millisecond

func TestMain(m *testing.M) {
	ctrl.SetLogger(testLog())
	code := func() int {
		if _, err := controlplane.Find(""); err != nil {
			if errors.Is(err, controlplane.ErrNotBuilt) && os.Getenv(cptest.EnvRequire) != "1" {
				skipWhy = fmt.Sprintf("real-API test skipped: %v; set %s=1 to make this a failure", err, cptest.EnvRequire)
				return m.Run()
			}
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		start := time.Now()
		e, err := startEnv()
		if err != nil {
			fmt.Fprintln(os.Stderr, "e2e environment:", err)
			return 1
		}
		fmt.Fprintf(os.Stderr, "e2e: control plane ready in %s (%s)\n", time.Since(start).Round(time.Millisecond), e.cp.URL)
		shared = e
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
		go func() {
			<-sig
			stopShared()
			os.Exit(130)
		}()
		defer stopShared()
		return m.Run()
	}()
	os.Exit(code)
}

func startEnv() (*env, error) {
	ctx := context.Background()
	cp, err := controlplane.Start(ctx, controlplane.Options{})
	if err != nil {
		return nil, err
	}
	kctx, cancelKubelet := context.WithCancel(ctx)
	var wg sync.WaitGroup
	stopShared = func() {
		cancelKubelet()
		wg.Wait()
		_ = cp.Stop()
		if binDir != "" {
			os.RemoveAll(binDir)
		}
	}
	e := &env{cp: cp, pods: &kubeletsim.Scripted{Startup: podStartup, CrashLoopPeriod: 2 * time.Second}}
	fail := func(err error) (*env, error) { stopShared(); return nil, err }
	if e.admin, err = client.New(cp.Config, client.Options{Scheme: scheme.New()}); err != nil {
		return fail(err)
	}
	if e.controller, err = cp.Install(ctx, "../../config"); err != nil {
		return fail(err)
	}
	e.kubeconfig = filepath.Join(cp.Dir, "controller.kubeconfig")
	if err := controlplane.WriteKubeconfig(e.kubeconfig, e.controller); err != nil {
		return fail(err)
	}
	if e.kubelet, err = kubeletsim.New(cp.Config, kubeletsim.Options{Behaviour: e.pods}); err != nil {
		return fail(err)
	}
	wg.Go(func() {
		if err := e.kubelet.Run(kctx); err != nil {
			fmt.Fprintln(os.Stderr, "kubelet simulator:", err)
		}
	})
	return e, nil
}

// setup returns the shared environment and a fresh namespace for t, which is also the instance
// ID of t's controller; it skips t when no control plane is built.
func setup(t *testing.T) (*env, string) {
	t.Helper()
	if shared == nil {
		if skipWhy == "" {
			skipWhy = "no control plane"
		}
		t.Skip(skipWhy)
	}
	ns := strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-"))
	ns = strings.ReplaceAll(ns, "_", "-")
	if len(ns) > 50 {
		ns = ns[:50]
	}
	ns = fmt.Sprintf("%s-%d", ns, time.Now().UnixNano()%100000)
	if err := applyYAML(context.Background(), shared.admin, "", []byte(nsYAML(ns))); err != nil {
		t.Fatal(err)
	}
	return shared, ns
}

// binary builds cmd/canarydrill once for the package.
func binary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		binDir, binErr = os.MkdirTemp("", "canarydrill-e2e-bin-")
		if binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "canarydrill")
		start := time.Now()
		out, err := exec.Command("go", "build", "-o", binPath, "github.com/canarydrill/canarydrill/cmd/canarydrill").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
		fmt.Fprintf(os.Stderr, "e2e: built canarydrill in %s\n", time.Since(start).Round(time.Millisecond))
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

func nsYAML(name string) string {
	return "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: " + name + "\n"
}
