package matrix

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"sigs.k8s.io/controller-runtime/pkg/client"
	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"

	"github.com/canarydrill/canarydrill/scenarios"
)

// Set is one --set: a path into the scenario's manifests (or the scenario itself) and the
// values it takes, one variant each.
//
// A path is KIND.NAME.FIELD...: KIND is an object kind in lower camel case (rollout,
// analysisTemplate, clusterAnalysisTemplate, service, ...) or "scenario" for the scenario file
// (which has no NAME); NAME is the object's metadata.name (names with dots work: the longest
// name that matches wins); FIELD is a JSON field path with list elements picked by index
// ([2]) or by a field's value ([name=success-rate]). For example
// analysisTemplate.success-rate.spec.metrics[0].failureLimit or
// scenario.spec.timeline[1].rate. Values are YAML scalars: 3, 0.5, true, 30s.
type Set struct {
	Path   string   `json:"path"`
	Values []string `json:"values"`
}

// Setting is one path set to one value.
type Setting struct {
	Path  string `json:"path"`
	Value string `json:"value"`
}

// ParseSet reads "path=v1,v2,...".
func ParseSet(s string) (Set, error) {
	// A selector ([name=x]) may hold '=': the path ends at the first '=' outside brackets.
	path, vals, ok := "", "", false
	depth := 0
	for i, c := range s {
		if c == '[' {
			depth++
		} else if c == ']' {
			depth--
		} else if c == '=' && depth == 0 {
			path, vals, ok = s[:i], s[i+1:], true
			break
		}
	}
	if !ok || path == "" || vals == "" {
		return Set{}, fmt.Errorf("--set %q: want PATH=VALUE[,VALUE...]", s)
	}
	if _, err := parsePath(path); err != nil {
		return Set{}, fmt.Errorf("--set %q: %w", s, err)
	}
	return Set{Path: path, Values: strings.Split(vals, ",")}, nil
}

// step is one field of a path, with an optional list selector.
type step struct {
	field    string
	index    int // -1: none
	selKey   string
	selValue string
}

func parsePath(p string) ([]string, error) {
	var parts []string
	cur, depth := "", 0
	for _, c := range p {
		switch {
		case c == '[':
			depth++
		case c == ']':
			depth--
			if depth < 0 {
				return nil, fmt.Errorf("unbalanced ] in %q", p)
			}
		case c == '.' && depth == 0:
			parts = append(parts, cur)
			cur = ""
			continue
		}
		cur += string(c)
	}
	if depth != 0 {
		return nil, fmt.Errorf("unbalanced [ in %q", p)
	}
	parts = append(parts, cur)
	for _, s := range parts {
		if s == "" {
			return nil, fmt.Errorf("empty field in %q", p)
		}
	}
	if len(parts) < 2 {
		return nil, fmt.Errorf("%q: want KIND.NAME.FIELD or scenario.spec.FIELD", p)
	}
	return parts, nil
}

func parseSteps(parts []string) ([]step, error) {
	out := make([]step, 0, len(parts))
	for _, s := range parts {
		st := step{index: -1}
		field, sel, hasSel := strings.Cut(s, "[")
		st.field = field
		if hasSel {
			sel = strings.TrimSuffix(sel, "]")
			if k, v, ok := strings.Cut(sel, "="); ok {
				st.selKey, st.selValue = k, v
			} else {
				n, err := strconv.Atoi(sel)
				if err != nil || n < 0 {
					return nil, fmt.Errorf("[%s]: want an index or field=value", sel)
				}
				st.index = n
			}
		}
		out = append(out, st)
	}
	return out, nil
}

// Apply returns a copy of sc with each setting applied, checked as the scenario loader checks
// a file. The objects it does not change are shared with sc (read-only in a run).
func Apply(sc *scenarios.Scenario, settings []Setting) (*scenarios.Scenario, error) {
	out := *sc
	out.Objects = append([]scenarios.Object(nil), sc.Objects...)
	for _, s := range settings {
		if err := applyOne(&out, s); err != nil {
			return nil, fmt.Errorf("--set %s=%s: %w", s.Path, s.Value, err)
		}
	}
	if probs := out.Validate(); len(probs) > 0 {
		return nil, fmt.Errorf("with %s: %w", describe(settings), probs)
	}
	return &out, nil
}

func applyOne(sc *scenarios.Scenario, s Setting) error {
	parts, err := parsePath(s.Path)
	if err != nil {
		return err
	}
	var v any
	if err := yaml.Unmarshal([]byte(s.Value), &v); err != nil {
		return fmt.Errorf("value: %w", err)
	}
	if strings.EqualFold(parts[0], "scenario") {
		if len(parts) < 3 || parts[1] != "spec" {
			return fmt.Errorf("a scenario path starts scenario.spec. (the scenario's spec is what a variant can change)")
		}
		steps, err := parseSteps(parts[2:])
		if err != nil {
			return err
		}
		spec := sc.Spec
		if err := setJSON(&spec, steps, v, "scenario"); err != nil {
			return err
		}
		sc.Spec = spec
		return nil
	}
	kind := parts[0]
	// The name is the longest run of parts that names an object of the kind.
	for i := range sc.Objects {
		o := sc.Objects[i]
		if !strings.EqualFold(o.GetObjectKind().GroupVersionKind().Kind, kind) {
			continue
		}
		name := o.GetName()
		rest, ok := strings.CutPrefix(strings.Join(parts[1:], "."), name+".")
		if !ok {
			continue
		}
		fp, err := parsePath("x." + rest)
		if err != nil {
			return err
		}
		steps, err := parseSteps(fp[1:])
		if err != nil {
			return err
		}
		cp := o.DeepCopyObject().(client.Object)
		if err := setJSON(cp, steps, v, kind+" "+name); err != nil {
			return err
		}
		sc.Objects[i] = scenarios.Object{Object: cp, Source: o.Source}
		return nil
	}
	return fmt.Errorf("no %s among the scenario's manifests whose name starts the rest of the path", kind)
}

// setJSON sets the field at steps in obj's JSON form and decodes it back strictly, so a typo in
// a field name is an error, as in a scenario file.
func setJSON(obj any, steps []step, v any, what string) error {
	b, err := json.Marshal(obj)
	if err != nil {
		return err
	}
	var doc any
	if err := json.Unmarshal(b, &doc); err != nil {
		return err
	}
	if err := setAt(&doc, steps, v, ""); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	b, err = json.Marshal(doc)
	if err != nil {
		return err
	}
	// Decode into a zero value: decoding over the old one would keep what the JSON leaves out.
	rv := reflect.ValueOf(obj).Elem()
	rv.Set(reflect.Zero(rv.Type()))
	strict, err := sigsjson.UnmarshalStrict(b, obj)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if len(strict) > 0 {
		return fmt.Errorf("%s: %v", what, strict[0])
	}
	return nil
}

func setAt(node *any, steps []step, v any, at string) error {
	st := steps[0]
	m, ok := (*node).(map[string]any)
	if !ok {
		return fmt.Errorf("%s is not an object", orRoot(at))
	}
	here := join(at, st.field)
	last := len(steps) == 1
	if st.index < 0 && st.selKey == "" {
		if last {
			m[st.field] = v
			return nil
		}
		child, ok := m[st.field]
		if !ok {
			child = map[string]any{} // an optional field left out: create it
		}
		if err := setAt(&child, steps[1:], v, here); err != nil {
			return err
		}
		m[st.field] = child
		return nil
	}
	list, ok := m[st.field].([]any)
	if !ok {
		return fmt.Errorf("%s is not a list", here)
	}
	i := st.index
	if st.selKey != "" {
		i = -1
		for j, e := range list {
			if em, ok := e.(map[string]any); ok && fmt.Sprint(em[st.selKey]) == st.selValue {
				i = j
				break
			}
		}
		if i < 0 {
			return fmt.Errorf("%s has no element with %s=%s", here, st.selKey, st.selValue)
		}
	}
	if i >= len(list) {
		return fmt.Errorf("%s has %d elements, no [%d]", here, len(list), i)
	}
	here = fmt.Sprintf("%s[%d]", here, i)
	if last {
		list[i] = v
		return nil
	}
	return setAt(&list[i], steps[1:], v, here)
}

func join(a, b string) string {
	if a == "" {
		return b
	}
	return a + "." + b
}

func orRoot(s string) string {
	if s == "" {
		return "the document"
	}
	return s
}
