package kindcluster

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"time"

	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/kind/pkg/cluster"
	"sigs.k8s.io/kind/pkg/cluster/nodeutils"

	"github.com/canarydrill/canarydrill/api/scheme"
)

// DefaultName is the seed's cluster name.
const DefaultName = "argo-rollouts-lab"

// Options name a cluster and where its kubeconfig goes.
type Options struct {
	// Name is the kind cluster (default DefaultName).
	Name string
	// Kubeconfig is the file kind writes the cluster's context into (default: kind's, $KUBECONFIG
	// or ~/.kube/config).
	Kubeconfig string
	// NodeImage is kind's node image (default: kind's for its release).
	NodeImage string
	// ConfigDir is the repository's config/ (CRDs, RBAC, the controller's Deployment).
	ConfigDir string
	// Binary is the static canarydrill binary the image is built from (default: this one).
	Binary string
	// Wait bounds the wait for the control plane to be ready (default 3m).
	Wait time.Duration
}

func (o *Options) defaults() {
	if o.Name == "" {
		o.Name = DefaultName
	}
	if o.Wait <= 0 {
		o.Wait = 3 * time.Minute
	}
}

// provider is kind's, with Docker: every command checks the daemon first.
func provider(ctx context.Context) (*cluster.Provider, error) {
	if err := Preflight(ctx); err != nil {
		return nil, err
	}
	return cluster.NewProvider(cluster.ProviderWithDocker()), nil
}

// Create makes the cluster (kubeconfig written), builds and loads the canarydrill image into
// it, and installs the controller and the in-cluster fakeprom.
func Create(ctx context.Context, o Options) error {
	o.defaults()
	p, err := provider(ctx)
	if err != nil {
		return err
	}
	opts := []cluster.CreateOption{
		cluster.CreateWithWaitForReady(o.Wait), cluster.CreateWithKubeconfigPath(o.Kubeconfig),
		cluster.CreateWithDisplayUsage(false), cluster.CreateWithDisplaySalutation(false),
	}
	if o.NodeImage != "" {
		opts = append(opts, cluster.CreateWithNodeImage(o.NodeImage))
	}
	if err := p.Create(o.Name, opts...); err != nil {
		return fmt.Errorf("kind create cluster %s: %w", o.Name, err)
	}
	if err := load(p, o); err != nil {
		return err
	}
	cfg, err := p.KubeConfig(o.Name, false)
	if err != nil {
		return err
	}
	rc, err := clientcmd.RESTConfigFromKubeConfig([]byte(cfg))
	if err != nil {
		return err
	}
	c, err := client.New(rc, client.Options{Scheme: scheme.New()})
	if err != nil {
		return err
	}
	return Install(ctx, c, o.ConfigDir)
}

// Delete removes the cluster and its kubeconfig context.
func Delete(ctx context.Context, o Options) error {
	o.defaults()
	p, err := provider(ctx)
	if err != nil {
		return err
	}
	return p.Delete(o.Name, o.Kubeconfig)
}

// Load builds the canarydrill image and loads it into every node of the cluster, as `kind load
// image-archive` does.
func Load(ctx context.Context, o Options) error {
	o.defaults()
	p, err := provider(ctx)
	if err != nil {
		return err
	}
	return load(p, o)
}

func load(p *cluster.Provider, o Options) error {
	bin := o.Binary
	if bin == "" {
		self, err := os.Executable()
		if err != nil {
			return err
		}
		bin = self
	}
	archive, err := BuildImage(bin, Image)
	if err != nil {
		return err
	}
	nodes, err := p.ListInternalNodes(o.Name)
	if err != nil {
		return err
	}
	if len(nodes) == 0 {
		return fmt.Errorf("kind cluster %s has no nodes (kind create cluster --name %s)", o.Name, o.Name)
	}
	for _, n := range nodes {
		if err := nodeutils.LoadImageArchive(n, bytes.NewReader(archive)); err != nil {
			return fmt.Errorf("loading %s into node %s: %w", Image, n, err)
		}
	}
	return nil
}
