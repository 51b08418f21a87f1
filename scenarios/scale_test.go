package scenarios

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

func dur(s string) Duration {
	d, err := time.ParseDuration(s)
	if err != nil {
		panic(err)
	}
	return Duration{d}
}

func qty(s string) Quantity { return Quantity{resource.MustParse(s), true} }

func TestScaleRejectsFactorsOutsideZeroToOne(t *testing.T) {
	for _, f := range []float64{0, -0.5, 1.5, math.NaN(), math.Inf(1)} {
		_, err := Scale(&Scenario{Source: "s.yaml"}, f)
		require.Error(t, err, "f=%v", f)
		assert.Contains(t, err.Error(), "s.yaml: time scale")
		assert.Contains(t, err.Error(), "want 0 < f <= 1")
	}
}

func TestScaleOneIsAnEqualDeepCopy(t *testing.T) {
	for _, name := range []string{"seed-bad-canary-bake", "lesson-failure-limit-high", "analysis-latency-judge-catches"} {
		t.Run(name, func(t *testing.T) {
			sc, err := Load(BuiltinPrefix + name)
			require.NoError(t, err)
			out, err := Scale(sc, 1)
			require.NoError(t, err)
			assert.Equal(t, sc, out)

			out.Spec.Timeline[0].At.Duration = time.Hour
			out.Spec.Versions[DefaultVersion] = Version{}
			out.Objects[0].Object.SetName("changed")
			fresh, err := Load(BuiltinPrefix + name)
			require.NoError(t, err)
			assert.Equal(t, fresh, sc, "changing the copy changed the original")
		})
	}
}

func TestScaleLeavesItsInputAlone(t *testing.T) {
	sc, err := Load(BuiltinPrefix + "seed-bad-canary-bake")
	require.NoError(t, err)
	_, err = Scale(sc, 0.1)
	require.NoError(t, err)
	fresh, err := Load(BuiltinPrefix + "seed-bad-canary-bake")
	require.NoError(t, err)
	assert.Equal(t, fresh, sc)
}

func TestScaleScenarioFields(t *testing.T) {
	rate, maxErrors := 0.01, int64(2000)
	sc := &Scenario{Source: "s.yaml", Spec: Spec{
		MaxDuration: dur("30m"),
		Traffic:     Traffic{RPS: 50, Pattern: "sine", Amplitude: 0.3, Period: dur("10m")},
		Metrics:     Metrics{ScrapeInterval: dur("10s"), Shift: dur("-2m")},
		Versions: map[string]Version{"default": {
			ErrorRate: &rate, Latency: Latency{P50: dur("20ms"), P99: dur("150ms")},
			Memory: Memory{Start: qty("150Mi"), Limit: qty("512Mi")}, Startup: dur("5s"),
		}},
		Timeline: []Entry{
			{At: dur("1m"), Update: &Update{Image: "app:v2"}},
			{At: dur("3m"), Fault: FaultHTTPErrors, Rate: qty("0.3"), Duration: dur("10m")},
			{At: dur("4m"), Fault: FaultLatency, Add: dur("400ms"), Factor: 2},
			{At: dur("5m"), Fault: FaultMemoryLeak, Rate: qty("2Mi")},
			{At: dur("20m"), Action: ActionPromote},
		},
		Expect:  Expect{DetectionWithin: &Duration{90 * time.Second}, RollbackWithin: &Duration{2 * time.Minute}, MaxUserErrors: &maxErrors},
		Healthy: &Healthy{Timeline: []Entry{{At: dur("1m"), Update: &Update{Image: "app:v2"}}}, Versions: map[string]Version{"default": {Startup: dur("3s")}}},
		Jobs:    map[string]Job{"smoke-test": {Duration: dur("30s"), Outcome: JobSucceed, FailFor: []string{"app:v3"}}},
	}}
	out, err := Scale(sc, 0.1)
	require.NoError(t, err)
	s := out.Spec
	for _, tc := range []struct {
		name      string
		got, want any
	}{
		{"maxDuration", s.MaxDuration.String(), "180s"},
		{"traffic.rps: 1/f, so that a window holds as many requests", s.Traffic.RPS, 500.0},
		{"traffic.amplitude: a fraction", s.Traffic.Amplitude, 0.3},
		{"traffic.period", s.Traffic.Period.String(), "60s"},
		{"metrics.scrapeInterval", s.Metrics.ScrapeInterval.String(), "1s"},
		{"metrics.shift", s.Metrics.Shift.String(), "-12s"},
		{"versions.startup", s.Versions["default"].Startup.String(), "0.5s"},
		{"versions.latency: response times do not scale", s.Versions["default"].Latency, sc.Spec.Versions["default"].Latency},
		{"versions.errorRate", *s.Versions["default"].ErrorRate, 0.01},
		{"versions.memory", s.Versions["default"].Memory.Limit.Float(), float64(512 << 20)},
		{"timeline[0].at", s.Timeline[0].At.String(), "6s"},
		{"timeline[1].at", s.Timeline[1].At.String(), "18s"},
		{"timeline[1].duration", s.Timeline[1].Duration.String(), "60s"},
		{"timeline[1].rate: http-errors fraction", s.Timeline[1].Rate.String(), "300m"},
		{"timeline[2].add: a response time", s.Timeline[2].Add.String(), "0.4s"},
		{"timeline[2].factor", s.Timeline[2].Factor, 2.0},
		{"timeline[3].rate: memory-leak bytes per second, 1/f", s.Timeline[3].Rate.String(), "20Mi"},
		{"timeline[4].at", s.Timeline[4].At.String(), "120s"},
		{"expect.detectionWithin", s.Expect.DetectionWithin.String(), "9s"},
		{"jobs.duration", s.Jobs["smoke-test"].Duration.String(), "3s"},
		{"jobs.failFor", s.Jobs["smoke-test"].FailFor, []string{"app:v3"}},
		{"jobs: the input keeps its own", sc.Spec.Jobs["smoke-test"].Duration.String(), "30s"},
		{"expect.rollbackWithin", s.Expect.RollbackWithin.String(), "12s"},
		{"expect.maxUserErrors: the same requests in less time", *s.Expect.MaxUserErrors, int64(2000)},
		{"healthy.timeline[0].at", s.Healthy.Timeline[0].At.String(), "6s"},
		{"healthy.versions.startup", s.Healthy.Versions["default"].Startup.String(), "0.3s"},
	} {
		t.Run(tc.name, func(t *testing.T) { assert.Equal(t, tc.want, tc.got) })
	}
}

const scaleManifests = `
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: routed}
spec:
  minReadySeconds: 30
  strategy:
    canary:
      canaryService: c
      stableService: s
      trafficRouting: {nginx: {stableIngress: web}}
      abortScaleDownDelaySeconds: 0
      steps:
      - pause: {duration: 60}
      - pause: {duration: 60s}
      - pause: {duration: "30"}
      - pause: {duration: 1m30s}
      - pause: {duration: 45s}
      - pause: {}
      - experiment:
          duration: 5m
          templates: [{name: baseline, specRef: stable}]
---
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: basic}
spec:
  progressDeadlineSeconds: 90
  strategy:
    canary:
      steps: [{setWeight: 20}]
---
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: dynamic}
spec:
  strategy:
    canary:
      canaryService: c
      stableService: s
      dynamicStableScale: true
      trafficRouting: {nginx: {stableIngress: web}}
---
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: bg}
spec:
  strategy:
    blueGreen:
      activeService: a
      autoPromotionSeconds: 120
---
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: bg-post}
spec:
  strategy:
    blueGreen:
      activeService: a
      postPromotionAnalysis: {templates: [{templateName: t}]}
---
apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata: {name: t}
spec:
  args: [{name: app}]
  metrics:
  - name: rate
    interval: 30s
    initialDelay: 5s
    provider:
      prometheus:
        timeout: 30
        query: sum(rate(x{app="{{args.app}}"}[1m]))
        rangeQuery: {start: 'now() - duration("5m")', end: now(), step: 1m}
  - name: web
    interval: 1m
    provider:
      web: {url: "http://x/{{args.app}}", timeoutSeconds: 10}
  - name: judge
    provider:
      judge:
        metrics: [{name: p99, canary: 'rate(x[2m])', baseline: 'rate(y[2m])'}]
---
apiVersion: argoproj.io/v1alpha1
kind: Experiment
metadata: {name: exp}
spec:
  duration: 10m
  templates: [{name: a, minReadySeconds: 20, selector: {}, template: {}}]
`

func TestScaleManifestFields(t *testing.T) {
	objs, probs := DecodeManifests([]byte(scaleManifests), "m.yaml")
	require.Empty(t, probs)
	out, err := Scale(&Scenario{Source: "s.yaml", Objects: objs}, 0.1)
	require.NoError(t, err)
	byName := map[string]any{}
	for _, o := range out.Objects {
		byName[o.Object.GetName()] = o.Object
	}
	routed := byName["routed"].(*v1alpha1.Rollout).Spec
	steps := routed.Strategy.Canary.Steps
	basic := byName["basic"].(*v1alpha1.Rollout).Spec
	dynamic := byName["dynamic"].(*v1alpha1.Rollout).Spec.Strategy.Canary
	bg := byName["bg"].(*v1alpha1.Rollout).Spec.Strategy.BlueGreen
	bgPost := byName["bg-post"].(*v1alpha1.Rollout).Spec.Strategy.BlueGreen
	tm := byName["t"].(*v1alpha1.AnalysisTemplate).Spec.Metrics
	exp := byName["exp"].(*v1alpha1.Experiment).Spec
	i32 := func(v int32) *int32 { return &v }
	for _, tc := range []struct {
		name      string
		got, want any
	}{
		{"pause int seconds", *steps[0].Pause.Duration, intstr.FromInt32(6)},
		{"pause duration string", *steps[1].Pause.Duration, intstr.FromString("6s")},
		{"pause integer string", *steps[2].Pause.Duration, intstr.FromString("3")},
		{"pause minutes and seconds", *steps[3].Pause.Duration, intstr.FromString("9s")},
		{"pause rounds to whole seconds", *steps[4].Pause.Duration, intstr.FromString("5s")},
		{"indefinite pause stays indefinite", steps[5].Pause.Duration, (*intstr.IntOrString)(nil)},
		{"experiment step duration", steps[6].Experiment.Duration, v1alpha1.DurationString("30s")},
		{"experiment step scaleDownDelaySeconds default 30", steps[6].Experiment.ScaleDownDelaySeconds, i32(3)},
		{"minReadySeconds", routed.MinReadySeconds, int32(3)},
		{"progressDeadlineSeconds default 600", routed.ProgressDeadlineSeconds, i32(60)},
		{"progressDeadlineSeconds", basic.ProgressDeadlineSeconds, i32(9)},
		{"canary scaleDownDelaySeconds default 30 with traffic routing", routed.Strategy.Canary.ScaleDownDelaySeconds, i32(3)},
		{"abortScaleDownDelaySeconds 0 means never", routed.Strategy.Canary.AbortScaleDownDelaySeconds, i32(0)},
		{"basic canary has no scale-down delay", basic.Strategy.Canary.ScaleDownDelaySeconds, (*int32)(nil)},
		{"basic canary has no abort delay", basic.Strategy.Canary.AbortScaleDownDelaySeconds, (*int32)(nil)},
		{"dynamicStableScale: absent abort delay kept absent", dynamic.AbortScaleDownDelaySeconds, (*int32)(nil)},
		{"dynamicStableScale: scaleDownDelaySeconds kept absent", dynamic.ScaleDownDelaySeconds, (*int32)(nil)},
		{"blueGreen autoPromotionSeconds", bg.AutoPromotionSeconds, int32(12)},
		{"blueGreen scaleDownDelaySeconds default 30", bg.ScaleDownDelaySeconds, i32(3)},
		{"blueGreen abortScaleDownDelaySeconds default 30", bg.AbortScaleDownDelaySeconds, i32(3)},
		{"blueGreen autoPromotionSeconds 0 stays off", bgPost.AutoPromotionSeconds, int32(0)},
		{"blueGreen with post-promotion analysis: absent delay kept absent", bgPost.ScaleDownDelaySeconds, (*int32)(nil)},
		{"metric interval", tm[0].Interval, v1alpha1.DurationString("3s")},
		{"metric initialDelay", tm[0].InitialDelay, v1alpha1.DurationString("0.5s")},
		{"prometheus query", tm[0].Provider.Prometheus.Query, `sum(rate(x{app="{{args.app}}"}[6s]))`},
		{"prometheus timeout: a response time", *tm[0].Provider.Prometheus.Timeout, int64(30)},
		{"rangeQuery start", tm[0].Provider.Prometheus.RangeQuery.Start, `now() - duration("30s")`},
		{"rangeQuery end", tm[0].Provider.Prometheus.RangeQuery.End, `now()`},
		{"rangeQuery step", tm[0].Provider.Prometheus.RangeQuery.Step, v1alpha1.DurationString("6s")},
		{"web timeoutSeconds: a response time", tm[1].Provider.Web.TimeoutSeconds, int64(10)},
		{"web url untouched", tm[1].Provider.Web.URL, "http://x/{{args.app}}"},
		{"judge window default 5m", tm[2].Provider.Judge.Window, v1alpha1.DurationString("30s")},
		{"judge step default 10s", tm[2].Provider.Judge.Step, v1alpha1.DurationString("1s")},
		{"judge canary query", tm[2].Provider.Judge.Metrics[0].Canary, "rate(x[12s])"},
		{"judge baseline query", tm[2].Provider.Judge.Metrics[0].Baseline, "rate(y[12s])"},
		{"Experiment duration", exp.Duration, v1alpha1.DurationString("60s")},
		{"Experiment progressDeadlineSeconds default 600", exp.ProgressDeadlineSeconds, i32(60)},
		{"Experiment scaleDownDelaySeconds default 30", exp.ScaleDownDelaySeconds, i32(3)},
		{"Experiment template minReadySeconds", exp.Templates[0].MinReadySeconds, int32(2)},
	} {
		t.Run(tc.name, func(t *testing.T) { assert.Equal(t, tc.want, tc.got) })
	}
}

func TestScaleQuery(t *testing.T) {
	for _, tc := range []struct {
		name, query, want string
		problem           string
	}{
		{"range", `rate(x[1m])`, `rate(x[6s])`, ""},
		{"offset", `rate(x[1m] offset 5m)`, `rate(x[6s] offset 30s)`, ""},
		{"negative offset", `x offset -5m`, `x offset -30s`, ""},
		{"subquery", `max_over_time(rate(x[1m])[5m:1m])`, `max_over_time(rate(x[6s])[30s:6s])`, ""},
		{"subquery offset", `max_over_time(x[10m:1m] offset 1h)`, `max_over_time(x[1m:6s] offset 6m)`, ""},
		{"milliseconds in Prometheus' form", `rate(x[15s])`, `rate(x[1s500ms])`, ""},
		{"predict_linear horizon in seconds", `predict_linear(x[1h], 3600) > 0`, `predict_linear(x[6m], 360) > 0`, ""},
		{"no duration keeps the layout", "sum(up{job=\"a\"})  >  0\n", "sum(up{job=\"a\"})  >  0\n", ""},
		{"args in label values survive", `sum(rate(http_requests_total{app="{{args.service-name}}",status!~"5.."}[1m])) / sum(rate(http_requests_total{app="{{args.service-name}}"}[1m]))`,
			`sum(rate(http_requests_total{app="{{args.service-name}}",status!~"5.."}[6s])) / sum(rate(http_requests_total{app="{{args.service-name}}"}[6s]))`, ""},
		{"args in a regex survive", `sum(irate(x{d=~"{{args.service}}.{{args.namespace}}.svc"}[1m]))`, `sum(irate(x{d=~"{{args.service}}.{{args.namespace}}.svc"}[6s]))`, ""},
		{"args as a metric name and label name survive", `sum by ({{ args.label }}) (rate({{args.metric}}[5m]))`, `sum by ({{ args.label }}) (rate({{args.metric}}[30s]))`, ""},
		{"args as a number survive", `rate(x[1m]) > {{args.threshold}}`, `rate(x[6s]) > {{args.threshold}}`, ""},
		{"a window from args cannot be scaled", `rate(x[{{args.window}}])`, `rate(x[{{args.window}}])`, "query does not parse, so its windows cannot be scaled"},
		{"range below a second", `rate(x[5s])`, `rate(x[500ms])`, "range 5s scales to 500ms, below the 1s floor"},
		{"subquery step below a second", `max_over_time(x[1m:5s])`, `max_over_time(x[6s:500ms])`, "subquery step 5s scales to 500ms, below the 1s floor"},
		{"subquery without a step", `max_over_time(x[5m:])`, `max_over_time(x[30s:])`, "has no step"},
		{"duration expression", `rate(x[1m+30s])`, `rate(x[1m + 30s])`, "duration expression"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, probs := scaleQuery(tc.query, 0.1)
			if tc.problem == "" {
				assert.Empty(t, probs)
			} else {
				require.Len(t, probs, 1)
				assert.Contains(t, probs[0], tc.problem)
			}
			if !strings.Contains(tc.problem, "does not parse") && tc.problem != "duration expression" {
				assert.Equal(t, tc.want, got)
			}
		})
	}
}

func TestScaleProblemsNameFileAndField(t *testing.T) {
	sc, err := Load(BuiltinPrefix + "seed-bad-canary-bake")
	require.NoError(t, err)
	sc.Spec.Traffic.Pattern = "diurnal"
	sc.Spec.Metrics.ScrapeInterval = dur("5s")
	sc.Spec.Metrics.Replay = "rec.om"
	for _, o := range sc.Objects {
		switch t := o.Object.(type) {
		case *v1alpha1.Rollout:
			five := intstr.FromString("5s")
			t.Spec.Strategy.Canary.Steps[1].Pause.Duration = &five
		case *v1alpha1.AnalysisTemplate:
			t.Spec.Metrics[0].Interval = "5s"
			t.Spec.Metrics[0].Provider.Prometheus.Query = `sum(increase(kube_pod_container_status_restarts_total[1m]))`
		}
	}
	sc.Spec.Timeline[1].Fault = FaultCrashLoop
	_, err = Scale(sc, 0.1)
	require.Error(t, err)
	assert.Equal(t, []string{
		"builtin:seed-bad-canary-bake: spec.traffic.pattern: traffic pattern diurnal has a fixed 24h cycle, which cannot be scaled: use sine with a period",
		"builtin:seed-bad-canary-bake: spec.metrics.scrapeInterval: 5s scales to 0.5s, below the 1s floor",
		"builtin:seed-bad-canary-bake: spec.metrics.replay: the recording's sample times do not scale, so scaled windows would read it at the wrong pace",
		"seed/analysis-template.yaml: AnalysisTemplate success-rate-check: spec.metrics[0].interval: 5s scales to 0.5s, below the 1s floor",
		"seed/rollout-bake.yaml: Rollout demo-app: spec.strategy.canary.steps[1].pause.duration: 5s scales to 0.5s, below Argo's 1s resolution",
		"builtin:seed-bad-canary-bake: spec.timeline[1].fault: crash-loop restarts containers on the kubelet's back-off (10s doubling to 5m), which does not scale, and a policy counts kube_pod_container_status_restarts_total",
	}, strings.Split(err.Error(), "\n"))
}

// unscalableBuiltins are the built-ins that Scale refuses at 0.1, and why; a change to the
// library or to Scale that adds or removes one must update this list.
var unscalableBuiltins = map[string][]string{
	"fault-crash-loop": {"spec.timeline[1].fault: crash-loop restarts containers on the kubelet's back-off"},
	"lesson-soak-memory-leak": {
		"spec.traffic.pattern: traffic pattern diurnal has a fixed 24h cycle",
		"spec.timeline[1].fault: memory-leak restarts containers on the kubelet's back-off",
	},
}

func TestScaleBuiltins(t *testing.T) {
	for _, name := range BuiltinNames() {
		t.Run(name, func(t *testing.T) {
			sc, err := Load(BuiltinPrefix + name)
			require.NoError(t, err)
			out, err := Scale(sc, 0.1)
			if want, ok := unscalableBuiltins[name]; ok {
				require.Error(t, err)
				lines := strings.Split(err.Error(), "\n")
				require.Len(t, lines, len(want), err.Error())
				for i, w := range want {
					assert.Contains(t, lines[i], w)
				}
				return
			}
			require.NoError(t, err)
			assert.Empty(t, out.Validate(), "the scaled scenario must still be valid")
			assert.Equal(t, sc.Spec.MaxDuration.Duration/10, out.Spec.MaxDuration.Duration)
			assert.InDelta(t, sc.Spec.Traffic.RPS*10, out.Spec.Traffic.RPS, 1e-9)
		})
	}
}

func TestScaleSeedBadCanaryBake(t *testing.T) {
	sc, err := Load(BuiltinPrefix + "seed-bad-canary-bake")
	require.NoError(t, err)
	out, err := Scale(sc, 0.1)
	require.NoError(t, err)
	var ro *v1alpha1.Rollout
	var at *v1alpha1.AnalysisTemplate
	for _, o := range out.Objects {
		switch t := o.Object.(type) {
		case *v1alpha1.Rollout:
			ro = t
		case *v1alpha1.AnalysisTemplate:
			at = t
		}
	}
	require.NotNil(t, ro)
	require.NotNil(t, at)
	steps := ro.Spec.Strategy.Canary.Steps
	assert.Equal(t, intstr.FromString("6s"), *steps[1].Pause.Duration, "the 60s bake")
	assert.Equal(t, intstr.FromString("3s"), *steps[4].Pause.Duration)
	m := at.Spec.Metrics[0]
	assert.Equal(t, v1alpha1.DurationString("3s"), m.Interval)
	assert.Equal(t, 2, strings.Count(m.Provider.Prometheus.Query, "[6s]"), m.Provider.Prometheus.Query)
	assert.NotContains(t, m.Provider.Prometheus.Query, "[1m]")
	assert.Contains(t, m.Provider.Prometheus.Query, `app="{{args.service-name}}"`)
	assert.Equal(t, 6*time.Second, out.Spec.Timeline[0].At.Duration, "the update at 1m")
	assert.Equal(t, 500.0, out.Spec.Traffic.RPS)
	assert.Equal(t, time.Second, out.Spec.Metrics.ScrapeInterval.Duration)
	assert.Equal(t, 9*time.Second, out.Spec.Expect.DetectionWithin.Duration)
	assert.Equal(t, int64(1000), *out.Spec.Expect.MaxUserErrors)
}

func TestScaleProgressDeadlineAbort(t *testing.T) {
	sc, err := Load(BuiltinPrefix + "rollout-progress-deadline-abort")
	require.NoError(t, err)
	out, err := Scale(sc, 0.1)
	require.NoError(t, err)
	for _, o := range out.Objects {
		if ro, ok := o.Object.(*v1alpha1.Rollout); ok {
			assert.Equal(t, int32(9), *ro.Spec.ProgressDeadlineSeconds)
			assert.Equal(t, intstr.FromString("12s"), *ro.Spec.Strategy.Canary.Steps[1].Pause.Duration)
		}
	}
}

func FuzzScaleQuery(f *testing.F) {
	for _, q := range []string{
		`rate(x[1m])`, `rate(x[1m] offset 5m)`, `max_over_time(rate(x[1m])[5m:1m] offset 1h)`,
		`predict_linear(x[1h], 3600)`, `sum(rate(x{app="{{args.app}}"}[5m])) by (le)`,
		`histogram_quantile(0.99, sum by (le) (rate(h_bucket{a=~"{{args.a}}.{{args.b}}"}[1m])))`,
		`x @ 100 offset -5m`, `rate(x[1m+30s])`, `{{args.metric}}`, `rate(x[{{args.w}}])`,
	} {
		f.Add(q, 0.1)
	}
	f.Fuzz(func(t *testing.T, q string, factor float64) {
		if math.IsNaN(factor) || factor <= 0 || factor > 1 {
			factor = 0.1
		}
		out, probs := scaleQuery(q, factor)
		hidden, _ := hidePlaceholders(q)
		if _, err := promParser.ParseExpr(hidden); err != nil || len(probs) > 0 {
			return
		}
		again, _ := hidePlaceholders(out)
		if _, err := promParser.ParseExpr(again); err != nil {
			t.Fatalf("%q scaled by %v to %q, which does not parse: %v", q, factor, out, err)
		}
	})
}

func TestScaleJobDeadline(t *testing.T) {
	objs, probs := DecodeManifests([]byte(`
apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata: {name: smoke}
spec:
  metrics:
  - name: smoke
    provider:
      job:
        spec:
          activeDeadlineSeconds: 120
          ttlSecondsAfterFinished: 600
          template: {spec: {containers: [{name: t, image: t}], restartPolicy: Never}}
`), "m.yaml")
	require.Empty(t, probs)
	out, err := Scale(&Scenario{Source: "s.yaml", Objects: objs}, 0.1)
	require.NoError(t, err)
	job := out.Objects[0].Object.(*v1alpha1.AnalysisTemplate).Spec.Metrics[0].Provider.Job.Spec
	assert.Equal(t, int64(12), *job.ActiveDeadlineSeconds)
	assert.Equal(t, int32(600), *job.TTLSecondsAfterFinished, "clean-up does not change the run")
}
