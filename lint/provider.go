package lint

import (
	"fmt"
	"maps"
	"net/url"
	"slices"
	"time"

	promparser "github.com/prometheus/prometheus/promql/parser"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
	"github.com/canarydrill/canarydrill/controller/analysis"
	"github.com/canarydrill/canarydrill/controller/analysis/evaluate"
	"github.com/canarydrill/canarydrill/controller/provider"
)

// defaultAddress stands in for Argo's controller-wide Prometheus address when a metric names
// none, so that the rest of its settings are still checked.
const defaultAddress = "http://prometheus.invalid:9090"

// someTime is the "now" at which range query bounds are evaluated.
var someTime = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

// newFactory builds providers only to check their settings: nothing is ever sent.
func newFactory() *provider.DefaultFactory {
	return &provider.DefaultFactory{PrometheusAddress: defaultAddress}
}

// metricFindings checks one metric whose arguments are resolved: Argo's validation, its
// provider's settings, its conditions against the result type the provider gives, and the rate
// window of a Prometheus query against the analysis' span.
func metricFindings(m v1alpha1.Metric, mp *field.Path, at finder) []Finding {
	var out []Finding
	if err := analysis.ValidateMetric(m); err != nil {
		out = append(out, at.at(mp).err(RuleArgo, err.Error()))
	}
	pp := mp.Child("provider")
	var example any
	vector, hasConditions := false, m.SuccessCondition != "" || m.FailureCondition != ""
	switch provider.Type(m) {
	case provider.TypePrometheus:
		fs, ex, vec := prometheusFindings(m, pp.Child("prometheus"), at)
		out, example, vector = append(out, fs...), ex, vec
		if !hasConditions {
			out = append(out, at.at(mp).warn(RuleNoConditions, msgNoConditions))
		}
	case provider.TypeWeb:
		out = append(out, webFindings(m, pp.Child("web"), at)...)
		if !hasConditions {
			out = append(out, at.at(mp).warn(RuleNoConditions, msgNoConditions))
		}
	case provider.TypeJob:
		out = append(out, jobFindings(m.Provider.Job, pp.Child("job"), at)...)
		if hasConditions {
			out = append(out, at.at(mp).warn(RuleProvider, msgJobConditions))
		}
		return out
	case provider.TypeJudge:
		out = append(out, judgeFindings(m, pp.Child("judge"), at)...)
		example = 0.0
	case provider.TypePlugin:
		out = append(out, at.at(pp.Child("plugin")).warn(RuleSimulatorOnly, msgPlugin))
	}
	for _, c := range []struct{ name, text string }{{"successCondition", m.SuccessCondition}, {"failureCondition", m.FailureCondition}} {
		if c.text != "" {
			out = append(out, conditionFindings(c.text, example, vector, at.at(mp.Child(c.name)))...)
		}
	}
	return out
}

// prometheusFindings checks a prometheus metric's settings and query, and returns a value of the
// type its result has (a float64 for a scalar, a []float64 otherwise; vector is then true).
func prometheusFindings(m v1alpha1.Metric, p *field.Path, at finder) (out []Finding, example any, vector bool) {
	cfg := m.Provider.Prometheus
	example, vector = []float64{}, true
	if cfg.Address == "" {
		out = append(out, at.at(p.Child("address")).warn(RuleProvider, msgNoAddress))
	}
	if _, err := newFactory().NewProvider(m); err != nil {
		out = append(out, at.at(p).err(RuleProvider, err.Error()))
	}
	out = append(out, authFindings(cfg.Authentication, p.Child("authentication"), at)...)
	if cfg.Query == "" {
		return append(out, at.at(p.Child("query")).err(RulePromQL, msgQueryRequired)), example, vector
	}
	e, err := promParser.ParseExpr(cfg.Query)
	if err != nil {
		return append(out, at.at(p.Child("query")).err(RulePromQL, fmt.Sprintf(msgPromQLParse, err))), example, vector
	}
	switch e.Type() {
	case promparser.ValueTypeString:
		out = append(out, at.at(p.Child("query")).err(RulePromQL, msgPromQLString))
	case promparser.ValueTypeScalar:
		if cfg.RangeQuery == nil {
			example, vector = 0.0, false
		}
	}
	if rq := cfg.RangeQuery; rq != nil {
		rp := p.Child("rangeQuery")
		if t := e.Type(); t != promparser.ValueTypeScalar && t != promparser.ValueTypeVector {
			out = append(out, at.at(p.Child("query")).err(RulePromQL, fmt.Sprintf(msgPromQLRangeVector, t)))
		}
		for _, b := range []struct{ name, expr string }{{"start", rq.Start}, {"end", rq.End}} {
			if _, err := evaluate.Time(b.expr, someTime); err != nil {
				out = append(out, at.at(rp.Child(b.name)).err(RuleProvider, fmt.Sprintf(msgRangeTime, b.name, err)))
			}
		}
		if _, err := rq.Step.Duration(); err != nil {
			out = append(out, at.at(rp.Child("step")).err(RuleProvider, fmt.Sprintf(msgRangeStep, err)))
		}
	}
	if n := count(m); n > 0 && m.Interval != "" && cfg.RangeQuery == nil {
		if interval, err := m.Interval.Duration(); err == nil && interval > 0 {
			span := interval * time.Duration(n)
			if w := LongestRange(e); w > span {
				out = append(out, at.at(p.Child("query")).warn(RuleRateWindow,
					fmt.Sprintf(msgRateWindow, fmtDuration(w), fmtDuration(interval), n, fmtDuration(span))))
			}
		}
	}
	return out, example, vector
}

// fmtDuration shows a duration without zero units ("5m", "1m30s").
func fmtDuration(d time.Duration) string {
	s := d.String()
	for _, unit := range []string{"m0s", "h0m"} {
		if len(s) > len(unit) && s[len(s)-len(unit):] == unit {
			s = s[:len(s)-len(unit)+1]
		}
	}
	return s
}

func authFindings(a v1alpha1.Authentication, p *field.Path, at finder) []Finding {
	var out []Finding
	if a.Sigv4 != (v1alpha1.Sigv4Config{}) {
		out = append(out, at.at(p.Child("sigv4")).warn(RuleProvider, msgSigv4))
	}
	if a.BasicAuth != (v1alpha1.BasicAuthConfig{}) {
		out = append(out, at.at(p.Child("basicAuth")).warn(RuleFidelity, msgBasicAuthNotArgo))
	}
	return out
}

func webFindings(m v1alpha1.Metric, p *field.Path, at finder) []Finding {
	var out []Finding
	cfg := m.Provider.Web
	switch u, err := url.Parse(cfg.URL); {
	case cfg.URL == "":
		out = append(out, at.at(p.Child("url")).err(RuleProvider, msgURLRequired))
	case err != nil:
		out = append(out, at.at(p.Child("url")).err(RuleProvider, fmt.Sprintf(msgURLInvalid, err)))
	case u.Scheme == "" || u.Host == "":
		out = append(out, at.at(p.Child("url")).err(RuleProvider, fmt.Sprintf(msgURLInvalid, "no scheme or host")))
	}
	switch cfg.Method {
	case "", v1alpha1.WebMetricMethodGet, v1alpha1.WebMetricMethodPost, v1alpha1.WebMetricMethodPut:
	default:
		out = append(out, at.at(p.Child("method")).err(RuleSchema, fmt.Sprintf(msgMethod, cfg.Method)))
	}
	if err := provider.ValidateWebBody(cfg); err != nil {
		out = append(out, at.at(p).err(RuleArgo, err.Error()))
	}
	if _, err := newFactory().NewProvider(m); err != nil {
		out = append(out, at.at(p).err(RuleProvider, err.Error()))
	}
	if cfg.TimeoutSeconds < 0 {
		out = append(out, at.at(p.Child("timeoutSeconds")).warn(RuleProvider, fmt.Sprintf(msgWebTimeout, cfg.TimeoutSeconds)))
	}
	return append(out, authFindings(cfg.Authentication, p.Child("authentication"), at)...)
}

func jobFindings(cfg *v1alpha1.JobMetric, p *field.Path, at finder) []Finding {
	var out []Finding
	pod := p.Child("spec", "template", "spec")
	if len(cfg.Spec.Template.Spec.Containers) == 0 {
		out = append(out, at.at(pod.Child("containers")).err(RuleSchema, msgJobNoContainers))
	}
	switch rp := cfg.Spec.Template.Spec.RestartPolicy; rp {
	case corev1.RestartPolicyNever, corev1.RestartPolicyOnFailure:
	default:
		if rp == "" {
			rp = corev1.RestartPolicyAlways
		}
		out = append(out, at.at(pod.Child("restartPolicy")).err(RuleSchema, fmt.Sprintf(msgJobRestartPolicy, rp)))
	}
	return out
}

func judgeFindings(m v1alpha1.Metric, p *field.Path, at finder) []Finding {
	var out []Finding
	cfg := m.Provider.Judge
	if cfg.Address == "" {
		out = append(out, at.at(p.Child("address")).warn(RuleProvider, msgNoAddress))
	}
	if _, err := newFactory().NewProvider(m); err != nil {
		out = append(out, at.at(p).err(RuleProvider, err.Error()))
	}
	out = append(out, authFindings(cfg.Authentication, p.Child("authentication"), at)...)
	var groups []string
	for i, q := range cfg.Metrics {
		qp := p.Child("metrics").Index(i)
		for _, side := range []struct{ name, query string }{{"canary", q.Canary}, {"baseline", q.Baseline}} {
			if side.query == "" {
				continue
			}
			e, err := promParser.ParseExpr(side.query)
			if err != nil {
				out = append(out, at.at(qp.Child(side.name)).err(RulePromQL, fmt.Sprintf(msgPromQLParse, err)))
				continue
			}
			if side.name == "canary" && !SelectsCanary(e) {
				out = append(out, at.at(qp.Child("canary")).warn(RuleUnfiltered, msgJudgeCanaryFilter))
			}
		}
		if q.EffectSize == nil {
			out = append(out, at.at(qp).warn(RuleProvider, msgJudgeNoEffectSize))
		}
		g := q.Group
		if g == "" {
			g = "default"
		}
		groups = append(groups, g)
	}
	for _, name := range slices.Sorted(maps.Keys(cfg.Groups)) {
		if !slices.Contains(groups, name) {
			out = append(out, at.at(p.Child("groups").Key(name)).warn(RuleProvider, fmt.Sprintf(msgJudgeUnusedGroup, name)))
		}
	}
	return out
}
