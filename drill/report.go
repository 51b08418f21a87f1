package drill

import (
	"fmt"

	"github.com/canarydrill/canarydrill/reports"
)

// report is the world's report with the drill's real requests: the router's counts and
// windows, vegeta's figures, the time scale and the wall time.
func (p *platform) report(interrupted bool) *reports.Report {
	w := p.backend
	ld, windows := p.stopLoad()
	stats := p.router.Stats()
	w.RecordServed(stats.Totals(), stats.Windows(w.SignalStep()))
	r := w.Report()
	for _, f := range []*float64{&r.VirtualSeconds, r.DetectionSeconds, r.RollbackSeconds} {
		if f != nil {
			*f = round3(*f)
		}
	}
	r.TimeScale = p.o.TimeScale
	r.WallSeconds = reports.Secs(round3(p.clk.base.Since(p.clk.zero).Seconds()))
	if ld != nil {
		ld.FailedOnCanary = stats.Totals().FailedOnCanary
		canary := stats.Windows(Window)
		for i := range windows {
			if j := int(windows[i].At / Window.Seconds()); j < len(canary) {
				windows[i].FailedOnCanary = int64(canary[j].Errors[1])
			}
		}
		r.Load, r.Windows = ld, windows
	} else {
		r.Notes = append(r.Notes, "no load was sent: no pod of the rollout became ready")
	}
	if p.o.TimeScale != 1 && p.o.API != APIReal { // the real backend's report says it
		r.Notes = append(r.Notes, fmt.Sprintf("time scale %g: every duration ran %g times faster on the wall clock; times are scenario seconds (wall seconds / %g), load rates per wall second", p.o.TimeScale, 1/p.o.TimeScale, p.o.TimeScale))
	}
	for _, e := range p.kubelet.Exits() {
		r.Notes = append(r.Notes, "container exit: "+e)
	}
	if p.attackEr != nil {
		r.Notes = append(r.Notes, "load: "+p.attackEr.Error())
	}
	if interrupted {
		r.Notes = append(r.Notes, fmt.Sprintf("interrupted at %.1f s: the drill did not finish", r.VirtualSeconds))
	}
	reports.Check(r, p.sc.Spec.Expect)
	if interrupted || p.attackEr != nil {
		r.Passed = false // a drill that did not run to its end proves nothing
	}
	return r
}

func round3(x float64) float64 { return float64(int64(x*1000+0.5)) / 1000 }
