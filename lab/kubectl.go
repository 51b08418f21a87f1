package lab

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
	"github.com/canarydrill/canarydrill/kubecli"
)

// kubectl is the few reads the seed's steps make with plain kubectl: get and describe of
// AnalysisRuns, AnalysisTemplates, Rollouts and pods.
func (sh *shell) kubectl(args []string) {
	rest, _, _ := flags(args, "watch")
	if len(rest) >= 1 && rest[0] == "apply" {
		fmt.Fprintln(sh.out, "the lab applied the seed's analysis-template.yaml and rollout.yaml when it started")
		return
	}
	if len(rest) < 2 || (rest[0] != "get" && rest[0] != "describe") {
		fmt.Fprintln(sh.out, "kubectl: the lab knows get and describe of analysisrun, analysistemplate, rollout and pod")
		return
	}
	kind := canonicalKind(rest[1])
	if kind == "" {
		fmt.Fprintf(sh.out, "error: the server doesn't have a resource type %q\n", rest[1])
		return
	}
	sh.st.looked[kind] = true
	var b bytes.Buffer
	now := sh.sess.Now()
	ok := sh.sess.Do(func(ctx context.Context, c client.Client) {
		var err error
		switch {
		case rest[0] == "describe" && len(rest) == 3:
			err = sh.describe(ctx, c, &b, kind, rest[2], now)
		case rest[0] == "describe":
			err = fmt.Errorf("describe %s needs a name", kind)
		default:
			err = get(ctx, c, &b, kind, now)
		}
		if err != nil {
			fmt.Fprintln(&b, "Error from server:", err)
		}
	})
	if !ok {
		fmt.Fprintln(sh.out, "the drill has ended")
		return
	}
	sh.out.Write(b.Bytes())
}

func canonicalKind(s string) string {
	switch strings.ToLower(s) {
	case "analysisrun", "analysisruns", "ar":
		return "analysisrun"
	case "analysistemplate", "analysistemplates", "at":
		return "analysistemplate"
	case "rollout", "rollouts", "ro":
		return "rollout"
	case "pod", "pods", "po":
		return "pod"
	}
	return ""
}

func get(ctx context.Context, c client.Client, b *bytes.Buffer, kind string, now time.Time) error {
	tw := tabwriter.NewWriter(b, 0, 0, 3, ' ', 0)
	defer tw.Flush()
	in := client.InNamespace(rolloutKey.Namespace)
	switch kind {
	case "analysisrun":
		var l v1alpha1.AnalysisRunList
		if err := c.List(ctx, &l, in); err != nil {
			return err
		}
		if len(l.Items) == 0 {
			fmt.Fprintln(b, "No resources found in default namespace.")
			return nil
		}
		sort.Slice(l.Items, func(i, j int) bool { return l.Items[i].CreationTimestamp.Before(&l.Items[j].CreationTimestamp) })
		fmt.Fprintln(tw, "NAME\tSTATUS\tAGE")
		for _, ar := range l.Items {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", ar.Name, ar.Status.Phase, age(ar.CreationTimestamp.Time, now))
		}
	case "analysistemplate":
		var l v1alpha1.AnalysisTemplateList
		if err := c.List(ctx, &l, in); err != nil {
			return err
		}
		fmt.Fprintln(tw, "NAME\tMETRICS\tPROVIDER\tAGE")
		for _, at := range l.Items {
			var names, providers []string
			for _, m := range at.Spec.Metrics {
				names = append(names, m.Name)
				if m.Provider.Prometheus != nil {
					providers = append(providers, "prometheus "+m.Provider.Prometheus.Address)
				}
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", at.Name, strings.Join(names, ","), strings.Join(providers, ","), age(at.CreationTimestamp.Time, now))
		}
	case "rollout":
		var l v1alpha1.RolloutList
		if err := c.List(ctx, &l, in); err != nil {
			return err
		}
		tw.Flush()
		kubecli.PrintList(b, l.Items, false)
	case "pod":
		var l corev1.PodList
		if err := c.List(ctx, &l, in); err != nil {
			return err
		}
		fmt.Fprintln(tw, "NAME\tREADY\tSTATUS\tRESTARTS\tAGE")
		for _, p := range l.Items {
			ready, restarts := "0/1", int32(0)
			for _, cs := range p.Status.ContainerStatuses {
				if cs.Ready {
					ready = "1/1"
				}
				restarts += cs.RestartCount
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", p.Name, ready, p.Status.Phase, restarts, age(p.CreationTimestamp.Time, now))
		}
	}
	return nil
}

// describe writes what the seed's step 5 looks at: an AnalysisRun's metrics and every
// measurement (phase and value), or a template's queries.
func (sh *shell) describe(ctx context.Context, c client.Client, b *bytes.Buffer, kind, n string, now time.Time) error {
	key := types.NamespacedName{Namespace: rolloutKey.Namespace, Name: n}
	switch kind {
	case "analysisrun":
		ar := &v1alpha1.AnalysisRun{}
		if err := c.Get(ctx, key, ar); err != nil {
			return err
		}
		fmt.Fprintf(b, "Name:         %s\nNamespace:    %s\nKind:         AnalysisRun\nStatus:\n  Phase:      %s\n", ar.Name, ar.Namespace, ar.Status.Phase)
		if ar.Status.Message != "" {
			fmt.Fprintf(b, "  Message:    %s\n", ar.Status.Message)
		}
		measured := 0
		for _, mr := range ar.Status.MetricResults {
			fmt.Fprintf(b, "  Metric Results:\n    Name:     %s\n    Phase:    %s\n    Count:    %d\n    Failed:   %d\n    Inconclusive: %d\n    Measurements:\n", mr.Name, mr.Phase, mr.Count, mr.Failed, mr.Inconclusive)
			for _, m := range mr.Measurements {
				measured++
				fin := "-"
				if m.FinishedAt != nil {
					fin = age(m.FinishedAt.Time, now) + " ago"
				}
				fmt.Fprintf(b, "      Phase: %-12s Value: %-12s Finished: %s\n", m.Phase, orNone(m.Value), fin)
			}
		}
		for _, m := range ar.Spec.Metrics {
			if m.Provider.Prometheus != nil {
				fmt.Fprintf(b, "  Metric %s: successCondition %q, failureCondition %q\n    Query: %s\n", m.Name, m.SuccessCondition, m.FailureCondition, strings.Join(strings.Fields(m.Provider.Prometheus.Query), " "))
			}
		}
		if measured > 0 {
			sh.st.describedMeasured = true
		}
	case "analysistemplate":
		at := &v1alpha1.AnalysisTemplate{}
		if err := c.Get(ctx, key, at); err != nil {
			return err
		}
		fmt.Fprintf(b, "Name:         %s\nKind:         AnalysisTemplate\n", at.Name)
		for _, m := range at.Spec.Metrics {
			count := "-"
			if m.Count != nil {
				count = m.Count.String()
			}
			fmt.Fprintf(b, "  Metric %s: interval %s, count %s, successCondition %q, failureCondition %q\n", m.Name, m.Interval, count, m.SuccessCondition, m.FailureCondition)
			if m.Provider.Prometheus != nil {
				fmt.Fprintf(b, "    Prometheus %s\n    Query: %s\n", m.Provider.Prometheus.Address, strings.Join(strings.Fields(m.Provider.Prometheus.Query), " "))
			}
		}
	default:
		return fmt.Errorf("the lab describes analysisruns and analysistemplates")
	}
	return nil
}

func orNone(s string) string {
	if s == "" {
		return "<none>"
	}
	return s
}

// age is kubectl's AGE: 42s, 3m5s, 2h3m.
func age(t, now time.Time) string {
	d := now.Sub(t).Round(time.Second)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm%ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%dh%dm", int(d.Hours()), int(d.Minutes())%60)
}
