package driver

import (
	"flag"
	"os"
	"path/filepath"
	"slices"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	"sigs.k8s.io/yaml"
)

var update = flag.Bool("update", false, "rewrite config/rbac/role.yaml from driver.Rules")

const roleFile = "../config/rbac/role.yaml"

const roleHeader = "# Generated from driver.Rules by `go test ./driver -run TestRoleFile -update`; do not edit.\n"

// TestRoleFile keeps config/rbac/role.yaml equal to Rules.
func TestRoleFile(t *testing.T) {
	want, err := yaml.Marshal(ClusterRole())
	if err != nil {
		t.Fatal(err)
	}
	want = append([]byte(roleHeader), want...)
	if *update {
		if err := os.WriteFile(roleFile, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(roleFile)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("%s is stale: run go test ./driver -run TestRoleFile -update\ngot:\n%s\nwant:\n%s", roleFile, got, want)
	}
}

func allows(rules []rbacv1.PolicyRule, group, resource, verb string) bool {
	for _, r := range rules {
		if slices.Contains(r.APIGroups, group) && slices.Contains(r.Resources, resource) && slices.Contains(r.Verbs, verb) {
			return true
		}
	}
	return false
}

// TestRulesCoverInformers: every kind the manager watches can be listed and watched, and
// nothing is granted that no code uses (no wildcard, no secrets list, no pod watch).
func TestRulesCoverInformers(t *testing.T) {
	watched := []struct{ group, resource string }{
		{"argoproj.io", "rollouts"}, {"argoproj.io", "analysisruns"}, {"argoproj.io", "experiments"},
		{"argoproj.io", "analysistemplates"}, {"argoproj.io", "clusteranalysistemplates"},
		{"apps", "replicasets"}, {"apps", "deployments"}, {"", "services"}, {"networking.k8s.io", "ingresses"}, {"batch", "jobs"},
		{"networking.istio.io", "virtualservices"}, {"networking.istio.io", "destinationrules"},
		{"split.smi-spec.io", "trafficsplits"}, {"gateway.networking.k8s.io", "httproutes"},
	}
	for _, w := range watched {
		for _, v := range []string{"get", "list", "watch"} {
			if !allows(Rules, w.group, w.resource, v) {
				t.Errorf("%s %s/%s missing", v, w.group, w.resource)
			}
		}
	}
	for _, r := range Rules {
		for _, s := range append(append(r.APIGroups, r.Resources...), r.Verbs...) {
			if s == "*" {
				t.Errorf("wildcard in %+v", r)
			}
		}
	}
	for _, denied := range []struct{ group, resource, verb string }{
		{"", "secrets", "list"}, {"", "secrets", "watch"}, {"", "pods", "watch"}, {"", "pods", "create"}, {"argoproj.io", "rollouts", "update"},
		{"argoproj.io", "rollouts", "delete"}, {"apps", "deployments", "update"}, {"apps", "deployments", "delete"},
	} {
		if allows(Rules, denied.group, denied.resource, denied.verb) {
			t.Errorf("%s %s/%s granted but never used", denied.verb, denied.group, denied.resource)
		}
	}
}

// TestKustomizeTree checks that every resource a kustomization.yaml under config/ names exists.
func TestKustomizeTree(t *testing.T) {
	files, _ := filepath.Glob("../config/*/kustomization.yaml")
	if len(files) < 4 {
		t.Fatalf("kustomizations: %v", files)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var k struct {
			Resources []string `json:"resources"`
		}
		if err := yaml.Unmarshal(b, &k); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, r := range k.Resources {
			if _, err := os.Stat(filepath.Join(filepath.Dir(f), r)); err != nil {
				t.Errorf("%s: resource %s: %v", f, r, err)
			}
		}
	}
}
