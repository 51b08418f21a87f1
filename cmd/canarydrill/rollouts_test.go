package main

import (
	"bytes"
	"strings"
	"testing"
)

// The cluster commands' argument errors exit 2 with one line, before any cluster is contacted
// (their work is tested on a real API server in test/e2e).
func TestClusterCommandsRejectBadArguments(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"rollouts", "status"}, "accepts 1 arg(s), received 0"},
		{[]string{"rollouts", "set", "image", "demo", "demo:v2"}, "expected CONTAINER=IMAGE"},
		{[]string{"rollouts", "get", "deployment", "demo"}, `unknown kind "deployment"`},
		{[]string{"rollouts", "list", "pods"}, `unknown kind "pods"`},
		{[]string{"controller", "--logformat", "xml"}, "--logformat must be text or json"},
	} {
		var out, errOut bytes.Buffer
		if code := execute(tc.args, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tc.args, code, errOut.String(), tc.want)
		}
	}
}
