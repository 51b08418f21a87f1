package e2e

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
	"github.com/canarydrill/canarydrill/controller/rollout"
	"github.com/canarydrill/canarydrill/driver"
)

// TestMissingVerb runs the controller with config/rbac's role less `create` on ReplicaSets: the
// update cannot start, and the Rollout says why in its Progressing condition, naming the verb and
// the resource.
func TestMissingVerb(t *testing.T) {
	e, ns := setup(t)
	ctx := context.Background()
	role := driver.ClusterRole()
	role.Name = "limited-" + ns
	for i, r := range role.Rules {
		if slices.Contains(r.Resources, "replicasets") {
			role.Rules[i].Verbs = slices.DeleteFunc(slices.Clone(r.Verbs), func(v string) bool { return v == "create" })
		}
	}
	role.Rules = slices.Clone(role.Rules)
	if err := e.admin.Create(ctx, role); err != nil {
		t.Fatal(err)
	}
	binding := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: role.Name},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: role.Name},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Namespace: ns, Name: "limited"}},
	}
	if err := e.admin.Create(ctx, binding); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.admin.Delete(ctx, binding); _ = e.admin.Delete(ctx, role) })
	cfg, err := e.cp.ServiceAccountConfig(ctx, ns, "limited")
	if err != nil {
		t.Fatal(err)
	}
	startDriver(t, cfg, ns)
	if err := applyYAML(ctx, e.admin, ns, []byte(templateYAML(ns, "http://127.0.0.1:9/")+"---\n"+rolloutYAML(ns, "demo:v1"))); err != nil {
		t.Fatal(err)
	}
	var msg string
	waitFor(t, 30*time.Second, "the ReplicaSetCreateError condition", func() (bool, error) {
		for _, c := range getRollout(t, e.admin, ns, "demo").Status.Conditions {
			if c.Type == v1alpha1.RolloutProgressing && c.Reason == rollout.ReasonReplicaSetCreateError {
				msg = c.Message
				return true, nil
			}
		}
		return false, nil
	})
	want := `cannot create resource "replicasets" in API group "apps"`
	if !strings.Contains(msg, want) || !strings.Contains(msg, "forbidden") {
		t.Errorf("condition message %q does not say %q", msg, want)
	}
	t.Logf("the Rollout reports: %s", msg)
}

// TestSchemaRejects: the CRD's schema (generated from api/v1alpha1) makes the API refuse a
// Rollout whose field has the wrong type, naming the field.
func TestSchemaRejects(t *testing.T) {
	e, ns := setup(t)
	bad := strings.Replace(rolloutYAML(ns, "demo:v1"), "setWeight: 25", `setWeight: "a quarter"`, 1)
	err := applyYAML(context.Background(), e.admin, ns, []byte(bad))
	if err == nil {
		t.Fatal("the API accepted setWeight: \"a quarter\"")
	}
	for _, want := range []string{"spec.strategy.canary.steps[0].setWeight", "Invalid value", "integer"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	t.Logf("the API says: %v", err)
}

// TestManifestsServerDryRun sends config/manager's Deployment and Service to the API with
// dryRun=All: the real server validates them without running anything.
func TestManifestsServerDryRun(t *testing.T) {
	e, _ := setup(t)
	files, err := filepath.Glob("../../config/manager/*.yaml")
	if err != nil || len(files) < 2 {
		t.Fatalf("manifests: %v %v", files, err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := applyYAML(context.Background(), client.NewDryRunClient(e.admin), "", b); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}
