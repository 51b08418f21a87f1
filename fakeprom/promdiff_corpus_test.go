package fakeprom

import (
	"strings"
	"time"
)

// diffCase is one query of the differential corpus, asked of Prometheus
// and fakeprom at every instant of diffInstants and over diffRanges.
type diffCase struct {
	name  string
	query string
	// at replaces diffInstants (offsets from the data start, exact to the ms).
	at []time.Duration
	// ordered compares series order too (sort functions).
	ordered bool
	// errorType, when set, is the error every evaluation must end in.
	errorType string
	// differs names a documented difference between Prometheus 2.x and the
	// 3.x engine fakeprom runs: with a 2.x oracle the answers must differ
	// (so the statement stays true), with a 3.x oracle they must agree.
	differs string
}

// Documented differences between Prometheus 2.42 and 3.x (the engine of
// github.com/prometheus/prometheus v0.316.0). See docs/fakeprom.md.
const (
	diffLeftOpen = "Prometheus 3.0 made range selectors and the lookback delta left-open: " +
		"a sample exactly at t-range (or t-5m) is no longer included (3.0 migration guide, \"Range selectors and the lookback delta\")"
	diffZeroPoint = "Prometheus 2.51 changed where rate and increase stop extrapolating a counter that starts inside the window: " +
		"the zero point now only shortens the half-interval guess, it no longer replaces it (prometheus/prometheus#13725)"
	diffHoltWinters = "Prometheus 3.0 renamed holt_winters to double_exponential_smoothing behind " +
		"--enable-feature=promql-experimental-functions; without the flag it is an unknown function"
)

// The data (see diffSpec): services checkout and payments, stable and
// canary pods; canaries fail from 1 h; the first checkout canary is OOM
// killed at 1 h 17 m and its series stop at 2 h 20 m; edge_total is scraped
// on the exact 10 s grid and stops at 1 h.
const (
	canaryPod = "checkout-" + canaryHash + "-p0000"
)

func diffCorpus() []diffCase {
	q := func(name, query string) diffCase { return diffCase{name: name, query: query} }
	// @T is 1 h 0.5 s after the data start.
	atExpr := func(s string) string { return strings.ReplaceAll(s, "@T", "@ 1700002800.5") }
	grid := []time.Duration{30 * time.Minute, 61 * time.Minute, 90 * time.Minute}
	return []diffCase{
		// The seed's analysis queries, with their arguments filled in.
		q("seed success rate", `sum(rate(http_requests_total{service="checkout",status!~"5.."}[5m])) / sum(rate(http_requests_total{service="checkout"}[5m]))`),
		q("seed success rate 1m by app", `sum(rate(http_requests_total{app="checkout",status!~"5.."}[1m])) / sum(rate(http_requests_total{app="checkout"}[1m]))`),
		q("seed canary error rate", `sum(rate(http_requests_total{service="checkout",rollouts_pod_template_hash="`+canaryHash+`",status=~"5.."}[5m])) / sum(rate(http_requests_total{service="checkout",rollouts_pod_template_hash="`+canaryHash+`"}[5m]))`),
		q("seed p99 latency", `histogram_quantile(0.99, sum(rate(http_request_duration_milliseconds_bucket{service="checkout",rollouts_pod_template_hash="`+canaryHash+`"}[5m])) by (le))`),
		q("seed no OOM kills", `sum(increase(kube_pod_container_status_last_terminated_reason{reason="OOMKilled",pod=~"checkout-`+canaryHash+`-.*"}[5m])) or vector(0)`),
		q("OOM increase or vector(0)", `increase(kube_pod_container_status_last_terminated_reason{reason="OOMKilled"}[5m]) or vector(0)`),
		q("seed payment completion", `sum(rate(payments_completed_total{service="checkout"}[5m])) / sum(rate(payments_received_total{service="checkout"}[5m]))`),
		q("payment completion by revision", `sum by (rollouts_pod_template_hash) (rate(payments_completed_total[5m])) / sum by (rollouts_pod_template_hash) (rate(payments_received_total[5m]))`),
		q("p50 and p90 by revision", `histogram_quantile(0.9, sum by (le, rollouts_pod_template_hash) (rate(http_request_duration_milliseconds_bucket[5m]))) - histogram_quantile(0.5, sum by (le, rollouts_pod_template_hash) (rate(http_request_duration_milliseconds_bucket[5m])))`),
		q("p95 per pod", `histogram_quantile(0.95, rate(http_request_duration_milliseconds_bucket{service="payments"}[2m]))`),
		q("mean latency", `rate(http_request_duration_milliseconds_sum[5m]) / rate(http_request_duration_milliseconds_count[5m])`),

		// rate, increase, irate and friends, with windows down to one sample.
		q("rate 1m", `rate(http_requests_total[1m])`),
		q("rate 30s", `rate(http_requests_total{service="checkout"}[30s])`),
		q("rate 15s", `rate(http_requests_total{service="payments"}[15s])`),
		q("increase 5m", `increase(http_requests_total[5m])`),
		q("increase 10s", `increase(http_requests_total{status="500"}[10s])`),
		q("irate 1m", `irate(http_requests_total[1m])`),
		q("irate 25s", `irate(http_requests_total{status="200"}[25s])`),
		q("delta gauge", `delta(container_memory_working_set_bytes[5m])`),
		q("idelta gauge", `idelta(container_memory_working_set_bytes[1m])`),
		q("deriv", `deriv(container_memory_working_set_bytes[10m])`),
		q("predict_linear", `predict_linear(container_memory_working_set_bytes[15m], 3600)`),
		q("resets", `resets(http_requests_total[30m])`),
		q("changes", `changes(kube_pod_container_status_last_terminated_reason[30m])`),
		q("rate of cpu", `rate(process_cpu_seconds_total[2m])`),
		q("rate across the OOM reset", `rate(process_cpu_seconds_total{pod="`+canaryPod+`"}[20m])`),

		// Absent series and or vector(0).
		q("or vector(0) on nothing", `sum(rate(http_requests_total{status="418"}[5m])) or vector(0)`),
		q("absent of nothing", `absent(http_requests_total{status="418"})`),
		q("absent of something", `absent(up{service="checkout"})`),
		q("absent_over_time of an ended pod", `absent_over_time(up{pod="`+canaryPod+`"}[5m])`),
		q("count or vector(0)", `count(up{pod="`+canaryPod+`"} == 1) or vector(0)`),
		q("vector(0) or series", `vector(0) or sum(up)`),

		// offset and @.
		q("offset", `rate(http_requests_total{service="checkout"}[5m] offset 10m)`),
		q("negative offset", `http_requests_total{status="503"} offset -5m`),
		q("@ timestamp", atExpr(`sum(http_requests_total @T)`)),
		q("@ end()", `rate(http_requests_total{status="500"}[5m] @ end())`),
		q("@ start()", `sum by (service) (rate(http_requests_total[5m] @ start()))`),
		q("offset and @", atExpr(`increase(http_requests_total{status="200"}[5m] offset 1m @T)`)),

		// Subqueries, with and without a step.
		q("subquery max of rate", `max_over_time(rate(http_requests_total{status=~"5.."}[1m])[10m:30s])`),
		q("subquery default step", `avg_over_time(sum(rate(http_requests_total{status=~"5.."}[1m]))[15m:])`),
		q("subquery of a ratio", `min_over_time((sum(rate(http_requests_total{status!~"5.."}[1m])) / sum(rate(http_requests_total[1m])))[10m:1m])`),
		q("subquery quantile_over_time", `quantile_over_time(0.9, rate(process_cpu_seconds_total[1m])[20m:20s])`),
		q("rate over a subquery", `rate(sum(http_requests_total)[5m:20s])`),

		// Aggregations with by and without.
		q("sum by", `sum by (service, rollouts_pod_template_hash) (rate(http_requests_total[5m]))`),
		q("sum without", `sum without (pod, status) (rate(http_requests_total[5m]))`),
		q("avg by", `avg by (service) (container_memory_working_set_bytes)`),
		q("max without", `max without (pod) (container_memory_working_set_bytes)`),
		q("count by", `count by (status) (http_requests_total)`),
		q("topk", `topk(3, rate(http_requests_total[5m]))`),
		q("bottomk", `bottomk(2, sum by (pod) (rate(http_requests_total[5m])))`),
		q("quantile", `quantile(0.9, container_memory_working_set_bytes)`),
		q("stddev by", `stddev by (service) (rate(process_cpu_seconds_total[5m]))`),
		q("count_values", `count_values("restarts", kube_pod_container_status_restarts_total)`),
		q("group by", `group by (service) (up)`),

		// Regular-expression matchers.
		q("regex status", `http_requests_total{status=~"5..|404"}`),
		q("regex pod prefix", `sum(rate(http_requests_total{pod=~"checkout-.*-p000[0-2]"}[5m]))`),
		q("regex name", `{__name__=~"payments_.*_total", service="payments"}`),
		q("negative regex", `up{pod!~".*`+canaryHash+`.*"}`),
		q("regex name alternation", `count({__name__=~"http_request_duration_milliseconds_(sum|count)"})`),

		// Staleness: the canary pod's series stop at 2 h 20 m (no marker can
		// be backfilled), so they fade out after the 5 m lookback.
		q("ended series", `up{pod="`+canaryPod+`"}`),
		q("last_over_time", `last_over_time(up{service="checkout"}[10m])`),
		q("timestamp", `timestamp(up{pod="`+canaryPod+`"})`),
		q("count_over_time", `count_over_time(up{service="checkout"}[5m])`),

		// Binary operations and functions.
		q("group_left share", `rate(http_requests_total{status="500"}[5m]) / ignoring(status) group_left sum without (status) (rate(http_requests_total[5m]))`),
		q("filter", `sum by (pod) (rate(http_requests_total[5m])) > 12`),
		q("bool", `sum by (pod) (rate(http_requests_total[5m])) > bool 12`),
		q("label_replace", `label_replace(up, "hash", "$1", "pod", ".*-([0-9a-f]{10})-.*")`),
		q("clamp_max", `clamp_max(rate(http_requests_total[5m]), 5)`),
		{name: "sort_desc", query: `sort_desc(sum by (pod) (rate(http_requests_total[5m])))`, ordered: true},
		q("scalar", `scalar(sum(up)) * 2`),
		q("time minus timestamp", `time() - timestamp(up{service="payments"})`),
		q("on and unless", `up{service="checkout"} unless on (pod) kube_pod_container_status_last_terminated_reason{reason="OOMKilled"} == 1`),

		// Bad queries: the same error type and status code.
		{name: "parse error", query: `sum(rate(http_requests_total[5m])`, errorType: "bad_data"},
		{name: "range where instant expected", query: `rate(http_requests_total)`, errorType: "bad_data"},
		{name: "unknown function", query: `nosuchfunction(up)`, errorType: "bad_data"},
		{name: "range vector in binary op", query: `http_requests_total[5m] + 1`, errorType: "bad_data"},
		{name: "empty matcher", query: `{__name__=~".*"}`, errorType: "bad_data"},
		{name: "string parameter", query: `topk("a", up)`, errorType: "bad_data"},
		{name: "duplicate series after label_replace", query: `label_replace(up, "pod", "x", "", "")`, errorType: "execution"},
		{name: "many-to-many", query: `http_requests_total / on (pod) http_requests_total`, errorType: "execution"},

		// Known differences between 2.x and 3.x, checked to be what they say.
		{name: "left-open range", query: `count_over_time(edge_total[1m])`, at: grid, differs: diffLeftOpen},
		{name: "left-open lookback", query: `edge_total`, at: []time.Duration{time.Hour + 5*time.Minute}, differs: diffLeftOpen},
		{name: "counter starting in the window", query: `increase(http_requests_total{service="checkout"}[5m])`, at: []time.Duration{time.Minute + 500*time.Millisecond, 2*time.Minute + 500*time.Millisecond, 3*time.Minute + 500*time.Millisecond}, differs: diffZeroPoint},
		{name: "holt_winters", query: `holt_winters(container_memory_working_set_bytes[10m], 0.5, 0.5)`, differs: diffHoltWinters},
	}
}
