package scenarios

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"
	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"

	"github.com/canarydrill/canarydrill/api/scheme"
)

// BuiltinPrefix marks a built-in scenario name on the command line.
const BuiltinPrefix = "builtin:"

// Problems is a list of input problems, one line each, naming file and field path.
type Problems []string

func (p Problems) Error() string { return strings.Join(p, "\n") }

// Load reads a scenario from a file path or a builtin:NAME reference, decodes its manifests,
// applies defaults and validates it. Every problem found is returned, as Problems.
func Load(ref string) (*Scenario, error) {
	if name, ok := strings.CutPrefix(ref, BuiltinPrefix); ok {
		return loadFS(Builtin, path.Join("builtin", name+".yaml"), ref)
	}
	abs, err := filepath.Abs(ref)
	if err != nil {
		return nil, Problems{fmt.Sprintf("%s: %v", ref, err)}
	}
	// The whole file system, so that manifest paths may climb out of the scenario's folder
	// (../manifests/rollout.yaml), as users' repositories lay them out.
	return loadFS(os.DirFS("/"), strings.TrimPrefix(filepath.ToSlash(abs), "/"), ref)
}

// loadFS reads file from fsys; manifest paths resolve against the file's folder in fsys.
// source is how the file is named in messages.
func loadFS(fsys fs.FS, file, source string) (*Scenario, error) {
	data, err := fs.ReadFile(fsys, file)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, Problems{fmt.Sprintf("%s: no such scenario file", source)}
		}
		return nil, Problems{fmt.Sprintf("%s: %v", source, err)}
	}
	sc, probs := Parse(data, source)
	if sc == nil {
		return nil, probs
	}
	probs = append(probs, sc.decodeManifests(fsys, path.Dir(file))...)
	probs = append(probs, sc.readReplay(fsys, path.Dir(file))...)
	if len(probs) > 0 {
		return nil, probs
	}
	sc.applyDefaults()
	if probs := sc.Validate(); len(probs) > 0 {
		return nil, probs
	}
	return sc, nil
}

// Parse decodes a scenario file strictly: unknown fields are problems, named by field path.
func Parse(data []byte, source string) (*Scenario, Problems) {
	j, err := yaml.YAMLToJSON(data)
	if err != nil {
		return nil, Problems{fmt.Sprintf("%s: not valid YAML: %v", source, err)}
	}
	sc := &Scenario{Source: source}
	strict, err := sigsjson.UnmarshalStrict(j, sc)
	if err != nil {
		return nil, Problems{fmt.Sprintf("%s: %v", source, cleanJSONError(err))}
	}
	var probs Problems
	for _, e := range strict {
		probs = append(probs, fmt.Sprintf("%s: %v", source, e))
	}
	return sc, probs
}

func cleanJSONError(err error) string {
	s := err.Error()
	s = strings.TrimPrefix(s, "json: ")
	return s
}

var codecs = serializer.NewCodecFactory(scheme.New(), serializer.EnableStrict)

func (sc *Scenario) decodeManifests(fsys fs.FS, dir string) Problems {
	var probs Problems
	for i, m := range sc.Spec.Manifests {
		field := fmt.Sprintf("spec.manifests[%d]", i)
		var data []byte
		var src string
		switch {
		case m.Path != "" && m.Inline != "":
			probs = append(probs, fmt.Sprintf("%s: %s: path and inline are mutually exclusive", sc.Source, field))
			continue
		case m.Path != "":
			src = m.Path
			if !strings.HasPrefix(sc.Source, BuiltinPrefix) {
				src = filepath.Join(filepath.Dir(sc.Source), m.Path)
			}
			b, err := fs.ReadFile(fsys, resolve(dir, m.Path))
			if err != nil {
				probs = append(probs, fmt.Sprintf("%s: %s.path: cannot read %q: %v", sc.Source, field, m.Path, unwrapPathError(err)))
				continue
			}
			data = b
		case m.Inline != "":
			src = fmt.Sprintf("%s: %s.inline", sc.Source, field)
			data = []byte(m.Inline)
		default:
			probs = append(probs, fmt.Sprintf("%s: %s: one of path or inline is required", sc.Source, field))
			continue
		}
		objs, ps := DecodeManifests(data, src)
		probs = append(probs, ps...)
		sc.Objects = append(sc.Objects, objs...)
	}
	return probs
}

// resolve names p, relative to dir or absolute, inside a file system rooted at "/".
func resolve(dir, p string) string {
	if path.IsAbs(p) {
		return strings.TrimPrefix(path.Clean(p), "/")
	}
	return path.Clean(path.Join(dir, p))
}

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// DecodeManifests decodes multi-document Kubernetes YAML. Known kinds (Kubernetes' and Argo's)
// decode strictly into typed objects; other kinds (Istio, Gateway API...) stay unstructured.
func DecodeManifests(data []byte, source string) ([]Object, Problems) {
	var out []Object
	var probs Problems
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	for doc := 0; ; doc++ {
		raw, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			probs = append(probs, fmt.Sprintf("%s: document %d: %v", source, doc+1, err))
			break
		}
		if len(bytes.TrimSpace(stripComments(raw))) == 0 {
			continue
		}
		obj, err := decodeOne(raw)
		if err != nil {
			probs = append(probs, fmt.Sprintf("%s: %s", source, describeDecodeError(raw, doc, err)))
			continue
		}
		out = append(out, Object{Object: obj, Source: source})
	}
	return out, probs
}

func stripComments(b []byte) []byte {
	var out [][]byte
	for _, l := range bytes.Split(b, []byte("\n")) {
		if t := bytes.TrimSpace(l); len(t) > 0 && t[0] != '#' {
			out = append(out, l)
		}
	}
	return bytes.Join(out, []byte("\n"))
}

func decodeOne(raw []byte) (client.Object, error) {
	obj, _, err := codecs.UniversalDeserializer().Decode(raw, nil, nil)
	if err != nil && !runtime.IsNotRegisteredError(err) {
		return nil, err
	}
	if err == nil {
		co, ok := obj.(client.Object)
		if !ok {
			return nil, fmt.Errorf("%T is not a Kubernetes object", obj)
		}
		return co, nil
	}
	j, jerr := yaml.YAMLToJSON(raw)
	if jerr != nil {
		return nil, jerr
	}
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(j); err != nil {
		return nil, err
	}
	return u, nil
}

// describeDecodeError names the object (kind/name) that failed, when the document says.
func describeDecodeError(raw []byte, doc int, err error) string {
	var head struct {
		Kind     string `json:"kind"`
		Metadata struct {
			Name string `json:"name"`
		} `json:"metadata"`
	}
	what := fmt.Sprintf("document %d", doc+1)
	if yaml.Unmarshal(raw, &head) == nil && head.Kind != "" {
		what = head.Kind
		if head.Metadata.Name != "" {
			what += " " + head.Metadata.Name
		}
	}
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "strict decoding error: ")
	return what + ": " + msg
}
