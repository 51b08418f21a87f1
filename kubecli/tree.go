package kubecli

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"k8s.io/apimachinery/pkg/util/duration"

	"github.com/canarydrill/canarydrill/controller/rollout"
)

// The icons `kubectl argo rollouts get` draws.
const (
	IconRollout     = "⟳"
	IconRevision    = "#"
	IconReplicaSet  = "⧉"
	IconPod         = "□"
	IconAnalysis    = "α"
	IconExperiment  = "Σ"
	IconWaiting     = "◷"
	IconProgressing = "◌"
	IconWarning     = "⚠"
	IconUnknown     = "?"
	IconOK          = "✔"
	IconBad         = "✖"
	IconPaused      = "॥"
	IconNeutral     = "•"
)

const summaryFormat = "%-17s%v\n"

// PrintRollout writes the summary and the tree of `kubectl argo rollouts get rollout NAME`,
// without colour; ages are counted to now.
func PrintRollout(w io.Writer, info *RolloutInfo, now time.Time) {
	ro := info.Rollout
	fmt.Fprintf(w, summaryFormat, "Name:", ro.Name)
	fmt.Fprintf(w, summaryFormat, "Namespace:", ro.Namespace)
	fmt.Fprintf(w, summaryFormat, "Status:", statusIcon(info.Status)+" "+info.Status)
	if info.Message != "" {
		fmt.Fprintf(w, summaryFormat, "Message:", info.Message)
	}
	fmt.Fprintf(w, summaryFormat, "Strategy:", info.Strategy)
	if info.Strategy == "Canary" {
		fmt.Fprintf(w, summaryFormat, "  Step:", info.Step)
		fmt.Fprintf(w, summaryFormat, "  SetWeight:", info.SetWeight)
		fmt.Fprintf(w, summaryFormat, "  ActualWeight:", info.ActualWeight)
	}
	for i, img := range images(info) {
		label := "Images:"
		if i > 0 {
			label = ""
		}
		fmt.Fprintf(w, summaryFormat, label, img)
	}
	desired := int32(1)
	if ro.Spec.Replicas != nil {
		desired = *ro.Spec.Replicas
	}
	fmt.Fprint(w, "Replicas:\n")
	fmt.Fprintf(w, summaryFormat, "  Desired:", desired)
	fmt.Fprintf(w, summaryFormat, "  Current:", ro.Status.Replicas)
	fmt.Fprintf(w, summaryFormat, "  Updated:", ro.Status.UpdatedReplicas)
	fmt.Fprintf(w, summaryFormat, "  Ready:", ro.Status.ReadyReplicas)
	fmt.Fprintf(w, summaryFormat, "  Available:", ro.Status.AvailableReplicas)
	fmt.Fprintln(w)
	PrintTree(w, info, now)
}

// PrintTree writes the NAME/KIND/STATUS/AGE/INFO table: the Rollout, then each revision (newest
// first) with its ReplicaSets and their pods, Experiments and AnalysisRuns.
func PrintTree(w io.Writer, info *RolloutInfo, now time.Time) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "NAME\tKIND\tSTATUS\tAGE\tINFO\n")
	ro := info.Rollout
	row(tw, "", IconRollout+" "+ro.Name, "Rollout", info.Status, age(ro.CreationTimestamp.Time, now), "")
	revs := revisions(info)
	for i, rev := range revs {
		prefix, sub := prefixes(i == len(revs)-1, "")
		fmt.Fprintf(tw, "%s%s revision:%d\t\t\t\t\n", prefix, IconRevision, rev)
		type child func(prefix, sub string)
		var children []child
		for _, rs := range info.ReplicaSets {
			if rs.Revision == rev {
				children = append(children, func(p, s string) { printReplicaSet(tw, rs, p, s, now) })
			}
		}
		for _, e := range info.Experiments {
			if e.Revision == rev {
				children = append(children, func(p, _ string) {
					rowIcon(tw, p, IconExperiment+" "+e.Experiment.Name, "Experiment", runIcon(e.Status), e.Status, age(e.Experiment.CreationTimestamp.Time, now), "")
				})
			}
		}
		for _, ar := range info.AnalysisRuns {
			if ar.Revision == rev {
				children = append(children, func(p, _ string) { printRun(tw, ar, p, now) })
			}
		}
		for j, c := range children {
			p, s := prefixes(j == len(children)-1, sub)
			c(p, s)
		}
	}
	_ = tw.Flush()
}

func printReplicaSet(w io.Writer, rs ReplicaSetInfo, prefix, sub string, now time.Time) {
	var cols []string
	for _, tag := range []struct {
		on   bool
		name string
	}{{rs.Stable, "stable"}, {rs.Canary, "canary"}, {rs.Active, "active"}, {rs.Preview, "preview"}} {
		if tag.on {
			cols = append(cols, tag.name)
		}
	}
	if d := rs.RS.Annotations[rollout.AnnotationScaleDownDeadline]; d != "" {
		if t, err := time.Parse(time.RFC3339, d); err == nil && t.After(now) {
			cols = append(cols, "delay:"+t.Sub(now).Truncate(time.Second).String())
		} else if err == nil {
			cols = append(cols, "delay:passed")
		}
	}
	row(w, prefix, IconReplicaSet+" "+rs.RS.Name, "ReplicaSet", rs.Status, age(rs.RS.CreationTimestamp.Time, now), strings.Join(cols, ","))
	for i, p := range rs.Pods {
		pp, _ := prefixes(i == len(rs.Pods)-1, sub)
		col := "ready:" + p.Ready
		if p.Restarts > 0 {
			col += fmt.Sprintf(",restarts:%d", p.Restarts)
		}
		row(w, pp, IconPod+" "+p.Pod.Name, "Pod", p.Status, age(p.Pod.CreationTimestamp.Time, now), col)
	}
}

func printRun(w io.Writer, ar AnalysisRunInfo, prefix string, now time.Time) {
	var cols []string
	for _, c := range []struct {
		icon string
		n    int32
	}{{IconOK, ar.Successful}, {IconBad, ar.Failed}, {IconUnknown, ar.Inconclusive}, {IconWarning, ar.Errors}} {
		if c.n > 0 {
			cols = append(cols, fmt.Sprintf("%s %d", c.icon, c.n))
		}
	}
	rowIcon(w, prefix, IconAnalysis+" "+ar.Run.Name, "AnalysisRun", runIcon(ar.Status), ar.Status, age(ar.Run.CreationTimestamp.Time, now), strings.Join(cols, ","))
}

func row(w io.Writer, prefix, name, kind, status, age, info string) {
	rowIcon(w, prefix, name, kind, statusIcon(status), status, age, info)
}

func rowIcon(w io.Writer, prefix, name, kind, icon, status, age, info string) {
	fmt.Fprintf(w, "%s%s\t%s\t%s %s\t%s\t%s\n", prefix, name, kind, icon, status, age, info)
}

// prefixes draws the tree: the prefix of this line and the one its children continue with.
func prefixes(last bool, sub string) (string, string) {
	if last {
		return sub + "└──", sub + "    "
	}
	return sub + "├──", sub + "│   "
}

func revisions(info *RolloutInfo) []int {
	seen := map[int]bool{}
	for _, rs := range info.ReplicaSets {
		seen[rs.Revision] = true
	}
	for _, e := range info.Experiments {
		seen[e.Revision] = true
	}
	for _, a := range info.AnalysisRuns {
		seen[a.Revision] = true
	}
	var revs []int
	for r := range seen {
		revs = append(revs, r)
	}
	slices.Sort(revs)
	slices.Reverse(revs)
	return revs
}

// images lists the images of ReplicaSets with pods, tagged with the ReplicaSets' roles.
func images(info *RolloutInfo) []string {
	tags := map[string]map[string]bool{}
	for _, rs := range info.ReplicaSets {
		if rs.RS.Status.Replicas == 0 {
			continue
		}
		for _, c := range rs.RS.Spec.Template.Spec.Containers {
			if tags[c.Image] == nil {
				tags[c.Image] = map[string]bool{}
			}
			for _, t := range []struct {
				on   bool
				name string
			}{{rs.Stable, "stable"}, {rs.Canary, "canary"}, {rs.Active, "active"}, {rs.Preview, "preview"}} {
				if t.on {
					tags[c.Image][t.name] = true
				}
			}
		}
	}
	var out []string
	for img, ts := range tags {
		var names []string
		for t := range ts {
			names = append(names, t)
		}
		slices.Sort(names)
		if len(names) > 0 {
			img += " (" + strings.Join(names, ", ") + ")"
		}
		out = append(out, img)
	}
	slices.Sort(out)
	return out
}

func statusIcon(status string) string {
	if strings.HasSuffix(status, "Error") || strings.HasPrefix(status, "Err") || strings.HasPrefix(status, "ExitCode:") {
		return IconWarning
	}
	switch status {
	case "Progressing", "Pending", "Terminating", "ContainerCreating":
		return IconProgressing
	case "Healthy", "Running", "Completed":
		return IconOK
	case "Degraded", "Failed", "ReplicaFailure", "CrashLoopBackOff", "OOMKilled", "InvalidImageName":
		return IconBad
	case "Paused":
		return IconPaused
	case "InvalidSpec", "ImagePullBackOff":
		return IconWarning
	case "Inconclusive", "Unknown":
		return IconUnknown
	case "ScaledDown":
		return IconNeutral
	}
	return " "
}

// runIcon is an AnalysisRun's (or Experiment's) icon by phase.
func runIcon(phase string) string {
	switch phase {
	case "Successful":
		return IconOK
	case "Failed":
		return IconBad
	case "Error":
		return IconWarning
	case "Inconclusive":
		return IconUnknown
	case "Running":
		return IconProgressing
	case "Pending":
		return IconWaiting
	}
	return " "
}

func age(t, now time.Time) string {
	if t.IsZero() {
		return "<unknown>"
	}
	return duration.HumanDuration(now.Sub(t))
}
