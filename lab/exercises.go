package lab

import (
	"fmt"
	"time"

	"github.com/canarydrill/canarydrill/scenarios"
)

// Exercise is one of the seed's hands-on steps, run as a drill the trainee drives.
type Exercise struct {
	N     int
	Title string
	// Steps names the seed's steps it covers.
	Steps string
	// Brief says what happens and what to do.
	Brief string
	// Commands are the seed's commands to type at the lab's prompt.
	Commands []string
	// Completed are the seed's "you have completed this exercise when" lines the lab checks.
	Completed []string

	build func() (*scenarios.Scenario, error)
	done  func(*state) bool
}

// The seed's commands, as the lab takes them.
const (
	cmdGet          = "kubectl argo rollouts get rollout demo-app --watch"
	cmdGetTemplates = "kubectl get analysistemplate"
	cmdGood         = `kubectl argo rollouts set image demo-app demo-app=hashicorp/http-echo:0.2.3 -- -text="Version 2 - Also Healthy" -listen=:8080`
	cmdBad          = `kubectl argo rollouts set image demo-app demo-app=hashicorp/http-echo:0.2.3 -- -text="Version 3 - Bad Version" -listen=:8080`
	cmdFixed        = `kubectl argo rollouts set image demo-app demo-app=hashicorp/http-echo:0.2.3 -- -text="Version 4 - Fixed" -listen=:8080`
	cmdAbort        = "kubectl argo rollouts abort demo-app"
	cmdRetry        = "kubectl argo rollouts retry rollout demo-app"
	cmdGetRuns      = "kubectl get analysisrun"
	cmdDescribeRun  = "kubectl describe analysisrun NAME"
)

// The lab's service versions, by what the seed's -text says.
const (
	versionGood  = "v2"
	versionBad   = "v3"
	versionFixed = "v4"
)

// Exercises lists the seed's hands-on steps as the lab runs them.
func Exercises() []Exercise {
	return []Exercise{
		{
			N: 1, Title: "Install the controller, the AnalysisTemplate and the Rollout", Steps: "steps 1–2",
			Brief: "The lab plays `kind create cluster`, installs the controller and applies the seed's " +
				"analysis-template.yaml and rollout.yaml. Look at what you installed.",
			Commands: []string{cmdGetTemplates, "kubectl argo rollouts get rollout demo-app"},
			Completed: []string{
				"Argo Rollouts controller is running in the argo-rollouts namespace",
				"An AnalysisTemplate was created with Prometheus query configuration",
				"A Rollout resource replaced the standard Deployment",
			},
			build: func() (*scenarios.Scenario, error) { return base("lab-install", "builtin:seed-good-canary") },
			done: func(s *state) bool {
				return s.phase == "Healthy" && s.prometheusTemplate && s.looked["rollout"] && s.looked["analysistemplate"]
			},
		},
		{
			N: 2, Title: "Deploy a good canary and watch it promoted", Steps: "step 3",
			Brief:     "Release Version 2 and watch it go through 20%, the pause, the analysis, 50% and 80% to 100%.",
			Commands:  []string{cmdGood, cmdGet},
			Completed: []string{"A “good” canary progressed through all steps and was promoted"},
			build:     func() (*scenarios.Scenario, error) { return base("lab-good-canary", "builtin:seed-good-canary") },
			done: func(s *state) bool {
				return s.released && s.report.Outcome == scenarios.OutcomePromoted && s.report.PromotedAt != nil
			},
		},
		{
			N: 3, Title: "Deploy a bad canary and abort it", Steps: "step 4",
			Brief: "Release Version 3, whose every request fails. Watch the rollout; when the AnalysisRun " +
				"appears, abort. (The seed's template may not fail it by itself: its first measurement " +
				"comes when the 1m rate window holds only 30 s of canary traffic, a success rate about " +
				"0.90, right on its bound: Inconclusive, and the rollout pauses.)",
			Commands:  []string{cmdBad, cmdGet, cmdAbort},
			Completed: []string{"A “bad” canary was aborted/rolled back, returning traffic to stable"},
			build:     func() (*scenarios.Scenario, error) { return base("lab-bad-canary", "builtin:seed-good-canary") },
			done: func(s *state) bool {
				return s.released && s.report.Outcome == scenarios.OutcomeRolledBack && s.report.TrafficRestoredAt != nil
			},
		},
		{
			N: 4, Title: "Inspect the AnalysisRun", Steps: "step 5",
			Brief: "The lab releases the bad Version 3 15 s in, with the lesson's 60 s pause before the " +
				"analysis: the first measurement fails and the rollout aborts by itself. List the " +
				"AnalysisRuns and describe the failed one: what success rate did it measure?",
			Commands:  []string{cmdGetRuns, cmdDescribeRun},
			Completed: []string{"You inspected an AnalysisRun and understood its measurement results"},
			build:     func() (*scenarios.Scenario, error) { return badRelease("lab-inspect") },
			done:      func(s *state) bool { return s.describedMeasured },
		},
		{
			N: 5, Title: "Retry, and recover with a fixed version", Steps: "step 6",
			Brief: "The bad Version 3 is released 15 s in and rolled back by its analysis: the rollout is " +
				"Degraded. `retry` runs Version 3 again (and fails again); release Version 4 to recover.",
			Commands:  []string{cmdRetry, cmdFixed, cmdGet},
			Completed: []string{"The rollout recovered from Degraded state with a new version"},
			build:     func() (*scenarios.Scenario, error) { return badRelease("lab-recover") },
			done: func(s *state) bool {
				return s.sawDegraded && s.phase == "Healthy" && s.report.Outcome == scenarios.OutcomePromoted &&
					s.stableVersion != "" && s.stableVersion != versionBad
			},
		},
	}
}

// labDuration bounds every exercise: the trainee has half an hour of scenario time.
const labDuration = 30 * time.Minute

// base is the seed's setup (the built-in's manifests, load and metrics) with the lab's versions:
// good and fixed versions healthy, the bad one failing every request; the timeline is the
// trainee's.
func base(name, ref string) (*scenarios.Scenario, error) {
	sc, err := scenarios.Load(ref)
	if err != nil {
		return nil, err
	}
	sc.Metadata.Name = name
	sc.Metadata.Description = fmt.Sprintf("canarydrill lab: %s, on the seed's %s", name, ref)
	sc.Spec.MaxDuration.Duration = labDuration
	sc.Spec.Expect = scenarios.Expect{}
	def := sc.Spec.Versions[scenarios.DefaultVersion]
	for _, v := range []string{versionGood, versionBad, versionFixed} {
		sc.Spec.Versions[v] = def
	}
	sc.Spec.Timeline = nil
	return sc, nil
}

// badFault is the bug that ships with the bad version: every request of its pods fails, from
// its release on, canary or stable.
func badFault() scenarios.Entry {
	return scenarios.Entry{Fault: scenarios.FaultHTTPErrors, Version: versionBad, Rate: rate(1), Code: scenarios.DefaultHTTPErrorCode}
}

// badRelease is the seed's bad canary with the lesson's fix (the 60 s pause), released 15 s in:
// its analysis fails and the rollout aborts by itself.
func badRelease(name string) (*scenarios.Scenario, error) {
	sc, err := base(name, "builtin:seed-bad-canary-bake")
	if err != nil {
		return nil, err
	}
	at := scenarios.Duration{Duration: 15 * time.Second}
	fault := badFault()
	fault.At = at
	sc.Spec.Timeline = []scenarios.Entry{
		{At: at, Update: &scenarios.Update{Args: []string{"-text=Version 3 - Bad Version", "-listen=:8080"}, Version: versionBad}},
		fault,
	}
	return sc, nil
}

func rate(f float64) scenarios.Quantity {
	var q scenarios.Quantity
	_ = q.UnmarshalJSON([]byte(fmt.Sprint(f)))
	return q
}
