package lint

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
	"github.com/canarydrill/canarydrill/controller/analysis"
	"github.com/canarydrill/canarydrill/scenarios"
)

// object is a decoded manifest and the input it came from.
type object struct {
	scenarios.Object
	input int
}

// located is a finding and the input it is reported under.
type located struct {
	Finding
	input int
}

// finder makes findings about one field of one object.
type finder struct {
	file, kind, name, field string
}

func (f finder) at(p *field.Path) finder {
	f.field = p.String()
	return f
}

func (f finder) err(rule, msg string) Finding {
	return Finding{File: f.file, Kind: f.kind, Name: f.name, Field: f.field, Severity: Error, Rule: rule, Message: msg}
}

func (f finder) warn(rule, msg string) Finding {
	return Finding{File: f.file, Kind: f.kind, Name: f.name, Field: f.field, Severity: Warning, Rule: rule, Message: msg}
}

// template is an AnalysisTemplate, ClusterAnalysisTemplate or AnalysisRun, seen as a template.
type template struct {
	o         object
	kind      string
	name      string
	namespace string
	spec      v1alpha1.AnalysisTemplateSpec
}

func (t *template) finder() finder {
	return finder{file: t.o.Source, kind: t.kind, name: t.name}
}

var specPath = field.NewPath("spec")

// placeholders stand in, in turn, for arguments whose value is not known when a template is
// linted alone: a check passes when it passes with one of them (a number for a condition or a
// count, a word for a label value, a duration for a range).
var placeholders = []string{"1", "placeholder", "5m"}

// lintTemplate checks one template on its own: Argo's metric validation, arguments and
// {{args.x}} tags, providers, conditions, PromQL, dry-run and retention rules, and the
// templates it includes (found in g).
func lintTemplate(t *template, g *group) []Finding {
	var out []Finding
	at := t.finder()
	spec := t.spec
	if len(spec.Metrics) == 0 && len(spec.Templates) == 0 {
		out = append(out, at.at(specPath.Child("metrics")).err(RuleArgo, msgNoMetrics))
	}
	out = append(out, argFindings(spec.Args, at)...)

	declared := map[string]bool{}
	var names []string
	for _, a := range spec.Args {
		if !declared[a.Name] {
			names = append(names, a.Name)
		}
		declared[a.Name] = true
	}
	seen := map[string]bool{}
	for i, m := range spec.Metrics {
		mp := specPath.Child("metrics").Index(i)
		switch {
		case m.Name == "":
			out = append(out, at.at(mp.Child("name")).err(RuleArgo, msgNameRequired))
		case seen[m.Name]:
			out = append(out, at.at(mp.Child("name")).err(RuleArgo, fmt.Sprintf(msgDuplicateMetric, m.Name)))
		}
		seen[m.Name] = true
		tagFindings := tagFindings(m, mp, declared, names, at)
		out = append(out, tagFindings...)
		if len(tagFindings) > 0 {
			continue
		}
		out = append(out, bestOf(func(placeholder string) []Finding {
			resolved, err := analysis.ResolveMetricArgs(m, withPlaceholders(spec.Args, placeholder))
			if err != nil {
				return []Finding{at.at(mp).err(RuleArgs, err.Error())}
			}
			return metricFindings(*resolved, mp, at)
		}, strings.Contains(mustJSON(m), "{{"))...)
	}

	metricNames := g.metricNames(t)
	out = append(out, ruleFindings("dryRun", len(spec.DryRun), func(i int) string { return spec.DryRun[i].MetricName }, metricNames, at)...)
	out = append(out, ruleFindings("measurementRetention", len(spec.MeasurementRetention), func(i int) string { return spec.MeasurementRetention[i].MetricName }, metricNames, at)...)
	for i, r := range spec.MeasurementRetention {
		if r.Limit <= 0 {
			out = append(out, at.at(specPath.Child("measurementRetention").Index(i).Child("limit")).warn(RuleArgo,
				fmt.Sprintf(msgRetentionZero, r.Limit, analysis.DefaultMeasurementHistoryLimit)))
		}
	}
	for i, ref := range spec.Templates {
		p := specPath.Child("templates").Index(i)
		if _, err := g.resolveRefs(t.namespace, []v1alpha1.AnalysisTemplateRef{ref}); err != nil {
			out = append(out, at.at(p).err(RuleReference, err.Error()))
		}
	}
	return out
}

// bestOf runs check with each placeholder (only the first when vary is false) and keeps the
// run with the fewest errors, then the fewest warnings.
func bestOf(check func(placeholder string) []Finding, vary bool) []Finding {
	var best []Finding
	bestErrs, bestWarns := -1, -1
	for i, p := range placeholders {
		if i > 0 && !vary {
			break
		}
		fs := check(p)
		errs, warns := 0, 0
		for _, f := range fs {
			if f.Severity == Error {
				errs++
			} else {
				warns++
			}
		}
		if bestErrs < 0 || errs < bestErrs || (errs == bestErrs && warns < bestWarns) {
			best, bestErrs, bestWarns = fs, errs, warns
		}
	}
	return best
}

// withPlaceholders gives every argument without a plain value (required, or from a Secret or
// a field) the placeholder.
func withPlaceholders(args []v1alpha1.Argument, placeholder string) []v1alpha1.Argument {
	out := make([]v1alpha1.Argument, len(args))
	for i, a := range args {
		out[i] = v1alpha1.Argument{Name: a.Name, Value: a.Value}
		if a.Value == nil || a.ValueFrom != nil {
			p := placeholder
			out[i].Value = &p
		}
	}
	return out
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// argFindings checks the declared arguments: Argo refuses both a value and a valueFrom, a
// secretKeyRef needs name and key, and a template's fieldRef is never read.
func argFindings(args []v1alpha1.Argument, at finder) []Finding {
	var out []Finding
	seen := map[string]bool{}
	for i, a := range args {
		p := specPath.Child("args").Index(i)
		if seen[a.Name] {
			out = append(out, at.at(p.Child("name")).err(RuleArgs, fmt.Sprintf(msgArgDeclaredTwice, a.Name)))
		}
		seen[a.Name] = true
		if a.ValueFrom == nil {
			continue
		}
		if a.Value != nil {
			out = append(out, at.at(p).err(RuleArgo, fmt.Sprintf(msgArgBothValueFrom, a.Name)))
		}
		if r := a.ValueFrom.SecretKeyRef; r != nil && (r.Name == "" || r.Key == "") {
			out = append(out, at.at(p.Child("valueFrom", "secretKeyRef")).err(RuleArgs, msgSecretRefIncomplete))
		}
		if a.ValueFrom.FieldRef != nil {
			out = append(out, at.at(p.Child("valueFrom", "fieldRef")).warn(RuleArgs, fmt.Sprintf(msgArgFieldRef, a.Name)))
		}
	}
	return out
}

// tagFindings checks every {{...}} tag in every string of the metric: it must be closed and
// name a declared argument (Argo resolves each template's metrics with its own arguments).
func tagFindings(m v1alpha1.Metric, mp *field.Path, declared map[string]bool, names []string, at finder) []Finding {
	var tree any
	if err := json.Unmarshal([]byte(mustJSON(m)), &tree); err != nil {
		return nil
	}
	var out []Finding
	var walk func(v any, p *field.Path)
	walk = func(v any, p *field.Path) {
		switch v := v.(type) {
		case map[string]any:
			keys := make([]string, 0, len(v))
			for k := range v {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				walk(v[k], p.Child(k))
			}
		case []any:
			for i, e := range v {
				walk(e, p.Index(i))
			}
		case string:
			out = append(out, stringTagFindings(v, p, declared, names, at)...)
		}
	}
	walk(tree, mp)
	return out
}

func stringTagFindings(s string, p *field.Path, declared map[string]bool, names []string, at finder) []Finding {
	var out []Finding
	rest := s
	for {
		i := strings.Index(rest, "{{")
		if i < 0 {
			return out
		}
		rest = rest[i+2:]
		j := strings.Index(rest, "}}")
		if j < 0 {
			return append(out, at.at(p).err(RuleArgs, fmt.Sprintf(msgTagUnclosed, rest)))
		}
		tag := strings.TrimSpace(rest[:j])
		rest = rest[j+2:]
		name, isArg := strings.CutPrefix(tag, "args.")
		switch {
		case !isArg:
			out = append(out, at.at(p).err(RuleArgs, fmt.Sprintf(msgTagNotArgs, tag)))
		case !declared[name]:
			list := "none"
			if len(names) > 0 {
				list = strings.Join(names, ", ")
			}
			out = append(out, at.at(p).err(RuleArgs, fmt.Sprintf(msgTagUndeclared, tag, list)))
		}
	}
}

// ruleFindings checks dry-run or retention rules: names unique (Argo), valid expressions, and
// each matching a metric the template knows of.
func ruleFindings(kind string, n int, name func(int) string, metrics []string, at finder) []Finding {
	var out []Finding
	seen := map[string]bool{}
	for i := range n {
		p := specPath.Child(kind).Index(i).Child("metricName")
		rule := name(i)
		if seen[rule] {
			out = append(out, at.at(p).err(RuleArgo, fmt.Sprintf(msgRuleTwice, ruleKind(kind), rule)))
		}
		seen[rule] = true
		re, err := regexp.Compile(rule)
		if err != nil {
			out = append(out, at.at(p).warn(RuleArgo, fmt.Sprintf(msgRuleBadRegexp, rule)))
			continue
		}
		matched := false
		for _, m := range metrics {
			if re.MatchString(m) {
				matched = true
			}
		}
		if !matched {
			out = append(out, at.at(p).warn(RuleArgo, fmt.Sprintf(msgRuleNoMatch, kind, i)))
		}
	}
	return out
}

func ruleKind(kind string) string {
	if kind == "dryRun" {
		return "Dry-Run metric"
	}
	return "Measurement Retention metric"
}

// count is the metric's count as a number (0 when absent or not a number).
func count(m v1alpha1.Metric) int {
	if m.Count == nil {
		return 0
	}
	if n, err := strconv.Atoi(m.Count.String()); err == nil {
		return n
	}
	return 0
}
