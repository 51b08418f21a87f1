package kindcluster

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sort"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	corev1 "k8s.io/api/core/v1"
	klabels "k8s.io/apimachinery/pkg/labels"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
	"github.com/canarydrill/canarydrill/fakeprom"
)

// The annotations the seed's Prometheus config keeps and relabels pods by.
const (
	annotationScrape = "prometheus.io/scrape"
	annotationPort   = "prometheus.io/port"
	defaultPort      = "8080"
)

// Fakeprom is fakeprom inside a cluster: it finds the pods to scrape through the API, scrapes
// them with the default preset's labels, writes kube-state-metrics' series from their status,
// and serves Prometheus' HTTP API.
type Fakeprom struct {
	c       client.Reader
	store   *fakeprom.Store
	scraper *fakeprom.Scraper
	clk     clock.PassiveClock
	kube    map[string]fakeprom.SeriesRef
}

// NewFakeprom returns an in-cluster fakeprom reading pods through c.
func NewFakeprom(c client.Reader, clk clock.WithTicker, interval time.Duration) *Fakeprom {
	store := fakeprom.NewStore()
	return &Fakeprom{c: c, store: store, clk: clk, kube: map[string]fakeprom.SeriesRef{},
		scraper: fakeprom.NewScraper(store, clk, fakeprom.WithScrapeInterval(interval), fakeprom.WithScrapeTimeout(interval))}
}

// Store is where the samples go.
func (f *Fakeprom) Store() *fakeprom.Store { return f.store }

// Discover lists the pods and services and makes the scrapable pods the scraper's targets; it
// also writes their kube-state-metrics series now.
func (f *Fakeprom) Discover(ctx context.Context) error {
	var pods corev1.PodList
	if err := f.c.List(ctx, &pods); err != nil {
		return err
	}
	var svcs corev1.ServiceList
	if err := f.c.List(ctx, &svcs); err != nil {
		return err
	}
	f.kubeSeries(pods.Items)
	return f.scraper.SetTargets(PodTargets(pods.Items, svcs.Items))
}

// Serve discovers every interval, scrapes, and answers PromQL on listen until ctx ends.
func (f *Fakeprom) Serve(ctx context.Context, listen string, interval time.Duration) error {
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: fakeprom.NewServer(f.store, fakeprom.WithNow(f.clk.Now)).Handler(), ReadHeaderTimeout: 5 * time.Second}
	errs := make(chan error, 1)
	go func() { errs <- srv.Serve(ln) }()
	go f.scraper.Run(ctx)
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		_ = f.Discover(ctx) // a failed list keeps the last targets, as Prometheus' discovery does
		select {
		case <-ctx.Done():
			shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			return srv.Shutdown(shutdown)
		case err := <-errs:
			if errors.Is(err, http.ErrServerClosed) {
				return nil
			}
			return err
		case <-tick.C:
		}
	}
}

// PodTargets are the running pods annotated prometheus.io/scrape: "true", at
// podIP:prometheus.io/port (default 8080) /metrics, with the default preset's labels:
// namespace, service (the first Service by name that selects the pod, not counting
// rollouts-pod-template-hash, other than a Rollout's canary and stable Services), app,
// rollouts_pod_template_hash and pod.
func PodTargets(pods []corev1.Pod, svcs []corev1.Service) []fakeprom.Target {
	var out []fakeprom.Target
	for _, p := range pods {
		if p.Annotations[annotationScrape] != "true" || p.Status.PodIP == "" || p.DeletionTimestamp != nil {
			continue
		}
		port := p.Annotations[annotationPort]
		if port == "" {
			port = defaultPort
		}
		addr := net.JoinHostPort(p.Status.PodIP, port)
		out = append(out, fakeprom.Target{URL: "http://" + addr + "/metrics", Labels: labels.FromStrings(
			model.InstanceLabel, addr,
			"namespace", p.Namespace,
			"service", serviceOf(p, svcs),
			"app", p.Labels["app"],
			"rollouts_pod_template_hash", p.Labels[v1alpha1.DefaultRolloutUniqueLabelKey],
			"pod", p.Name,
		)})
	}
	return out
}

func serviceOf(p corev1.Pod, svcs []corev1.Service) string {
	var names []string
	for _, s := range svcs {
		if s.Namespace != p.Namespace || len(s.Spec.Selector) == 0 || s.Spec.Selector[v1alpha1.DefaultRolloutUniqueLabelKey] != "" {
			continue // no selector, or a canary/stable Service the controller pins to a revision
		}
		if klabels.SelectorFromSet(s.Spec.Selector).Matches(klabels.Set(p.Labels)) {
			names = append(names, s.Name)
		}
	}
	sort.Strings(names)
	if len(names) == 0 {
		return ""
	}
	return names[0]
}

// kubeSeries writes kube-state-metrics' view of every pod's first container: its restarts and
// its last termination reason (OOMKilled and Error, 0 or 1, as kube-state-metrics 1.x did).
func (f *Fakeprom) kubeSeries(pods []corev1.Pod) {
	t := f.clk.Now().UnixMilli()
	for _, p := range pods {
		if len(p.Status.ContainerStatuses) == 0 {
			continue
		}
		cs := p.Status.ContainerStatuses[0]
		last := ""
		if cs.LastTerminationState.Terminated != nil {
			last = cs.LastTerminationState.Terminated.Reason
		}
		base := []string{"namespace", p.Namespace, "pod", p.Name, "container", cs.Name}
		f.append(t, float64(cs.RestartCount), append(base, model.MetricNameLabel, "kube_pod_container_status_restarts_total")...)
		for _, reason := range []string{"OOMKilled", "Error"} {
			v := 0.0
			if last == reason {
				v = 1
			}
			f.append(t, v, append(base, model.MetricNameLabel, "kube_pod_container_status_last_terminated_reason", "reason", reason)...)
		}
	}
}

func (f *Fakeprom) append(t int64, v float64, kv ...string) {
	key := ""
	for _, s := range kv {
		key += s + "\xff"
	}
	ref, ok := f.kube[key]
	if !ok {
		ref = f.store.Ref(labels.FromStrings(kv...))
		f.kube[key] = ref
	}
	f.store.Append(ref, t, v)
}

// ScrapeNow scrapes every target at once (tests; Serve scrapes on its ticker).
func (f *Fakeprom) ScrapeNow(ctx context.Context) { f.scraper.ScrapeOnce(ctx) }
