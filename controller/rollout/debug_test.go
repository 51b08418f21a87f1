package rollout

import (
	"fmt"
	"testing"
	"time"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

func TestDebugEvents(t *testing.T) {
	f, _ := deployed(t)
	n := f.settle()
	fmt.Println("extra settle reconciles", n)
	for _, e := range f.events {
		fmt.Println("  ", e)
	}
	mark := len(f.events)
	f.setArgs("v2")
	fmt.Println("settle", f.settle(), f.lastResult)
	f.clock.Step(30 * time.Second)
	fmt.Println("settle", f.settle(), f.lastResult)
	ro := f.rollout()
	f.finishRun(ro.Status.Canary.CurrentStepAnalysisRunStatus.Name, v1alpha1.AnalysisPhaseSuccessful, "")
	fmt.Println("settle", f.settle(), f.lastResult)
	f.clock.Step(30 * time.Second)
	fmt.Println("settle", f.settle(), f.lastResult)
	f.clock.Step(30 * time.Second)
	fmt.Println("settle", f.settle(), f.lastResult)
	for _, e := range f.eventsSince(mark) {
		fmt.Println("  ", e)
	}
	ro = f.rollout()
	for _, c := range ro.Status.Conditions {
		fmt.Printf("  %s %s %s %q %s %s\n", c.Type, c.Status, c.Reason, c.Message, c.LastUpdateTime, c.LastTransitionTime)
	}
}
