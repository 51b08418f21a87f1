package lint

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/canarydrill/canarydrill/scenarios"
)

// Input is one file to lint.
type Input struct {
	// Name is how findings name the file.
	Name string
	// Data is the file's content.
	Data []byte
	// FS and Dir resolve a scenario's manifest paths (Dir is the scenario's folder in FS); a nil
	// FS means the operating system's files, relative to the folder of Name.
	FS  fs.FS
	Dir string
	// Ref, when set, is how scenarios.Load finds the scenario again (a path or builtin:NAME), to
	// check the scenario format's own rules with its defaults applied.
	Ref string
}

// ReadError lists inputs that could not be read, one line each ("FILE: cannot read: ...").
type ReadError struct{ Problems []string }

func (e *ReadError) Error() string { return strings.Join(e.Problems, "\n") }

// Files reads the named files (builtin:NAME names a built-in scenario) and lints them together:
// the Rollouts of plain manifest files find their templates among all the plain files, and a
// scenario's objects find theirs among its own manifests. A file that cannot be read is a
// *ReadError and nothing is linted.
func Files(names []string) (*Report, error) {
	var inputs []Input
	var unreadable []string
	for _, name := range names {
		if ref, ok := strings.CutPrefix(name, scenarios.BuiltinPrefix); ok {
			file := path.Join("builtin", ref+".yaml")
			data, err := fs.ReadFile(scenarios.Builtin, file)
			if err != nil {
				unreadable = append(unreadable, fmt.Sprintf("%s: "+msgReadError, name, unwrapPathError(err)))
				continue
			}
			inputs = append(inputs, Input{Name: name, Data: data, FS: scenarios.Builtin, Dir: "builtin", Ref: name})
			continue
		}
		data, err := os.ReadFile(name)
		if err != nil {
			unreadable = append(unreadable, fmt.Sprintf("%s: "+msgReadError, name, unwrapPathError(err)))
			continue
		}
		inputs = append(inputs, Input{Name: name, Data: data, Ref: name})
	}
	if len(unreadable) > 0 {
		return nil, &ReadError{Problems: unreadable}
	}
	return Lint(inputs), nil
}

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Lint lints inputs held in memory, as Files does.
func Lint(inputs []Input) *Report {
	r := &Report{Files: []string{}, Findings: []Finding{}}
	byInput := make([][]Finding, len(inputs))
	var plain []object
	for i, in := range inputs {
		r.Files = append(r.Files, in.Name)
		if isScenario(in.Data) {
			byInput[i] = append(byInput[i], lintScenario(in, i)...)
			continue
		}
		objs, probs := scenarios.DecodeManifests(in.Data, in.Name)
		for _, p := range probs {
			byInput[i] = append(byInput[i], decodeFinding(p, in.Name))
		}
		for _, o := range objs {
			plain = append(plain, object{Object: o, input: i})
		}
	}
	for _, f := range lintGroup(plain, false) {
		byInput[f.input] = append(byInput[f.input], f.Finding)
	}
	for _, fs := range byInput {
		r.add(fs...)
	}
	return r
}

// isScenario says whether the file's first document is a canarydrill Scenario.
func isScenario(data []byte) bool {
	var head struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
	}
	return yaml.Unmarshal(data, &head) == nil && head.APIVersion == scenarios.APIVersion && head.Kind == scenarios.Kind
}

// lintScenario checks a scenario file: its own format (through scenarios.Load when the input
// has a Ref, else its strict decoding), its manifests' decoding, and its objects as one group.
func lintScenario(in Input, idx int) []Finding {
	var out []Finding
	sc, probs := scenarios.Parse(in.Data, in.Name)
	name := ""
	if sc != nil {
		name = sc.Metadata.Name
	}
	scenarioFinding := func(p string) Finding {
		f := Finding{File: in.Name, Kind: scenarios.Kind, Name: name, Severity: Error, Rule: RuleScenario}
		f.Field, f.Message = splitField(strings.TrimPrefix(p, in.Name+": "))
		if m := unknownField.FindStringSubmatch(f.Message); m != nil && f.Field == "" {
			f.Field = m[1]
		}
		return f
	}
	if sc == nil {
		for _, p := range probs {
			out = append(out, scenarioFinding(p))
		}
		return out
	}

	var objs []object
	var sources []string
	for i, m := range sc.Spec.Manifests {
		field := fmt.Sprintf("spec.manifests[%d]", i)
		var data []byte
		var src string
		switch {
		case m.Path != "" && m.Inline != "":
			continue
		case m.Path != "":
			src = m.Path
			if !strings.HasPrefix(in.Name, scenarios.BuiltinPrefix) {
				src = filepath.Join(filepath.Dir(in.Name), m.Path)
			}
			b, err := readManifest(in, m.Path)
			if err != nil {
				continue // the scenario's own check reports it
			}
			data = b
		case m.Inline != "":
			src = fmt.Sprintf("%s: %s.inline", in.Name, field)
			data = []byte(m.Inline)
		default:
			continue
		}
		sources = append(sources, src)
		decoded, dprobs := scenarios.DecodeManifests(data, src)
		for _, p := range dprobs {
			out = append(out, decodeFinding(p, src))
		}
		for _, o := range decoded {
			objs = append(objs, object{Object: o, input: idx})
		}
	}

	if in.Ref != "" {
		if _, err := scenarios.Load(in.Ref); err != nil {
			var all scenarios.Problems
			if !errors.As(err, &all) {
				all = scenarios.Problems{err.Error()}
			}
			for _, p := range all {
				if !fromManifest(p, sources) {
					out = append(out, scenarioFinding(p))
				}
			}
		}
	} else {
		for _, p := range probs {
			out = append(out, scenarioFinding(p))
		}
	}
	for _, f := range lintGroup(objs, true) {
		out = append(out, f.Finding)
	}
	return out
}

func readManifest(in Input, p string) ([]byte, error) {
	if in.FS != nil {
		return fs.ReadFile(in.FS, path.Join(in.Dir, p))
	}
	return os.ReadFile(filepath.Join(filepath.Dir(in.Name), p))
}

// fromManifest says whether a scenario problem is about one of its manifests (which the object
// checks report in their own words).
func fromManifest(problem string, sources []string) bool {
	for _, s := range sources {
		if strings.HasPrefix(problem, s+": ") {
			return true
		}
	}
	return false
}

var (
	fieldPrefix  = regexp.MustCompile(`^([a-zA-Z][a-zA-Z0-9]*(?:\[\d+\]|\[[^\]]*\]|\.[a-zA-Z][a-zA-Z0-9-]*)*): (.*)$`)
	objectPrefix = regexp.MustCompile(`^([A-Z][A-Za-z]+) ([^ :]+): (.*)$`)
	unknownField = regexp.MustCompile(`^unknown field "([^"]+)"$`)
)

// splitField separates a leading field path ("spec.x[0].y: message") from its message.
func splitField(s string) (string, string) {
	if m := fieldPrefix.FindStringSubmatch(s); m != nil {
		return m[1], m[2]
	}
	return "", s
}

// decodeFinding turns a scenarios.DecodeManifests problem ("SRC: Kind name: message" or
// "SRC: document N: message") into a schema finding.
func decodeFinding(p, src string) Finding {
	rest := strings.TrimPrefix(p, src+": ")
	f := Finding{File: src, Severity: Error, Rule: RuleSchema, Message: rest}
	if m := objectPrefix.FindStringSubmatch(rest); m != nil {
		f.Kind, f.Name, f.Message = m[1], m[2], m[3]
	}
	if m := unknownField.FindStringSubmatch(f.Message); m != nil {
		f.Field = m[1]
	}
	return f
}
