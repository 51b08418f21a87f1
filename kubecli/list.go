package kubecli

import (
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
	"github.com/canarydrill/canarydrill/controller/rollout"
)

// PrintList writes `kubectl argo rollouts list rollouts`: one line per Rollout, with the
// namespace column when allNamespaces.
func PrintList(w io.Writer, rollouts []v1alpha1.Rollout, allNamespaces bool) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	header := "NAME\tSTRATEGY\tSTATUS\tSTEP\tSET-WEIGHT\tREADY\tDESIRED\tUP-TO-DATE\tAVAILABLE\n"
	if allNamespaces {
		header = "NAMESPACE\t" + header
	}
	fmt.Fprint(tw, header)
	for i := range rollouts {
		ro := &rollouts[i]
		strategy, step, weight := "unknown", "-", "-"
		if cs := ro.Spec.Strategy.Canary; cs != nil {
			strategy = "Canary"
			if ro.Status.CurrentStepIndex != nil && len(cs.Steps) > 0 {
				step = fmt.Sprintf("%d/%d", *ro.Status.CurrentStepIndex, len(cs.Steps))
			}
			weight = strconv.Itoa(int(rollout.CurrentSetWeight(ro)))
		} else if ro.Spec.Strategy.BlueGreen != nil {
			strategy = "BlueGreen"
		}
		phase, _ := Phase(ro)
		desired := int32(1)
		if ro.Spec.Replicas != nil {
			desired = *ro.Spec.Replicas
		}
		if allNamespaces {
			fmt.Fprintf(tw, "%s\t", ro.Namespace)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d/%d\t%d\t%d\t%d\n", ro.Name, strategy, phase, step, weight,
			ro.Status.ReadyReplicas, ro.Status.Replicas, desired, ro.Status.UpdatedReplicas, ro.Status.AvailableReplicas)
	}
	_ = tw.Flush()
}
