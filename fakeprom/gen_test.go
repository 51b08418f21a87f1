package fakeprom

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
)

// genSpec describes synthetic data in the seed's metric conventions: for
// every pod 25 series (requests by status, a latency histogram in
// milliseconds, payments, OOM reasons, restarts, memory, CPU, up) scraped
// together every step with jitter. From faultAt on, canary pods fail: more
// 5xx, slower, payments silently failing, and one OOM kill with a restart
// that resets its counters.
type genSpec struct {
	seed     uint64
	start    int64 // ms
	duration time.Duration
	step     time.Duration
	services []string
	pods     int // per service and revision (stable, canary)
	faultAt  time.Duration
	// endPod stops the first canary pod's series at this offset (no stale
	// marker can be written to OpenMetrics), if non-zero.
	endPod time.Duration
}

const (
	stableHash = "6d4cf56db6"
	canaryHash = "7f9c8d6b5c"
)

// latencyBuckets are the le bounds of http_request_duration_milliseconds.
var latencyBuckets = []float64{5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, math.Inf(1)}

// seriesPerPod is how many series generate writes per pod.
const seriesPerPod = 25

type genPod struct {
	base    labels.Labels
	canary  bool
	rps     float64
	ends    int64 // ms, 0 = never
	oomAt   int64 // ms, 0 = never
	ooms    float64
	cpu     float64
	memory  float64
	req     [4]float64 // by status: 200, 404, 500, 503
	buckets []float64
	sum     float64
	count   float64
	paid    [2]float64 // received, completed

	container labels.Labels // the pod's labels as kube-state-metrics and cAdvisor give them
	series    []*Series     // in the order emit first met them
	next      int           // emit's position in series during one scrape
}

var statuses = [4]string{"200", "404", "500", "503"}

// generate returns the series of spec, deterministically.
func generate(spec genSpec) []Series {
	rng := rand.New(rand.NewPCG(spec.seed, 0x5eed))
	var pods []*genPod
	for _, svc := range spec.services {
		for _, hash := range []string{stableHash, canaryHash} {
			for i := range spec.pods {
				pod := fmt.Sprintf("%s-%s-p%04d", svc, hash, i)
				p := &genPod{
					base: labels.FromStrings("namespace", "demo", "service", svc, "app", svc,
						"rollouts_pod_template_hash", hash, "pod", pod),
					container: labels.FromStrings("namespace", "demo", "pod", pod, "container", "app"),
					canary:    hash == canaryHash,
					rps:       5 + 10*rng.Float64(),
					cpu:       rng.Float64() * 100,
					memory:    150e6 + 50e6*rng.Float64(),
					buckets:   make([]float64, len(latencyBuckets)),
				}
				if p.canary && i == 0 {
					p.oomAt = spec.start + (spec.faultAt + 17*time.Minute).Milliseconds()
					if spec.endPod > 0 {
						p.ends = spec.start + spec.endPod.Milliseconds()
					}
				}
				pods = append(pods, p)
			}
		}
	}

	var all []*Series
	// emit appends one sample to the pod's next series, creating it (and
	// building its labels) on the first scrape only.
	emit := func(p *genPod, t int64, v float64, base labels.Labels, name string, kv ...string) {
		if p.next == len(p.series) {
			s := &Series{Labels: withName(base, name, kv...)}
			p.series = append(p.series, s)
			all = append(all, s)
		}
		s := p.series[p.next]
		p.next++
		s.Samples = append(s.Samples, Sample{t, v})
	}

	n := int(spec.duration / spec.step)
	for k := 0; k <= n; k++ {
		// Odd milliseconds: never a whole second, so no evaluation time at
		// .000 or .500 and no range boundary ever lands on a sample.
		scrape := spec.start + (time.Duration(k) * spec.step).Milliseconds() + 2*rng.Int64N(900) + 1
		since := time.Duration(scrape-spec.start) * time.Millisecond
		for _, p := range pods {
			if p.ends != 0 && scrape >= p.ends {
				continue
			}
			faulty := p.canary && since >= spec.faultAt
			// Requests in this interval, split by status.
			total := math.Round(p.rps * spec.step.Seconds() * (0.8 + 0.4*rng.Float64()))
			errFrac := 0.002
			median := 40.0
			failPay := 0.0005
			if faulty {
				errFrac, median, failPay = 0.08, 180, 0.02
			}
			e5 := math.Round(total * errFrac * rng.Float64() * 2)
			e4 := math.Round(total * 0.01 * rng.Float64())
			ok := math.Max(0, total-e5-e4)
			p.req[0] += ok
			p.req[1] += e4
			p.req[2] += math.Round(e5 * 0.7)
			p.req[3] += e5 - math.Round(e5*0.7)
			// Latency: log-normal around median, counted cumulatively per le.
			for i, le := range latencyBuckets {
				frac := 0.5 * math.Erfc(-(math.Log(le)-math.Log(median))/(0.9*math.Sqrt2))
				p.buckets[i] += math.Round(total * frac)
			}
			p.count += total
			p.sum += total * median * (1.2 + 0.3*rng.Float64())
			recv := math.Round(total * 0.1)
			p.paid[0] += recv
			p.paid[1] += recv - math.Round(recv*failPay*2*rng.Float64())
			p.cpu += spec.step.Seconds() * (0.05 + 0.1*rng.Float64())
			p.memory += (rng.Float64() - 0.45) * 1e6
			if p.oomAt != 0 && scrape >= p.oomAt && p.ooms == 0 {
				// OOM kill: the container restarts and its counters reset.
				p.ooms = 1
				p.req = [4]float64{}
				clear(p.buckets)
				p.sum, p.count, p.paid, p.cpu = 0, 0, [2]float64{}, 0
				p.memory = 150e6
			}

			p.next = 0
			for i, st := range statuses {
				emit(p, scrape, p.req[i], p.base, "http_requests_total", "status", st)
			}
			for i, le := range latencyBuckets {
				emit(p, scrape, p.buckets[i], p.base, "http_request_duration_milliseconds_bucket", "le", leText(le))
			}
			emit(p, scrape, p.sum, p.base, "http_request_duration_milliseconds_sum")
			emit(p, scrape, p.count, p.base, "http_request_duration_milliseconds_count")
			emit(p, scrape, p.paid[0], p.base, "payments_received_total")
			emit(p, scrape, p.paid[1], p.base, "payments_completed_total")
			emit(p, scrape, p.ooms, p.container, "kube_pod_container_status_last_terminated_reason", "reason", "OOMKilled")
			emit(p, scrape, 0, p.container, "kube_pod_container_status_last_terminated_reason", "reason", "Error")
			emit(p, scrape, p.ooms, p.container, "kube_pod_container_status_restarts_total")
			emit(p, scrape, math.Round(p.memory), p.container, "container_memory_working_set_bytes")
			emit(p, scrape, p.cpu, p.base, "process_cpu_seconds_total")
			emit(p, scrape, 1, p.base, "up")
		}
	}
	series := make([]Series, len(all))
	for i, s := range all {
		series[i] = *s
	}
	return series
}

func withName(base labels.Labels, name string, kv ...string) labels.Labels {
	b := labels.NewBuilder(base)
	b.Set(model.MetricNameLabel, name)
	for i := 0; i+1 < len(kv); i += 2 {
		b.Set(kv[i], kv[i+1])
	}
	return b.Labels()
}

// leText writes bucket bounds as client_golang does.
func leText(le float64) string {
	if math.IsInf(le, 1) {
		return "+Inf"
	}
	return fmt.Sprint(le)
}
