package scenarios

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const jobScenario = `apiVersion: canarydrill.io/v1alpha1
kind: Scenario
metadata:
  name: jobs
spec:
  manifests:
  - inline: |
      apiVersion: argoproj.io/v1alpha1
      kind: AnalysisTemplate
      metadata:
        name: smoke
      spec:
        metrics:
        - name: smoke-test
          provider:
            job:
              spec:
                template:
                  spec:
                    restartPolicy: Never
                    containers: [{name: smoke, image: curl}]
        - name: other
          provider:
            job:
              spec:
                template:
                  spec:
                    restartPolicy: Never
                    containers: [{name: smoke, image: curl}]
      ---
      apiVersion: argoproj.io/v1alpha1
      kind: Rollout
      metadata:
        name: shop
      spec:
        selector:
          matchLabels: {app: shop}
        template:
          metadata:
            labels: {app: shop}
          spec:
            containers: [{name: shop, image: shop:v1}]
        strategy:
          canary:
            steps:
            - analysis: {templates: [{templateName: smoke}]}
`

func loadJobs(t *testing.T, jobs string) (*Scenario, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "s.yaml")
	require.NoError(t, os.WriteFile(path, []byte(jobScenario+jobs), 0o644))
	return Load(path)
}

func TestJobsDefaultsAndOutcomes(t *testing.T) {
	sc, err := loadJobs(t, `  jobs:
    smoke-test:
      failFor: [shop:v3, bad]
    other:
      duration: 1m
      outcome: fail
`)
	require.NoError(t, err)
	smoke := sc.Spec.JobFor("smoke-test")
	assert.Equal(t, Job{Duration: Duration{DefaultJobDuration}, Outcome: JobSucceed, FailFor: []string{"shop:v3", "bad"}}, smoke)
	assert.Equal(t, Job{Duration: Duration{time.Minute}, Outcome: JobFail}, sc.Spec.JobFor("other"))
	assert.Equal(t, Job{Duration: Duration{DefaultJobDuration}, Outcome: JobSucceed}, sc.Spec.JobFor("not-in-jobs"), "no entry: succeed after the default")

	for _, tc := range []struct {
		job         Job
		name, image string
		fails       bool
	}{
		{smoke, "default", "shop:v2", false},
		{smoke, "default", "shop:v3", true},
		{smoke, "bad", "shop:v2", true},
		{smoke, "", "", false},
		{sc.Spec.JobFor("other"), "default", "shop:v2", true},
	} {
		assert.Equal(t, tc.fails, tc.job.Fails(tc.name, tc.image), "%v %s %s", tc.job, tc.name, tc.image)
	}
}

func TestJobsValidation(t *testing.T) {
	_, err := loadJobs(t, `  jobs:
    smoke-tset:
      duration: 10s
    smoke-test:
      duration: -5s
      outcome: pass
    other:
      outcome: fail
      failFor: [shop:v3, ""]
`)
	require.Error(t, err)
	var probs Problems
	require.ErrorAs(t, err, &probs)
	want := []string{
		`spec.jobs[other].failFor: Invalid value: ["shop:v3",""]: outcome fail already fails every version`,
		`spec.jobs[other].failFor[1]: Required value: a version, image or update.version name`,
		`spec.jobs[smoke-test].duration: Invalid value: "-5s": must not be negative`,
		`spec.jobs[smoke-test].outcome: Unsupported value: "pass": supported values: "succeed", "fail"`,
		`spec.jobs[smoke-tset]: Invalid value: "smoke-tset": no job metric of this name in the manifests' templates and AnalysisRuns`,
	}
	require.Len(t, probs, len(want), "%s", err)
	for i, p := range probs {
		assert.True(t, strings.HasSuffix(p, "s.yaml: "+want[i]), "%s", p)
	}
}
