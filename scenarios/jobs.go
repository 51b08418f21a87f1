package scenarios

import (
	"sort"
	"time"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

// Job is how the Jobs of one job metric behave in a simulated run, where no pod runs them: the
// simulator's Job controller ends each pod after Duration with the outcome that applies to the
// version under analysis.
type Job struct {
	// Duration is how long each pod of the Job runs, from its start to its exit.
	Duration Duration `json:"duration,omitempty"`
	// Outcome is succeed or fail, for every version not in FailFor.
	Outcome string `json:"outcome,omitempty"`
	// FailFor lists the versions (versions keys, images or update.version names) whose Jobs fail:
	// a smoke test that fails against the bad release only. The version is the one the Job's
	// AnalysisRun measures, given by the run's rollouts-pod-template-hash label.
	FailFor []string `json:"failFor,omitempty"`
}

// The outcomes of a Job's pods.
const (
	JobSucceed = "succeed"
	JobFail    = "fail"
)

// DefaultJobDuration is how long the pod of a Job runs when the scenario says nothing of it:
// long enough to be seen in a report, short beside any analysis interval.
const DefaultJobDuration = 10 * time.Second

var jobOutcomes = []string{JobSucceed, JobFail}

// JobFor is how the Jobs of the named metric behave: the scenario's entry with its defaults, or
// the default (succeed after DefaultJobDuration) when it has none.
func (s *Spec) JobFor(metric string) Job {
	j, ok := s.Jobs[metric]
	if !ok {
		return defaultJob(Job{})
	}
	return j
}

// Fails says whether a Job measuring the version named name (or running image) fails.
func (j Job) Fails(name, image string) bool {
	if j.Outcome == JobFail {
		return true
	}
	for _, v := range j.FailFor {
		if v == name || v == image {
			return true
		}
	}
	return false
}

func defaultJob(j Job) Job {
	if j.Duration.Duration == 0 {
		j.Duration.Duration = DefaultJobDuration
	}
	if j.Outcome == "" {
		j.Outcome = JobSucceed
	}
	return j
}

func defaultJobs(js map[string]Job) {
	for name, j := range js {
		js[name] = defaultJob(j)
	}
}

// validateJobs checks spec.jobs: every key names a job metric of the manifests (a misspelt
// metric would otherwise fall back to the default silently), and every entry is well-formed.
func (sc *Scenario) validateJobs(p *field.Path) field.ErrorList {
	var errs field.ErrorList
	metrics := sc.jobMetricNames()
	names := make([]string, 0, len(sc.Spec.Jobs))
	for n := range sc.Spec.Jobs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		j, jp := sc.Spec.Jobs[n], p.Key(n)
		if !metrics[n] {
			errs = append(errs, field.Invalid(jp, n, "no job metric of this name in the manifests' templates and AnalysisRuns"))
		}
		if j.Duration.Duration < 0 {
			errs = append(errs, field.Invalid(jp.Child("duration"), j.Duration.String(), "must not be negative"))
		}
		errs = append(errs, oneOf(jp.Child("outcome"), j.Outcome, jobOutcomes)...)
		if j.Outcome == JobFail && len(j.FailFor) > 0 {
			errs = append(errs, field.Invalid(jp.Child("failFor"), j.FailFor, "outcome fail already fails every version"))
		}
		for i, v := range j.FailFor {
			if v == "" {
				errs = append(errs, field.Required(jp.Child("failFor").Index(i), "a version, image or update.version name"))
			}
		}
	}
	return errs
}

// jobMetricNames are the names of the job metrics in the manifests' templates and runs.
func (sc *Scenario) jobMetricNames() map[string]bool {
	out := map[string]bool{}
	add := func(ms []v1alpha1.Metric) {
		for _, m := range ms {
			if m.Provider.Job != nil {
				out[m.Name] = true
			}
		}
	}
	for _, o := range sc.Objects {
		add(v1alpha1.MetricsOf(o.Object))
	}
	return out
}
