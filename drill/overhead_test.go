package drill_test

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/types"

	"github.com/canarydrill/canarydrill/drill"
	"github.com/canarydrill/canarydrill/drill/drilltest"
	"github.com/canarydrill/canarydrill/drill/kubelet"
	"github.com/canarydrill/canarydrill/drill/load"
	"github.com/canarydrill/canarydrill/drill/router"
	"github.com/canarydrill/canarydrill/reports"
	"github.com/canarydrill/canarydrill/scenarios"
	"github.com/canarydrill/canarydrill/sim"
)

// envOverhead runs TestRouterOverhead (about a minute of load): docs/performance.md reports it.
const envOverhead = "CANARYDRILL_ROUTER_OVERHEAD"

// ready is a ContainerEvents that signals readiness.
type ready chan struct{}

func (r ready) ContainerReady(types.NamespacedName, int)          { close(r) }
func (r ready) ContainerExited(types.NamespacedName, int, string) {}

// TestRouterOverhead measures what the router adds to a request: vegeta at 2,000 requests per
// second straight at one demoapp process, and through the router to the same process, in five
// pairs of 10 s attacks.
func TestRouterOverhead(t *testing.T) {
	if os.Getenv(envOverhead) != "1" {
		t.Skipf("set %s=1 to measure the router's overhead (about a minute)", envOverhead)
	}
	defer drill.TuneGC()() // as `canarydrill drill` runs the router and vegeta
	before, stealBefore := readLoadavg(), readSteal()
	kl, err := kubelet.New(kubelet.Options{Command: drilltest.PodCommand(), Env: drilltest.PodEnv()})
	require.NoError(t, err)
	defer kl.Close(10 * time.Second)
	pod := types.NamespacedName{Namespace: "default", Name: "demo"}
	addr, err := kl.Admit(pod)
	require.NoError(t, err)
	zero := 0.0
	up := make(ready)
	kl.Start(sim.Container{Pod: pod, Gen: 1, Version: "v1", Seed: 1, Behaviour: scenarios.Version{
		ErrorRate: &zero,
		// A narrow latency, so that the difference is the router's and not the draws' tail.
		Latency: scenarios.Latency{P50: scenarios.Duration{Duration: time.Millisecond}, P99: scenarios.Duration{Duration: 1100 * time.Microsecond}},
	}}, up)
	select {
	case <-up:
	case <-time.After(10 * time.Second):
		t.Fatal("demoapp did not start")
	}
	start := time.Now()
	rt, err := router.New("", func() time.Duration { return time.Since(start) }, []float64{.001, .01, .1})
	require.NoError(t, err)
	defer rt.Close(time.Second)
	rt.Publish(sim.RouteTable{Untagged: []sim.Route{{Pod: pod.Name, Addr: addr, Weight: 1}}})

	attack := func(url string) reports.Load {
		a, err := load.Start(load.Options{URL: url, Traffic: scenarios.Traffic{RPS: 2000, Pattern: "constant"},
			Zero: time.Now(), Duration: 10 * time.Second, Window: time.Minute})
		require.NoError(t, err)
		l, _ := a.Wait()
		return l
	}
	row := func(pair, name string, l reports.Load) string {
		return fmt.Sprintf("| %s | %s | %d | %.0f | %.3f | %.3f | %.3f | %.3f | %.3f |", pair, name, l.Requests, l.Rate, l.Success,
			l.Latencies.P50*1000, l.Latencies.P90*1000, l.Latencies.P99*1000, l.Latencies.Max*1000)
	}
	attack("http://" + addr + "/") // warm both paths' connections and the process
	attack("http://" + rt.Addr() + "/")
	// Pairs run back to back, in alternating order, so that what else the machine does weighs
	// on both sides of a pair alike; the difference of each pair's p99 is what is compared.
	var diffs []float64
	out := "| pair | target | requests | rate/s | success | p50 ms | p90 ms | p99 ms | max ms |\n|---|---|---|---|---|---|---|---|---|\n"
	for i := range pairs {
		var d, r reports.Load
		if i%2 == 0 {
			d, r = attack("http://"+addr+"/"), attack("http://"+rt.Addr()+"/")
		} else {
			r, d = attack("http://"+rt.Addr()+"/"), attack("http://"+addr+"/")
		}
		diffs = append(diffs, (r.Latencies.P99-d.Latencies.P99)*1000)
		out += row(fmt.Sprint(i+1), "demoapp", d) + "\n" + row(fmt.Sprint(i+1), "router → demoapp", r) + "\n"
	}
	t.Logf("load average before and after: %s / %s; CPU time stolen by the host meanwhile: %.1f s", loadavg(before), loadavg(readLoadavg()), readSteal()-stealBefore)
	t.Logf("\n%s", out)
	diff := median(diffs)
	t.Logf("p99 through the router minus p99 straight at demoapp, per pair: %.3f ms; median %.3f ms", diffs, diff)
	if diff > 1 {
		t.Errorf("the router adds %.3f ms to the p99, more than the 1 ms goal", diff)
	}
}

// pairs is how many direct/routed pairs run, 10 s each.
const pairs = 5

func readLoadavg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	return string(b)
}

// readSteal is the CPU time, in seconds, the hypervisor has given other guests while this one
// was ready to run (/proc/stat's steal column): on a shared host it is what a tail measurement
// cannot control.
func readSteal() float64 {
	b, _ := os.ReadFile("/proc/stat")
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return 0
	}
	ticks, _ := strconv.ParseFloat(f[8], 64)
	return ticks / 100 // USER_HZ
}

func loadavg(s string) string {
	f := strings.Fields(s)
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
	return s[len(s)/2]
}
