package argoref_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	utilyaml "k8s.io/apimachinery/pkg/util/yaml"

	"github.com/canarydrill/canarydrill/internal/argoref"
	"github.com/canarydrill/canarydrill/internal/controlplane/cptest"
)

// TestVersionMatchesModule keeps Version equal to the argo-rollouts that the build module requires.
func TestVersionMatchesModule(t *testing.T) {
	b, err := os.ReadFile("../../test/e2e/argo/go.mod")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s*github\.com/argoproj/argo-rollouts (v[0-9.]+)`).FindSubmatch(b)
	if m == nil || string(m[1]) != argoref.Version {
		t.Errorf("test/e2e/argo/go.mod requires argo-rollouts %q, Version is %s", m, argoref.Version)
	}
}

func TestFindNotBuilt(t *testing.T) {
	_, err := argoref.Find(t.TempDir())
	if !errors.Is(err, argoref.ErrNotBuilt) || !strings.Contains(err.Error(), "make e2e-argo") {
		t.Errorf("Find in an empty folder: %v", err)
	}
}

func TestDefaultDir(t *testing.T) {
	t.Setenv(argoref.EnvDir, "")
	t.Setenv("XDG_CACHE_HOME", "/cache")
	if got, want := argoref.DefaultDir(), "/cache/canarydrill-controlplane/argo-rollouts-"+argoref.Version; got != want {
		t.Errorf("DefaultDir %s, want %s", got, want)
	}
	t.Setenv(argoref.EnvDir, "/elsewhere")
	if got := argoref.DefaultDir(); got != "/elsewhere" {
		t.Errorf("DefaultDir with %s set: %s", argoref.EnvDir, got)
	}
}

func TestProcessMemory(t *testing.T) {
	m, err := argoref.ProcessMemory(os.Getpid())
	if err != nil {
		t.Skipf("no /proc here: %v", err)
	}
	if m.RSS < 1<<20 || m.Peak < m.RSS {
		t.Errorf("own memory %+v", m)
	}
}

// canarydrillOnly are the schema fields of config/crd that Argo's CRDs do not have: canarydrill's
// extensions, which the API server prunes from objects under Argo's CRDs.
var canarydrillOnly = []string{
	".spec.metrics[].provider.judge",                               // the built-in statistical judge
	".spec.metrics[].provider.prometheus.authentication.basicAuth", // basic auth to Prometheus
	".spec.metrics[].provider.web.authentication.basicAuth",        // and to web metrics
}

// subresourceDiffs are the CRDs whose subresources differ: none. Controllers write a
// subresource's status differently from the object's (a 404 where the CRD has none), so
// config/crd has exactly Argo's: status and scale on Rollout, nothing on AnalysisRun and
// Experiment, whose status goes with the object.
var subresourceDiffs = map[string]string{}

// TestArgoCRDsAreASuperset checks what the package comment says: every field of config/crd's
// schemas is in Argo's CRDs, save canarydrill's own extensions, and the subresources differ only
// where listed. Argo's CRDs come from the folder `make e2e-argo` fills.
func TestArgoCRDsAreASuperset(t *testing.T) {
	f, err := argoref.Find("")
	if err != nil {
		if os.Getenv(cptest.EnvRequire) != "1" {
			t.Skipf("%v; set %s=1 to make this a failure", err, cptest.EnvRequire)
		}
		t.Fatal(err)
	}
	pairs := map[string]string{
		"rollouts":                 "rollout-crd.yaml",
		"analysisruns":             "analysis-run-crd.yaml",
		"analysistemplates":        "analysis-template-crd.yaml",
		"clusteranalysistemplates": "cluster-analysis-template-crd.yaml",
		"experiments":              "experiment-crd.yaml",
	}
	for plural, argoFile := range pairs {
		ours := readCRD(t, filepath.Join("..", "..", "config", "crd", "bases", "argoproj.io_"+plural+".yaml"))
		theirs := readCRD(t, filepath.Join(f.CRDs, argoFile))
		op, ap := map[string]bool{}, map[string]bool{}
		fields(schemaOf(t, ours), "", op)
		fields(schemaOf(t, theirs), "", ap)
		var missing []string
		for p := range op {
			// Where config/crd keeps unknown fields (a pod template) Argo's schema spells them
			// out: stricter, not missing anything.
			if strings.HasSuffix(p, "*") {
				continue
			}
			if !covered(p, ap) && !slices.ContainsFunc(canarydrillOnly, func(ext string) bool {
				return p == ext || strings.HasPrefix(p, ext+".") || strings.HasPrefix(p, ext+"[")
			}) {
				missing = append(missing, p)
			}
		}
		sort.Strings(missing)
		if len(missing) > 0 {
			t.Errorf("%s: config/crd has fields that Argo %s's CRD lacks (the API server would prune them):\n  %s", plural, argoref.Version, strings.Join(missing, "\n  "))
		}
		got := ""
		if o, a := subresources(ours), subresources(theirs); o != a {
			got = fmt.Sprintf("argo: %s, canarydrill: %s", a, o)
		}
		if got != subresourceDiffs[plural] {
			t.Errorf("%s: subresources %q, want %q (update the package comment and docs/conformance.md)", plural, got, subresourceDiffs[plural])
		}
	}
}

func readCRD(t *testing.T, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(b), 4096).Decode(&m); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return m
}

func version0(t *testing.T, crd map[string]any) map[string]any {
	t.Helper()
	spec, _ := crd["spec"].(map[string]any)
	versions, _ := spec["versions"].([]any)
	if len(versions) != 1 {
		t.Fatalf("%v: %d versions", crd["metadata"], len(versions))
	}
	return versions[0].(map[string]any)
}

func schemaOf(t *testing.T, crd map[string]any) map[string]any {
	v := version0(t, crd)
	s, _ := v["schema"].(map[string]any)
	o, _ := s["openAPIV3Schema"].(map[string]any)
	if o == nil {
		t.Fatalf("%v: no openAPIV3Schema", crd["metadata"])
	}
	return o
}

// subresources names the subresources of a CRD's only version, "{}" for none.
func subresources(crd map[string]any) string {
	versions := crd["spec"].(map[string]any)["versions"].([]any)
	sub, _ := versions[0].(map[string]any)["subresources"].(map[string]any)
	var names []string
	for k := range sub {
		names = append(names, k)
	}
	sort.Strings(names)
	if len(names) == 0 {
		return "{}"
	}
	return strings.Join(names, ",")
}

// fields collects the property paths of a schema: .a.b, [] for array items, {} for map values;
// a path whose schema keeps unknown fields is marked with a trailing "*".
func fields(s map[string]any, path string, out map[string]bool) {
	if keep, _ := s["x-kubernetes-preserve-unknown-fields"].(bool); keep {
		out[path+"*"] = true
	}
	if props, ok := s["properties"].(map[string]any); ok {
		for k, v := range props {
			out[path+"."+k] = true
			if m, ok := v.(map[string]any); ok {
				fields(m, path+"."+k, out)
			}
		}
	}
	if items, ok := s["items"].(map[string]any); ok {
		fields(items, path+"[]", out)
	}
	if add, ok := s["additionalProperties"].(map[string]any); ok {
		fields(add, path+"{}", out)
	}
}

// covered reports whether Argo's schema has path, or keeps unknown fields at one of its parents.
func covered(path string, argo map[string]bool) bool {
	if argo[path] {
		return true
	}
	for p := path; p != ""; {
		i := strings.LastIndexAny(p, ".[{")
		if i < 0 {
			break
		}
		p = p[:i]
		if argo[p+"*"] {
			return true
		}
	}
	return false
}
