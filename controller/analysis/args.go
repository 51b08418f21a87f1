package analysis

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"k8s.io/utils/ptr"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

// Template delimiters of {{args.name}} substitution.
const (
	openTag  = "{{"
	closeTag = "}}"
	argsTag  = "args."
)

// secretPlaceholder stands in for a secret argument wherever a metric must be resolved without
// reading the Secret (validation, scheduling, assessment), as in Argo.
const secretPlaceholder = "temp-for-secret"

// redactedSecret replaces secret values in measurement messages and metadata.
const redactedSecret = "*****"

// Substitute replaces every {{args.name}} tag in text with the argument's value, as Argo's
// template resolution does: an opening brace pair without a closing one is an error (checked
// first, as fasttemplate parses before it substitutes); an argument without a value is an error
// even when unused; spaces inside the braces are ignored; a tag that names no argument is an error
// (the last one is reported) and is replaced by nothing.
func Substitute(text string, args []v1alpha1.Argument) (string, error) {
	if err := checkTags(text); err != nil {
		return "", err
	}
	values := make(map[string]string, len(args))
	for _, a := range args {
		if a.Value == nil {
			return "", fmt.Errorf(errArgNotSupplied, a.Name)
		}
		values[argsTag+a.Name] = *a.Value
	}
	if !strings.Contains(text, openTag) {
		return text, nil
	}
	var out strings.Builder
	var unresolved error
	rest := text
	for {
		i := strings.Index(rest, openTag)
		if i < 0 {
			out.WriteString(rest)
			break
		}
		out.WriteString(rest[:i])
		rest = rest[i+len(openTag):]
		j := strings.Index(rest, closeTag)
		if j < 0 {
			//lint:ignore ST1005 Argo's wording, kept for users' greps
			return "", fmt.Errorf(errNoEndTag, closeTag, text, rest)
		}
		tag := rest[:j]
		rest = rest[j+len(closeTag):]
		if v, ok := values[strings.TrimSpace(tag)]; ok {
			out.WriteString(v)
		} else {
			unresolved = fmt.Errorf(errUnresolvedTag, tag)
		}
	}
	return out.String(), unresolved
}

// checkTags fails on the first opening brace pair that has no closing pair after it.
func checkTags(text string) error {
	rest := text
	for {
		i := strings.Index(rest, openTag)
		if i < 0 {
			return nil
		}
		rest = rest[i+len(openTag):]
		j := strings.Index(rest, closeTag)
		if j < 0 {
			//lint:ignore ST1005 Argo's wording, kept for users' greps
			return fmt.Errorf(errNoEndTag, closeTag, text, rest)
		}
		rest = rest[j+len(closeTag):]
	}
}

// ResolveMetricArgs substitutes the arguments into the whole metric, as Argo does: the metric is
// encoded as JSON, the values (escaped for a JSON string) replace the tags, and the result is
// decoded again. Every argument must have a value.
func ResolveMetricArgs(metric v1alpha1.Metric, args []v1alpha1.Argument) (*v1alpha1.Metric, error) {
	raw, err := json.Marshal(metric)
	if err != nil {
		return nil, err
	}
	escaped := make([]v1alpha1.Argument, len(args))
	for i, a := range args {
		escaped[i] = v1alpha1.Argument{Name: a.Name}
		if a.Value != nil {
			q := strconv.Quote(*a.Value)
			escaped[i].Value = ptr.To(q[1 : len(q)-1])
		}
	}
	text, err := Substitute(string(raw), escaped)
	if err != nil {
		return nil, err
	}
	var out v1alpha1.Metric
	if err := json.Unmarshal([]byte(text), &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ResolveMetrics resolves every metric with secret arguments replaced by a placeholder: what
// validation, scheduling and assessment look at, and what may be shown.
func ResolveMetrics(metrics []v1alpha1.Metric, args []v1alpha1.Argument) ([]v1alpha1.Metric, error) {
	placeheld := make([]v1alpha1.Argument, len(args))
	for i, a := range args {
		placeheld[i] = *a.DeepCopy()
		if a.ValueFrom != nil && a.ValueFrom.SecretKeyRef != nil {
			placeheld[i].ValueFrom = nil
			placeheld[i].Value = ptr.To(secretPlaceholder)
		}
	}
	out := make([]v1alpha1.Metric, 0, len(metrics))
	for _, m := range metrics {
		r, err := ResolveMetricArgs(m, placeheld)
		if err != nil {
			return nil, err
		}
		out = append(out, *r)
	}
	return out, nil
}

// CheckArgsResolved fails when an argument has neither a value nor a source.
func CheckArgsResolved(args []v1alpha1.Argument) error {
	for _, a := range args {
		if a.Value == nil && a.ValueFrom == nil {
			return fmt.Errorf(errArgNotResolved, a.Name)
		}
	}
	return nil
}

// MergeArgs lays the incoming (Rollout's) arguments over the template's: an incoming value, or
// else an incoming valueFrom, replaces the declared argument's; arguments the template does not
// declare are dropped. Every merged argument must end up with a value or a source.
func MergeArgs(incoming, declared []v1alpha1.Argument) ([]v1alpha1.Argument, error) {
	merged := make([]v1alpha1.Argument, len(declared))
	copy(merged, declared)
	for _, in := range incoming {
		for i := range merged {
			if merged[i].Name != in.Name {
				continue
			}
			if in.Value != nil {
				merged[i].Value = in.Value
			} else if in.ValueFrom != nil {
				merged[i].ValueFrom = in.ValueFrom
			}
			break
		}
	}
	if err := CheckArgsResolved(merged); err != nil {
		return nil, err
	}
	return merged, nil
}

// redact replaces every secret value in s.
func redact(s string, secrets []string) string {
	for _, v := range secrets {
		if v != "" {
			s = strings.ReplaceAll(s, v, redactedSecret)
		}
	}
	return s
}
