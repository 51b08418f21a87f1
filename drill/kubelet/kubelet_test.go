package kubelet_test

import (
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/types"

	"github.com/canarydrill/canarydrill/drill/drilltest"
	"github.com/canarydrill/canarydrill/drill/kubelet"
	"github.com/canarydrill/canarydrill/scenarios"
	"github.com/canarydrill/canarydrill/sim"
)

func TestMain(m *testing.M) { drilltest.Main(m) }

// events records what the Kubelet reports.
type events struct{ ch chan string }

func (e *events) ContainerReady(pod types.NamespacedName, gen int) { e.ch <- "ready" }
func (e *events) ContainerExited(pod types.NamespacedName, gen int, reason string) {
	e.ch <- "exited " + reason
}

func (e *events) next(t *testing.T) string {
	t.Helper()
	select {
	case s := <-e.ch:
		return s
	case <-time.After(15 * time.Second):
		t.Fatal("no event from the kubelet")
		return ""
	}
}

func newKubelet(t *testing.T) *kubelet.Kubelet {
	t.Helper()
	k, err := kubelet.New(kubelet.Options{Command: drilltest.PodCommand(), Env: drilltest.PodEnv(), TimeScale: 0.5})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, k.Close(10*time.Second)) })
	return k
}

func container(pod types.NamespacedName, gen int) sim.Container {
	rate := 0.0
	return sim.Container{
		Pod: pod, Gen: gen, Version: "v3", Args: []string{"-text=Version 3 - Bad Version", "-listen=:8080"},
		Behaviour: scenarios.Version{
			ErrorRate: &rate,
			Latency:   scenarios.Latency{P50: scenarios.Duration{Duration: time.Millisecond}, P99: scenarios.Duration{Duration: 2 * time.Millisecond}},
			Memory:    scenarios.Memory{Start: quantity("10Mi"), Limit: quantity("12Mi")},
		},
		Seed: 1,
	}
}

func quantity(s string) scenarios.Quantity {
	var q scenarios.Quantity
	if err := q.UnmarshalJSON([]byte(`"` + s + `"`)); err != nil {
		panic(err)
	}
	return q
}

func get(t *testing.T, addr string) (int, string) {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/")
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestAContainerAnswersWithItsVersionAndTakesItsKnobs(t *testing.T) {
	k := newKubelet(t)
	pod := types.NamespacedName{Namespace: "default", Name: "demo-app-abc-xyz12"}
	addr, err := k.Admit(pod)
	require.NoError(t, err)
	ev := &events{ch: make(chan string, 10)}
	k.Start(container(pod, 1), ev)
	require.Equal(t, "ready", ev.next(t))
	code, body := get(t, addr)
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, "Version 3 - Bad Version\n", body)
	m, ok := k.Memory(pod)
	assert.True(t, ok)
	assert.Greater(t, m, float64(1<<20), "the resident set of a real process")

	k.SetFaults(pod, 1, sim.AppFaults{ErrorRate: 1, ErrorCode: 503})
	require.Eventually(t, func() bool { c, _ := get(t, addr); return c == 503 }, 5*time.Second, 20*time.Millisecond)
	k.SetFaults(pod, 2, sim.AppFaults{}) // another container's knobs: ignored
	c, _ := get(t, addr)
	assert.Equal(t, 503, c)

	k.Kill(pod, 1) // an injected OOM kill: the world already knows, nothing is reported
	require.Eventually(t, func() bool { return k.Running() == 0 }, 5*time.Second, 10*time.Millisecond)
	select {
	case e := <-ev.ch:
		t.Fatalf("a killed container was reported: %s", e)
	case <-time.After(200 * time.Millisecond):
	}
	drilltest.RequireCleanedUp(t, []string{addr})
}

// A leak past the version's headroom ends the process with 137: OOMKilled, as the kernel would.
func TestALeakEndsInOOMKilled(t *testing.T) {
	k := newKubelet(t)
	pod := types.NamespacedName{Namespace: "default", Name: "leaky"}
	_, err := k.Admit(pod)
	require.NoError(t, err)
	ev := &events{ch: make(chan string, 10)}
	c := container(pod, 1)
	c.Faults.LeakBytesPerSecond = 2 << 20 // 2 MiB per scenario second, 4 per wall second: 2 MiB headroom
	k.Start(c, ev)
	require.Equal(t, "ready", ev.next(t))
	assert.Equal(t, "exited OOMKilled", ev.next(t))
	assert.Contains(t, k.Exits()[0], "OOMKilled (exit status 137): demoapp: out of memory")
}

func TestACrashLoopingContainerExitsWithError(t *testing.T) {
	k := newKubelet(t)
	pod := types.NamespacedName{Namespace: "default", Name: "crashy"}
	_, err := k.Admit(pod)
	require.NoError(t, err)
	ev := &events{ch: make(chan string, 10)}
	c := container(pod, 1)
	c.CrashOnStart = true
	k.Start(c, ev)
	assert.Equal(t, "exited Error", ev.next(t))
}

// A deleted pod's process serves through its grace, then stops; Close ends the rest at once.
func TestRemoveAndCloseEndEveryProcess(t *testing.T) {
	k := newKubelet(t)
	ev := &events{ch: make(chan string, 10)}
	var addrs []string
	for i, name := range []string{"a", "b", "c"} {
		pod := types.NamespacedName{Namespace: "default", Name: name}
		addr, err := k.Admit(pod)
		require.NoError(t, err)
		addrs = append(addrs, addr)
		k.Start(container(pod, i+1), ev)
		require.Equal(t, "ready", ev.next(t))
	}
	k.Remove(types.NamespacedName{Namespace: "default", Name: "a"})
	code, _ := get(t, addrs[0])
	assert.Equal(t, http.StatusOK, code, "still serving during its grace")
	require.Eventually(t, func() bool { _, err := http.Get("http://" + addrs[0] + "/"); return err != nil }, 5*time.Second, 20*time.Millisecond)
	require.NoError(t, k.Close(10*time.Second))
	assert.ElementsMatch(t, addrs, k.Addrs())
	drilltest.RequireCleanedUp(t, addrs)
}
