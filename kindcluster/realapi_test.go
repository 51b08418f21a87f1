package kindcluster

import (
	"context"
	"net"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/canarydrill/canarydrill/api/scheme"
	"github.com/canarydrill/canarydrill/demoapp"
	"github.com/canarydrill/canarydrill/internal/controlplane/cptest"
)

// What `cluster create` installs is accepted by a real kube-apiserver: the CRDs are served, and
// the controller's and fakeprom's Deployments, Services and RBAC are there, on the drill's image.
func TestInstallOnARealAPIServer(t *testing.T) {
	cp := cptest.Start(t)
	c, err := client.New(cp.Config, client.Options{Scheme: scheme.New()})
	require.NoError(t, err)
	ctx := context.Background()
	require.NoError(t, Install(ctx, c, "../config"))
	require.NoError(t, Install(ctx, c, "../config"), "installing again changes nothing")

	for _, nn := range []types.NamespacedName{{Namespace: "canarydrill-system", Name: "canarydrill-controller"}, {Namespace: "monitoring", Name: "prometheus"}} {
		d := &appsv1.Deployment{}
		require.NoError(t, c.Get(ctx, nn, d), nn.String())
		assert.Equal(t, Image, d.Spec.Template.Spec.Containers[0].Image)
		assert.Equal(t, corev1.PullNever, d.Spec.Template.Spec.Containers[0].ImagePullPolicy)
	}
	svc := &corev1.Service{}
	require.NoError(t, c.Get(ctx, types.NamespacedName{Namespace: "monitoring", Name: "prometheus"}, svc))
	assert.Equal(t, int32(9090), svc.Spec.Ports[0].Port, "http://prometheus.monitoring:9090, as the seed's templates say")
	crb := &rbacv1.ClusterRoleBinding{}
	require.NoError(t, c.Get(ctx, types.NamespacedName{Name: "canarydrill-fakeprom"}, crb))
	assert.ErrorContains(t, Install(ctx, c, t.TempDir()), "no CRDs manifests in crd/bases", "a wrong config folder is named")
}

// The in-cluster fakeprom finds an annotated pod through a real API, scrapes it with the default
// preset's labels, and writes kube-state-metrics' series from its status.
func TestFakepromScrapesAnnotatedPods(t *testing.T) {
	cp := cptest.Start(t)
	c, err := client.New(cp.Config, client.Options{Scheme: scheme.New()})
	require.NoError(t, err)
	ctx := context.Background()

	app := demoapp.New(demoapp.Config{Text: "v1", P50: time.Millisecond, P99: 2 * time.Millisecond, Seed: 1})
	srv := httptest.NewServer(app.Handler())
	defer srv.Close()
	for range 3 {
		_, err := srv.Client().Get(srv.URL)
		require.NoError(t, err)
	}
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())

	require.NoError(t, c.Create(ctx, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "demo-app"},
		Spec:       corev1.ServiceSpec{Selector: map[string]string{"app": "demo-app"}, Ports: []corev1.ServicePort{{Port: 80}}},
	}))
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "demo-app-abc12-xyz9k",
			Labels:      map[string]string{"app": "demo-app", "rollouts-pod-template-hash": "abc12"},
			Annotations: map[string]string{"prometheus.io/scrape": "true", "prometheus.io/port": port}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "demo-app", Image: Image}}},
	}
	require.NoError(t, c.Create(ctx, pod))
	pod.Status = corev1.PodStatus{Phase: corev1.PodRunning, PodIP: "127.0.0.1", PodIPs: []corev1.PodIP{{IP: "127.0.0.1"}},
		ContainerStatuses: []corev1.ContainerStatus{{Name: "demo-app", Image: Image, RestartCount: 2,
			LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{Reason: "OOMKilled", ExitCode: 137}}}}}
	require.NoError(t, c.Status().Update(ctx, pod))

	f := NewFakeprom(c, clock.RealClock{}, 10*time.Second)
	require.NoError(t, f.Discover(ctx))
	f.ScrapeNow(ctx)

	value := func(lset ...string) float64 {
		t.Helper()
		s := f.Store()
		var got []float64
		q, err := s.Querier(0, time.Now().Add(time.Minute).UnixMilli())
		require.NoError(t, err)
		ms := []*labels.Matcher{}
		for i := 0; i+1 < len(lset); i += 2 {
			ms = append(ms, labels.MustNewMatcher(labels.MatchEqual, lset[i], lset[i+1]))
		}
		set := q.Select(ctx, false, nil, ms...)
		for set.Next() {
			it := set.At().Iterator(nil)
			for it.Next() != 0 {
				_, v := it.At()
				got = append(got, v)
			}
		}
		require.NotEmpty(t, got, "no samples for %v", lset)
		return got[len(got)-1]
	}
	assert.Equal(t, 3.0, value("__name__", "http_requests_total", "namespace", "default", "service", "demo-app", "app", "demo-app",
		"rollouts_pod_template_hash", "abc12", "pod", "demo-app-abc12-xyz9k", "status", "200"))
	assert.Equal(t, 2.0, value("__name__", "kube_pod_container_status_restarts_total", "pod", "demo-app-abc12-xyz9k"))
	assert.Equal(t, 1.0, value("__name__", "kube_pod_container_status_last_terminated_reason", "reason", "OOMKilled"))
	assert.Equal(t, 1.0, value("__name__", "up", "instance", "127.0.0.1:"+port))
}
