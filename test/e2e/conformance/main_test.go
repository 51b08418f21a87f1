package conformance

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/canarydrill/canarydrill/api/scheme"
	"github.com/canarydrill/canarydrill/internal/argoref"
	"github.com/canarydrill/canarydrill/internal/controlplane"
	"github.com/canarydrill/canarydrill/internal/controlplane/cptest"
	"github.com/canarydrill/canarydrill/kubeletsim"
)

// env is a control plane with one CRD set (Argo's and canarydrill's are the same kinds, so never
// both; see internal/argoref), the RBAC of the controllers that can run on it, and a kubelet
// simulator. Tests keep apart by namespace and controller instance ID.
type env struct {
	// crds is whose CRDs are installed: argo or canarydrill.
	crds  string
	cp    *controlplane.ControlPlane
	admin client.WithWatch
	argo  argoref.Files
	// argoCfg is Argo's ServiceAccount (bound to manifests/role's ClusterRole), nil where Argo's
	// install is not applied (the control plane with config/crd, which measures canarydrill as
	// it is deployed); oursCfg is canarydrill's (config/rbac), also as the file oursKubeconfig.
	argoCfg, oursCfg *rest.Config
	oursKubeconfig   string
	stop             func()
}

var (
	// shared has Argo's CRDs, Argo's install and canarydrill's RBAC: both controllers run on it,
	// as both must run on the CRDs users' clusters have.
	shared  *env
	skipWhy string

	// own has canarydrill's CRDs (config/crd), for measuring canarydrill as it is deployed; it
	// starts when a benchmark first asks for it.
	ownOnce sync.Once
	own     *env
	ownErr  error

	stopMu sync.Mutex
)

// podStartup is how long a pod takes from bound to Ready in kubeletsim.
const podStartup = 500 * time.Millisecond

func TestMain(m *testing.M) {
	ctrl.SetLogger(logr.Discard())
	code := func() int {
		var missing []error
		if _, err := controlplane.Find(""); err != nil {
			missing = append(missing, err)
		}
		if _, err := argoref.Find(""); err != nil {
			missing = append(missing, err)
		}
		if err := errors.Join(missing...); err != nil {
			if os.Getenv(cptest.EnvRequire) != "1" {
				skipWhy = fmt.Sprintf("real-API conformance test skipped: %v; set %s=1 to make this a failure",
					strings.ReplaceAll(err.Error(), "\n", "; "), cptest.EnvRequire)
				return m.Run()
			}
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
		go func() {
			<-sig
			stopAll()
			stopEnvs()
			os.Exit(130)
		}()
		defer stopEnvs()
		start := time.Now()
		e, err := startEnv(argo)
		if err != nil {
			fmt.Fprintln(os.Stderr, "conformance environment:", err)
			return 1
		}
		fmt.Fprintf(os.Stderr, "conformance: control plane with Argo Rollouts %s's CRDs ready in %s\n", argoref.Version, time.Since(start).Round(time.Millisecond))
		stopMu.Lock()
		shared = e
		stopMu.Unlock()
		return m.Run()
	}()
	os.Exit(code)
}

// stopEnvs stops every control plane started, once.
func stopEnvs() {
	stopMu.Lock()
	defer stopMu.Unlock()
	for _, e := range []*env{shared, own} {
		if e != nil {
			e.stop()
		}
	}
	shared, own = nil, nil
}

// startEnv starts a control plane with crds' CRDs (argo or canarydrill).
func startEnv(crds string) (*env, error) {
	ctx := context.Background()
	files, err := argoref.Find("")
	if err != nil {
		return nil, err
	}
	cp, err := controlplane.Start(ctx, controlplane.Options{})
	if err != nil {
		return nil, err
	}
	kctx, cancelKubelet := context.WithCancel(ctx)
	var wg sync.WaitGroup
	e := &env{crds: crds, cp: cp, argo: files}
	e.stop = func() {
		cancelKubelet()
		wg.Wait()
		_ = cp.Stop()
	}
	fail := func(err error) (*env, error) { e.stop(); return nil, err }
	if e.admin, err = client.NewWithWatch(cp.Config, client.Options{Scheme: scheme.New()}); err != nil {
		return fail(err)
	}
	config := filepath.Join("..", "..", "..", "config")
	if crds == argo {
		if e.argoCfg, err = argoref.Install(ctx, cp, files); err != nil {
			return fail(fmt.Errorf("installing Argo: %w", err))
		}
		// canarydrill's identity without its CRDs: config/default's namespace and config/rbac.
		for _, dir := range []string{"default", "rbac"} {
			if err := controlplane.ApplyDir(ctx, e.admin, filepath.Join(config, dir)); err != nil {
				return fail(err)
			}
		}
		if e.oursCfg, err = cp.ServiceAccountConfig(ctx, controlplane.ControllerNamespace, controlplane.ControllerServiceAccount); err != nil {
			return fail(err)
		}
	} else if e.oursCfg, err = cp.Install(ctx, config); err != nil {
		return fail(err)
	}
	e.oursKubeconfig = filepath.Join(cp.Dir, "canarydrill-controller.kubeconfig")
	if err := controlplane.WriteKubeconfig(e.oursKubeconfig, e.oursCfg); err != nil {
		return fail(err)
	}
	kubelet, err := kubeletsim.New(cp.Config, kubeletsim.Options{Behaviour: kubeletsim.Startup{Delay: podStartup}})
	if err != nil {
		return fail(err)
	}
	wg.Go(func() {
		if err := kubelet.Run(kctx); err != nil {
			fmt.Fprintln(os.Stderr, "kubelet simulator:", err)
		}
	})
	return e, nil
}

// requireEnv skips tb when nothing is built.
func requireEnv(tb testing.TB) {
	tb.Helper()
	if shared == nil {
		if skipWhy == "" {
			skipWhy = "no control plane"
		}
		tb.Skip(skipWhy)
	}
}

// ownEnv returns the control plane with canarydrill's CRDs, starting it on first use.
func ownEnv(tb testing.TB) *env {
	tb.Helper()
	requireEnv(tb)
	ownOnce.Do(func() {
		e, err := startEnv(canarydrill)
		stopMu.Lock()
		own, ownErr = e, err
		stopMu.Unlock()
	})
	if ownErr != nil {
		tb.Fatalf("control plane with canarydrill's CRDs: %v", ownErr)
	}
	return own
}

// homeEnv is the control plane on which kind runs with its own CRDs, as it is deployed.
func homeEnv(tb testing.TB, kind string) *env {
	if kind == argo {
		requireEnv(tb)
		return shared
	}
	return ownEnv(tb)
}

// nonName matches what a namespace name may not hold.
var nonName = regexp.MustCompile(`[^a-z0-9-]+`)

// setup returns a fresh namespace of e named after tb, also the instance ID of tb's controller.
func setup(tb testing.TB, e *env) string {
	tb.Helper()
	ns := strings.Trim(nonName.ReplaceAllString(strings.ToLower(tb.Name()), "-"), "-")
	if len(ns) > 50 {
		ns = strings.Trim(ns[:50], "-")
	}
	ns = fmt.Sprintf("%s-%d", ns, time.Now().UnixNano()%100000)
	if err := controlplane.ApplyYAML(context.Background(), e.admin, "", []byte("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: "+ns+"\n")); err != nil {
		tb.Fatal(err)
	}
	return ns
}

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// binary builds cmd/canarydrill once for the package (the benchmarks run it as a process, as
// Argo's controller runs, so that its memory is its own).
func binary(tb testing.TB) string {
	tb.Helper()
	binOnce.Do(func() {
		binPath = filepath.Join(shared.cp.Dir, "bin", "canarydrill")
		out, err := exec.Command("go", "build", "-o", binPath, "github.com/canarydrill/canarydrill/cmd/canarydrill").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		tb.Fatal(binErr)
	}
	return binPath
}
