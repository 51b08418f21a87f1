package controlplane

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// DefaultControllers are the kube-controller-manager controllers a Rollout needs: ReplicaSets
// get Pods, owned objects are garbage-collected, namespaces get their default ServiceAccount,
// and service-account token Secrets are filled.
var DefaultControllers = []string{"replicaset", "garbagecollector", "serviceaccount", "serviceaccount-token"}

// Options configure Start. The zero value starts the default control plane.
type Options struct {
	// BinDir holds kube-apiserver and kube-controller-manager; empty means DefaultBinDir().
	BinDir string
	// Controllers run in kube-controller-manager; nil means DefaultControllers.
	Controllers []string
	// Timeout bounds the start, until the API answers /readyz and the controllers run; 0 means 90s.
	Timeout time.Duration
	// ParentDir is where the temporary data dir is made; empty means os.TempDir().
	ParentDir string
}

// ControlPlane is a running etcd, kube-apiserver and kube-controller-manager on 127.0.0.1.
type ControlPlane struct {
	// Dir is the temporary data dir: etcd's data, keys, kubeconfigs and one log per program.
	Dir string
	// Kubeconfig is the path of an admin kubeconfig (group system:masters).
	Kubeconfig string
	// Config is the admin's client configuration.
	Config *rest.Config
	// URL is the API server's address, https://127.0.0.1:<port>.
	URL string

	caPEM []byte
	procs []*Process // in start order
}

const dirPrefix = "canarydrill-cp-"

// Start runs etcd, kube-apiserver and kube-controller-manager on free loopback ports with a fresh
// data dir, token authentication, RBAC authorization and a service-account key pair made now, and
// returns when the API is ready and the controllers run. On error everything started is stopped
// and removed. Call Stop when done.
func Start(ctx context.Context, o Options) (cp *ControlPlane, err error) {
	bins, err := Find(o.BinDir)
	if err != nil {
		return nil, err
	}
	if o.Controllers == nil {
		o.Controllers = DefaultControllers
	}
	if o.Timeout == 0 {
		o.Timeout = 90 * time.Second
	}
	if o.ParentDir == "" {
		o.ParentDir = os.TempDir()
	}
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()

	sweepStale(o.ParentDir)
	dir, err := os.MkdirTemp(o.ParentDir, dirPrefix)
	if err != nil {
		return nil, err
	}
	cp = &ControlPlane{Dir: dir}
	defer func() {
		if err != nil {
			_ = cp.Stop()
			cp = nil
		}
	}()
	if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(strconv.Itoa(os.Getpid())), 0o600); err != nil {
		return cp, err
	}
	keys, err := makePKI(dir)
	if err != nil {
		return cp, err
	}
	cp.caPEM = keys.caPEM
	ports, err := FreePorts(3)
	if err != nil {
		return cp, err
	}
	etcdClient, etcdPeer, apiPort := ports[0], ports[1], ports[2]
	cp.URL = fmt.Sprintf("https://127.0.0.1:%d", apiPort)

	adminToken, kcmToken := randomToken(), randomToken()
	tokens := fmt.Sprintf("%s,canarydrill-admin,uid-admin,\"system:masters\"\n%s,system:kube-controller-manager,uid-kcm,\"system:masters\"\n", adminToken, kcmToken)
	tokenFile := filepath.Join(dir, "tokens.csv")
	if err := os.WriteFile(tokenFile, []byte(tokens), 0o600); err != nil {
		return cp, err
	}
	cp.Config = cp.tokenConfig(adminToken)
	cp.Kubeconfig = filepath.Join(dir, "admin.kubeconfig")
	if err := WriteKubeconfig(cp.Kubeconfig, cp.Config); err != nil {
		return cp, err
	}
	kcmKubeconfig := filepath.Join(dir, "kube-controller-manager.kubeconfig")
	if err := WriteKubeconfig(kcmKubeconfig, cp.tokenConfig(kcmToken)); err != nil {
		return cp, err
	}

	etcdURL := fmt.Sprintf("http://127.0.0.1:%d", etcdClient)
	peerURL := fmt.Sprintf("http://127.0.0.1:%d", etcdPeer)
	etcd, err := StartProcess(dir, "etcd", bins.Etcd, nil,
		"--name=default", "--data-dir="+filepath.Join(dir, "etcd"),
		"--listen-client-urls="+etcdURL, "--advertise-client-urls="+etcdURL,
		"--listen-peer-urls="+peerURL, "--initial-advertise-peer-urls="+peerURL,
		"--initial-cluster=default="+peerURL, "--log-level=warn", "--logger=zap",
		// etcd 3.4 cannot answer kube-apiserver's progress requests (3.4.31 and up can), so a
		// resource with no writes keeps an old revision in the API server's watch cache, and a
		// watch from a newer resourceVersion waits 3s and fails ("Too large resource version")
		// until the next write. Frequent progress notifications keep every cache current.
		"--experimental-watch-progress-notify-interval=100ms")
	if err != nil {
		return cp, err
	}
	cp.procs = append(cp.procs, etcd)

	api, err := StartProcess(dir, "kube-apiserver", bins.APIServer, nil,
		"--bind-address=127.0.0.1", "--advertise-address=127.0.0.1",
		"--secure-port="+strconv.Itoa(apiPort),
		"--etcd-servers="+etcdURL,
		"--tls-cert-file="+keys.certFile, "--tls-private-key-file="+keys.keyFile,
		"--cert-dir="+filepath.Join(dir, "certs"),
		"--token-auth-file="+tokenFile,
		"--authorization-mode=RBAC",
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file="+keys.saPubFile,
		"--service-account-signing-key-file="+keys.saKeyFile,
		// Only ClusterIPs are drawn from this range; nothing ever dials them.
		"--service-cluster-ip-range=10.0.0.0/24",
		"--endpoint-reconciler-type=none",
		"--enable-priority-and-fairness=false",
		"--v=0")
	if err != nil {
		return cp, err
	}
	cp.procs = append(cp.procs, api)
	cs, err := kubernetes.NewForConfig(cp.Config)
	if err != nil {
		return cp, err
	}
	if err := waitFor(ctx, []*Process{etcd, api}, func(ctx context.Context) bool {
		body, err := cs.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		return err == nil && string(body) == "ok"
	}); err != nil {
		return cp, fmt.Errorf("kube-apiserver not ready: %w", err)
	}

	kcm, err := StartProcess(dir, "kube-controller-manager", bins.ControllerManager, nil,
		"--kubeconfig="+kcmKubeconfig,
		"--controllers="+strings.Join(o.Controllers, ","),
		"--service-account-private-key-file="+keys.saKeyFile,
		"--root-ca-file="+keys.caFile,
		"--secure-port=0", "--leader-elect=false",
		"--v=0")
	if err != nil {
		return cp, err
	}
	cp.procs = append(cp.procs, kcm)
	// The serviceaccount controller making "default" in the default namespace shows that the
	// controller manager runs and talks to the API.
	if err := waitFor(ctx, cp.procs, func(ctx context.Context) bool {
		_, err := cs.CoreV1().ServiceAccounts(metav1.NamespaceDefault).Get(ctx, "default", metav1.GetOptions{})
		return err == nil
	}); err != nil {
		return cp, fmt.Errorf("kube-controller-manager not running: %w", err)
	}
	return cp, nil
}

// waitFor polls ready every 100ms until it holds, a process exits, or ctx ends.
func waitFor(ctx context.Context, procs []*Process, ready func(context.Context) bool) error {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		for _, p := range procs {
			if p.Exited() {
				return p.ExitError()
			}
		}
		if ready(ctx) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w; last output of %s:\n%s", ctx.Err(), procs[len(procs)-1].name, procs[len(procs)-1].Tail(20))
		case <-t.C:
		}
	}
}

// Stop ends the programs (SIGTERM, then SIGKILL after 10s), newest first, and removes the data dir.
func (c *ControlPlane) Stop() error {
	var errs []error
	for i := len(c.procs) - 1; i >= 0; i-- {
		errs = append(errs, c.procs[i].Stop(10*time.Second))
	}
	c.procs = nil
	if c.Dir != "" {
		errs = append(errs, os.RemoveAll(c.Dir))
	}
	return errors.Join(errs...)
}

// LogTail returns the last n lines of a program's output: "etcd", "kube-apiserver" or
// "kube-controller-manager".
func (c *ControlPlane) LogTail(name string, n int) string {
	for _, p := range c.procs {
		if p.name == name {
			return p.Tail(n)
		}
	}
	return ""
}

func (c *ControlPlane) tokenConfig(token string) *rest.Config {
	return &rest.Config{
		Host:            c.URL,
		BearerToken:     token,
		TLSClientConfig: rest.TLSClientConfig{CAData: c.caPEM},
		QPS:             100,
		Burst:           200,
	}
}

// ServiceAccountConfig makes the ServiceAccount namespace/name (and its namespace) if missing and
// returns a client configuration that authenticates as it with a token from the TokenRequest
// API, valid for an hour: what a controller Deployment running as that account would have.
func (c *ControlPlane) ServiceAccountConfig(ctx context.Context, namespace, name string) (*rest.Config, error) {
	cs, err := kubernetes.NewForConfig(c.Config)
	if err != nil {
		return nil, err
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}}
	if _, err := cs.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return nil, err
	}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}}
	if _, err := cs.CoreV1().ServiceAccounts(namespace).Create(ctx, sa, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return nil, err
	}
	expiry := int64(3600)
	tr, err := cs.CoreV1().ServiceAccounts(namespace).CreateToken(ctx, name, &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &expiry}}, metav1.CreateOptions{})
	if err != nil {
		return nil, err
	}
	return c.tokenConfig(tr.Status.Token), nil
}

func randomToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
