package lab

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/canarydrill/canarydrill/drill"
	"github.com/canarydrill/canarydrill/reports"
	"github.com/canarydrill/canarydrill/scenarios"
)

// Options configure a lab run.
type Options struct {
	// TimeScale shortens every duration of the exercise (see drill.Options).
	TimeScale float64
	// PodCommand and PodEnv run the demo service (see drill.Options).
	PodCommand []string
	PodEnv     []string
	// Prompt is written before each command (default "lab> ").
	Prompt string
	// CheckEvery is how often, in wall time, the lab checks the exercise and redraws a watch
	// (default 500ms).
	CheckEvery time.Duration
}

// Result is how a lab run ended.
type Result struct {
	// Completed says the trainee did what the seed's checklist asks.
	Completed bool
	// Report is the drill's report.
	Report *reports.Report
}

// Get returns exercise n (from 1).
func Get(n int) (Exercise, error) {
	all := Exercises()
	if n < 1 || n > len(all) {
		return Exercise{}, fmt.Errorf("exercise %d: there are exercises 1 to %d (canarydrill lab lists them)", n, len(all))
	}
	return all[n-1], nil
}

// Run drives exercise n as a live drill: it writes the brief and a prompt to out, runs each line
// of in at the drill (until the exercise is complete, in ends, the trainee types quit, the
// exercise's half hour is over, or ctx ends), and checks the seed's completion lines. Nothing of
// the drill is left running when it returns.
func Run(ctx context.Context, n int, in io.Reader, out io.Writer, o Options) (*Result, error) {
	ex, err := Get(n)
	if err != nil {
		return nil, err
	}
	if o.Prompt == "" {
		o.Prompt = "lab> "
	}
	if o.CheckEvery <= 0 {
		o.CheckEvery = 500 * time.Millisecond
	}
	sc, err := ex.build()
	if err != nil {
		return nil, err
	}
	sess, err := drill.Start(ctx, sc, drill.Options{TimeScale: o.TimeScale, PodCommand: o.PodCommand, PodEnv: o.PodEnv, KeepRunning: true})
	if err != nil {
		return nil, err
	}
	st := &state{looked: map[string]bool{}, badReleased: hasFault(sc.Spec.Timeline)}
	sh := &shell{ex: ex, sess: sess, out: out, st: st}
	intro(out, ex)
	completed := sh.loop(ctx, readLines(in), o)
	sess.Stop()
	res, err := sess.Wait()
	if err != nil {
		return nil, err
	}
	if completed {
		fmt.Fprintf(out, "\n✓ Exercise %d complete. You can confirm:\n", ex.N)
		for _, c := range ex.Completed {
			fmt.Fprintf(out, "  ✓ %s\n", c)
		}
	} else {
		fmt.Fprintf(out, "\nExercise %d not completed: still to do:\n", ex.N)
		for _, c := range ex.Completed {
			fmt.Fprintf(out, "  • %s\n", c)
		}
	}
	summary(out, res.Report)
	return &Result{Completed: completed, Report: res.Report}, nil
}

// loop reads and runs commands, and checks the exercise between them.
func (sh *shell) loop(ctx context.Context, lines <-chan string, o Options) bool {
	tick := time.NewTicker(o.CheckEvery)
	defer tick.Stop()
	fmt.Fprint(sh.out, o.Prompt)
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				return sh.check()
			}
			if sh.exec(line) {
				return sh.check()
			}
			if sh.check() {
				return true
			}
			fmt.Fprint(sh.out, o.Prompt)
		case <-tick.C:
			if sh.check() {
				return true
			}
			sh.redraw()
		case <-sh.sess.Done():
			fmt.Fprintln(sh.out, "\nthe exercise's time is over")
			return false
		case <-ctx.Done():
			return false
		}
	}
}

// check reads the drill and says whether the exercise is complete.
func (sh *shell) check() bool {
	if !sh.st.refresh(sh.sess) {
		return false
	}
	return sh.ex.done(sh.st)
}

func hasFault(tl []scenarios.Entry) bool {
	for _, e := range tl {
		if e.Fault != "" {
			return true
		}
	}
	return false
}

func intro(out io.Writer, ex Exercise) {
	fmt.Fprintf(out, "Exercise %d (the seed's %s): %s\n\n%s\n\nType the seed's commands:\n", ex.N, ex.Steps, ex.Title, ex.Brief)
	for _, c := range ex.Commands {
		fmt.Fprintf(out, "  %s\n", c)
	}
	fmt.Fprint(out, "\nYou have completed this exercise when you can confirm:\n")
	for _, c := range ex.Completed {
		fmt.Fprintf(out, "  • %s\n", c)
	}
	fmt.Fprint(out, "\n(help lists what the lab understands; quit ends the exercise)\n")
}

func (sh *shell) help() {
	fmt.Fprint(sh.out, `kubectl argo rollouts get rollout NAME [--watch]   the rollout's tree (--watch: redrawn until your next command)
kubectl argo rollouts set image NAME CONTAINER=IMAGE [-- ARGS...]
                                                   a new revision; -text="Version N ..." picks the version
kubectl argo rollouts promote|abort|retry|pause|resume|undo NAME [--full]
kubectl argo rollouts list rollouts
kubectl get analysisrun|analysistemplate|rollout|pod
kubectl describe analysisrun|analysistemplate NAME
(canarydrill rollouts ... works as kubectl argo rollouts ...)
hint     the exercise's commands again
status   what the exercise still needs
quit     end the exercise
`)
}

func (sh *shell) hint() {
	for _, c := range sh.ex.Commands {
		fmt.Fprintf(sh.out, "  %s\n", c)
	}
}

func (sh *shell) status() {
	s := sh.st
	phase := s.phase
	if phase == "" {
		phase = "(not yet reconciled)"
	}
	fmt.Fprintf(sh.out, "rollout demo-app: %s, stable version %s\n", phase, orNone(s.stableVersion))
	if s.report != nil {
		fmt.Fprintf(sh.out, "outcome so far: %s\n", s.report.Outcome)
	}
	fmt.Fprintf(sh.out, "exercise %d complete: %v\n", sh.ex.N, sh.ex.done(s))
}

// summary is the drill's account: outcome, the key times and what users got.
func summary(out io.Writer, r *reports.Report) {
	if r == nil {
		return
	}
	fmt.Fprintf(out, "\nThe drill: outcome %s (phase %s) after %s of scenario time\n", r.Outcome, r.FinalPhase, secsOf(r.VirtualSeconds))
	at := func(name string, t, since *float64) {
		if t == nil {
			return
		}
		s := fmt.Sprintf("  %-18s %s", name, secsOf(*t))
		if since != nil {
			s += fmt.Sprintf(" (%s after the release's fault)", secsOf(*since))
		}
		fmt.Fprintln(out, s)
	}
	at("bad version out", r.FaultStartedAt, nil)
	at("detected", r.DetectedAt, r.DetectionSeconds)
	at("aborted", r.AbortedAt, nil)
	at("traffic restored", r.TrafficRestoredAt, r.RollbackSeconds)
	at("promoted", r.PromotedAt, nil)
	if r.Load != nil {
		fmt.Fprintf(out, "  users (vegeta)     %s\n", r.Load.Summary())
	}
}

func secsOf(s float64) string { return (time.Duration(s*10) * time.Second / 10).String() }
