package conformance

import (
	"context"
	"errors"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/canarydrill/canarydrill/fakeprom"
)

// servePrometheus serves a fresh fakeprom store's Prometheus HTTP API on a free loopback port
// until tb ends, and returns the store and the address to write into the templates. Argo's
// prometheus provider dials the template's address, so the templates are rewritten to point here
// (a real-API run cannot answer in process as the simulator does).
func servePrometheus(tb testing.TB) (*fakeprom.Store, string) {
	store := fakeprom.NewStore()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	srv := &http.Server{Handler: fakeprom.NewServer(store).Handler(), ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			tb.Errorf("fakeprom: %v", err)
		}
	}()
	tb.Cleanup(func() {
		_ = srv.Close()
		<-done
	})
	return store, "http://" + l.Addr().String()
}

// traffic is a tiny stand-in for the simulator's traffic and app models: rps requests a second
// to the app's Service, spread evenly over its serving pods (Ready, not terminating), as
// kube-proxy does for a replica-based canary; each pod answers errRate(pod) of them with a 500.
// Every tick it writes each pod's http_requests_total{status="200"|"500"} counters, with the
// seed's labels, into the store at the wall-clock time.
type traffic struct {
	store    *fakeprom.Store
	c        client.Client
	ns, app  string
	rps      float64
	errRate  func(*corev1.Pod) float64
	counters map[string]*[2]float64 // pod -> {ok, failed}
}

// run ticks until ctx ends.
func (g *traffic) run(ctx context.Context, tick time.Duration) {
	g.counters = map[string]*[2]float64{}
	t := time.NewTicker(tick)
	defer t.Stop()
	last := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			g.step(ctx, now.Sub(last).Seconds(), now)
			last = now
		}
	}
}

func (g *traffic) step(ctx context.Context, dt float64, now time.Time) {
	pods := &corev1.PodList{}
	if err := g.c.List(ctx, pods, client.InNamespace(g.ns), client.MatchingLabels{"app": g.app}); err != nil {
		return // the next tick tries again; a gap in the counters is what a missed scrape looks like
	}
	var serving []*corev1.Pod
	for i := range pods.Items {
		if p := &pods.Items[i]; p.DeletionTimestamp == nil && ready(p) {
			serving = append(serving, p)
		}
	}
	for _, p := range serving {
		n := g.rps * dt / float64(len(serving))
		bad := n * g.errRate(p)
		c := g.counters[p.Name]
		if c == nil {
			c = &[2]float64{}
			g.counters[p.Name] = c
		}
		c[0] += n - bad
		c[1] += bad
	}
	ms := now.UnixMilli()
	for i := range pods.Items {
		p := &pods.Items[i]
		c := g.counters[p.Name]
		if c == nil {
			continue
		}
		for j, status := range []string{"200", "500"} {
			g.store.AppendLabels(labels.FromStrings(
				"__name__", "http_requests_total",
				"namespace", g.ns, "service", g.app, "app", g.app, "pod", p.Name,
				"rollouts_pod_template_hash", p.Labels["rollouts-pod-template-hash"],
				"status", status), ms, c[j])
		}
	}
}

func ready(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}
