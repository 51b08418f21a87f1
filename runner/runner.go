// Package runner runs scenarios and writes their reports: what `canarydrill run` does, as a library.
package runner

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/canarydrill/canarydrill/reports"
	"github.com/canarydrill/canarydrill/scenarios"
	"github.com/canarydrill/canarydrill/sim"
)

// Exit codes of `canarydrill run`.
const (
	ExitOK       = 0
	ExitFailed   = 1
	ExitBadInput = 2
)

// Options are the flags of `canarydrill run`.
type Options struct {
	// Seed overrides every scenario's seed when set.
	Seed *int64
	// Out is the folder that gets one sub-folder of reports per scenario.
	Out string
	// Formats are written beside report.json; the first is also what is printed.
	Formats []string
	// Simulate runs a scenario and returns its report, expectations checked; nil means sim.Run
	// (virtual time). A run against a real API (realapi.Env.Run) goes here.
	Simulate func(ctx context.Context, sc *scenarios.Scenario, seed int64) (*reports.Report, error)
}

// Result is one scenario's run.
type Result struct {
	Scenario *scenarios.Scenario
	Report   *reports.Report
	Dir      string
}

// Load reads and validates every scenario before anything runs, so that one bad file stops
// the whole command with nothing run (exit code 2).
func Load(refs []string) ([]*scenarios.Scenario, error) {
	var all []*scenarios.Scenario
	var probs scenarios.Problems
	seen := map[string]string{}
	for _, ref := range refs {
		sc, err := scenarios.Load(ref)
		if err != nil {
			if p, ok := err.(scenarios.Problems); ok {
				probs = append(probs, p...)
				continue
			}
			probs = append(probs, fmt.Sprintf("%s: %v", ref, err))
			continue
		}
		if prev, dup := seen[sc.Metadata.Name]; dup {
			probs = append(probs, fmt.Sprintf("%s: metadata.name: Duplicate value: %q (also in %s); reports would overwrite each other", ref, sc.Metadata.Name, prev))
			continue
		}
		seen[sc.Metadata.Name] = ref
		all = append(all, sc)
	}
	if len(probs) > 0 {
		return nil, probs
	}
	return all, nil
}

// Run runs one scenario (in virtual time unless o.Simulate says otherwise) and writes its
// reports under o.Out.
func Run(ctx context.Context, sc *scenarios.Scenario, o Options) (*Result, error) {
	seed := sc.SeedOr(scenarios.DefaultSeed)
	if o.Seed != nil {
		seed = *o.Seed
	}
	simulate := o.Simulate
	if simulate == nil {
		simulate = sim.Run
	}
	rep, err := simulate(ctx, sc, seed)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", sc.Source, err)
	}
	res := &Result{Scenario: sc, Report: rep, Dir: filepath.Join(o.Out, sc.Metadata.Name)}
	if err := write(res, o.Formats); err != nil {
		return nil, err
	}
	return res, nil
}

// write puts report.json and the other asked-for formats in the scenario's folder. Each file
// is written to a temporary name and renamed, so that no reader ever sees half a report.
func write(res *Result, formats []string) error {
	if err := os.MkdirAll(res.Dir, 0o755); err != nil {
		return err
	}
	want := append([]string{reports.FormatJSON}, formats...)
	done := map[string]bool{}
	for _, f := range want {
		if done[f] || f == reports.FormatText {
			continue
		}
		done[f] = true
		var b bytes.Buffer
		if err := reports.Render(&b, res.Report, f); err != nil {
			return err
		}
		if err := writeAtomic(filepath.Join(res.Dir, reports.FileName(f)), b.Bytes()); err != nil {
			return err
		}
	}
	return nil
}

// WriteFile writes data to path whole: to a temporary name in the same folder, then renamed,
// creating the folder if needed.
func WriteFile(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return writeAtomic(path, data)
}

func writeAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o644); err != nil { // CreateTemp makes 0600; reports are for everyone
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
