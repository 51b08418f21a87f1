package kubecli

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
	"github.com/canarydrill/canarydrill/controller/rollout"
)

// RolloutInfo is what `get` shows of a Rollout: its summary and the tree of the objects it owns.
type RolloutInfo struct {
	Rollout      *v1alpha1.Rollout
	Status       string // phase as `kubectl argo rollouts` shows it (Healthy, Progressing, Paused, Degraded)
	Message      string
	Strategy     string // Canary or BlueGreen
	Step         string // "2/5"; empty without steps
	SetWeight    string
	ActualWeight string
	ReplicaSets  []ReplicaSetInfo // newest revision first
	AnalysisRuns []AnalysisRunInfo
	Experiments  []ExperimentInfo
}

// ReplicaSetInfo is one ReplicaSet of the tree with its pods.
type ReplicaSetInfo struct {
	RS                              *appsv1.ReplicaSet
	Revision                        int
	Status                          string // Healthy, Progressing, ScaledDown, ReplicaFailure
	Stable, Canary, Active, Preview bool
	Pods                            []PodInfo
}

// PodInfo is one pod line: status as kubectl shows it, ready containers, restarts.
type PodInfo struct {
	Pod      *corev1.Pod
	Status   string
	Ready    string // "1/1"
	Restarts int32
}

// AnalysisRunInfo is one AnalysisRun of the tree, with its measurements counted by phase.
type AnalysisRunInfo struct {
	Run                                      *v1alpha1.AnalysisRun
	Revision                                 int
	Status                                   string
	Successful, Failed, Inconclusive, Errors int32
}

// ExperimentInfo is one Experiment of the tree.
type ExperimentInfo struct {
	Experiment *v1alpha1.Experiment
	Revision   int
	Status     string
}

// Load reads the Rollout key and everything it owns (ReplicaSets and their pods, AnalysisRuns,
// Experiments) through c.
func Load(ctx context.Context, c client.Reader, key types.NamespacedName) (*RolloutInfo, error) {
	ro := &v1alpha1.Rollout{}
	if err := c.Get(ctx, key, ro); err != nil {
		return nil, err
	}
	var rss appsv1.ReplicaSetList
	if err := c.List(ctx, &rss, client.InNamespace(key.Namespace)); err != nil {
		return nil, err
	}
	var pods corev1.PodList
	if err := c.List(ctx, &pods, client.InNamespace(key.Namespace)); err != nil {
		return nil, err
	}
	var runs v1alpha1.AnalysisRunList
	if err := c.List(ctx, &runs, client.InNamespace(key.Namespace)); err != nil {
		return nil, err
	}
	var exps v1alpha1.ExperimentList
	if err := c.List(ctx, &exps, client.InNamespace(key.Namespace)); err != nil {
		return nil, err
	}
	return NewRolloutInfo(ro, rss.Items, pods.Items, runs.Items, exps.Items), nil
}

// NewRolloutInfo builds the view from objects already read; those not owned by ro are ignored.
func NewRolloutInfo(ro *v1alpha1.Rollout, rss []appsv1.ReplicaSet, pods []corev1.Pod, runs []v1alpha1.AnalysisRun, exps []v1alpha1.Experiment) *RolloutInfo {
	info := &RolloutInfo{Rollout: ro}
	info.Status, info.Message = Phase(ro)
	byUID := map[types.UID]int{}
	for i := range rss {
		rs := &rss[i]
		if !ownedBy(rs.OwnerReferences, ro.UID) {
			continue
		}
		ri := ReplicaSetInfo{RS: rs, Revision: revision(rs.Annotations), Status: replicaSetHealth(rs)}
		hash := rs.Labels[v1alpha1.DefaultRolloutUniqueLabelKey]
		if ro.Spec.Strategy.Canary != nil {
			ri.Stable = ro.Status.StableRS == hash
			ri.Canary = !ri.Stable && ro.Status.CurrentPodHash == hash
		}
		if ro.Spec.Strategy.BlueGreen != nil {
			ri.Stable = ro.Status.StableRS == hash
			ri.Active = ro.Status.BlueGreen.ActiveSelector == hash
			ri.Preview = !ri.Active && ro.Status.BlueGreen.PreviewSelector == hash
		}
		info.ReplicaSets = append(info.ReplicaSets, ri)
	}
	slices.SortStableFunc(info.ReplicaSets, func(a, b ReplicaSetInfo) int {
		if a.Revision != b.Revision {
			return b.Revision - a.Revision
		}
		return strings.Compare(a.RS.Name, b.RS.Name)
	})
	for i := range info.ReplicaSets {
		byUID[info.ReplicaSets[i].RS.UID] = i
	}
	for i := range pods {
		p := &pods[i]
		for _, ref := range p.OwnerReferences {
			if idx, ok := byUID[ref.UID]; ok {
				info.ReplicaSets[idx].Pods = append(info.ReplicaSets[idx].Pods, newPodInfo(p))
			}
		}
	}
	for i := range info.ReplicaSets {
		slices.SortStableFunc(info.ReplicaSets[i].Pods, func(a, b PodInfo) int {
			if c := a.Pod.CreationTimestamp.Compare(b.Pod.CreationTimestamp.Time); c != 0 {
				return c
			}
			return strings.Compare(a.Pod.Name, b.Pod.Name)
		})
	}
	for i := range runs {
		run := &runs[i]
		if ownedBy(run.OwnerReferences, ro.UID) {
			info.AnalysisRuns = append(info.AnalysisRuns, newRunInfo(run))
		}
	}
	slices.SortStableFunc(info.AnalysisRuns, func(a, b AnalysisRunInfo) int {
		if c := a.Run.CreationTimestamp.Compare(b.Run.CreationTimestamp.Time); c != 0 {
			return c
		}
		return strings.Compare(a.Run.Name, b.Run.Name)
	})
	for i := range exps {
		e := &exps[i]
		if ownedBy(e.OwnerReferences, ro.UID) {
			status := string(e.Status.Phase)
			info.Experiments = append(info.Experiments, ExperimentInfo{Experiment: e, Revision: revision(e.Annotations), Status: status})
		}
	}
	if cs := ro.Spec.Strategy.Canary; cs != nil {
		info.Strategy = "Canary"
		if ro.Status.CurrentStepIndex != nil && len(cs.Steps) > 0 {
			info.Step = fmt.Sprintf("%d/%d", *ro.Status.CurrentStepIndex, len(cs.Steps))
		}
		info.SetWeight = strconv.Itoa(int(rollout.CurrentSetWeight(ro)))
		info.ActualWeight = actualWeight(ro, info)
	} else if ro.Spec.Strategy.BlueGreen != nil {
		info.Strategy = "BlueGreen"
	}
	return info
}

// Phase is the phase and message `kubectl argo rollouts` shows: Progressing while the
// controller has not seen the latest spec, else the controller's status.phase.
func Phase(ro *v1alpha1.Rollout) (string, string) {
	if observed, err := strconv.ParseInt(ro.Status.ObservedGeneration, 10, 64); err == nil && observed < ro.Generation {
		return string(v1alpha1.RolloutPhaseProgressing), "waiting for rollout spec update to be observed"
	}
	if ro.Status.Phase != "" {
		return string(ro.Status.Phase), ro.Status.Message
	}
	p, m := rollout.CalculateRolloutPhase(ro.Spec, ro.Status)
	return string(p), m
}

// actualWeight is the canary's share as the plugin estimates it: available canary pods over all
// available pods for a basic canary, the weight last set for a traffic-routed one.
func actualWeight(ro *v1alpha1.Rollout, info *RolloutInfo) string {
	cs := ro.Spec.Strategy.Canary
	max := int32(100)
	if cs.TrafficRouting != nil && cs.TrafficRouting.MaxTrafficWeight != nil {
		max = *cs.TrafficRouting.MaxTrafficWeight
	}
	idx := int32(0)
	if ro.Status.CurrentStepIndex != nil {
		idx = *ro.Status.CurrentStepIndex
	}
	if int(idx) >= len(cs.Steps) {
		return strconv.Itoa(int(max))
	}
	if ro.Status.AvailableReplicas == 0 {
		return "0"
	}
	if cs.TrafficRouting == nil {
		for _, rs := range info.ReplicaSets {
			if rs.Canary {
				return strconv.Itoa(int(rs.RS.Status.AvailableReplicas * max / ro.Status.AvailableReplicas))
			}
		}
		return "0"
	}
	if w := ro.Status.Canary.Weights; w != nil {
		return strconv.Itoa(int(w.Canary.Weight))
	}
	return info.SetWeight
}

func ownedBy(refs []metav1.OwnerReference, uid types.UID) bool {
	for _, r := range refs {
		if r.UID == uid {
			return true
		}
	}
	return false
}

func revision(annotations map[string]string) int {
	n, _ := strconv.Atoi(annotations[rollout.AnnotationRevision])
	return n
}

func replicaSetHealth(rs *appsv1.ReplicaSet) string {
	if rs.Generation > rs.Status.ObservedGeneration {
		return "Progressing"
	}
	for _, c := range rs.Status.Conditions {
		if c.Type == appsv1.ReplicaSetReplicaFailure && c.Status == corev1.ConditionTrue {
			return string(appsv1.ReplicaSetReplicaFailure)
		}
	}
	if rs.Spec.Replicas != nil && rs.Status.AvailableReplicas < *rs.Spec.Replicas {
		return "Progressing"
	}
	if rs.Spec.Replicas != nil && *rs.Spec.Replicas == 0 {
		return "ScaledDown"
	}
	return "Healthy"
}

// newPodInfo reads a pod's status as kubectl's STATUS column does for the common cases: the
// waiting or terminated reason of a container, Terminating while deleted, else the phase.
func newPodInfo(p *corev1.Pod) PodInfo {
	pi := PodInfo{Pod: p, Status: string(p.Status.Phase)}
	if p.Status.Reason != "" {
		pi.Status = p.Status.Reason
	}
	ready := 0
	for i := len(p.Status.ContainerStatuses) - 1; i >= 0; i-- {
		c := p.Status.ContainerStatuses[i]
		pi.Restarts += c.RestartCount
		switch {
		case c.State.Waiting != nil && c.State.Waiting.Reason != "":
			pi.Status = c.State.Waiting.Reason
		case c.State.Terminated != nil && c.State.Terminated.Reason != "":
			pi.Status = c.State.Terminated.Reason
		case c.State.Terminated != nil:
			pi.Status = fmt.Sprintf("ExitCode:%d", c.State.Terminated.ExitCode)
		case c.Ready && c.State.Running != nil:
			ready++
		}
	}
	if p.DeletionTimestamp != nil {
		pi.Status = "Terminating"
	}
	pi.Ready = fmt.Sprintf("%d/%d", ready, len(p.Spec.Containers))
	return pi
}

func newRunInfo(run *v1alpha1.AnalysisRun) AnalysisRunInfo {
	ri := AnalysisRunInfo{Run: run, Revision: revision(run.Annotations), Status: string(run.Status.Phase)}
	if ri.Status == "" {
		ri.Status = string(v1alpha1.AnalysisPhasePending)
	}
	for _, m := range run.Status.MetricResults {
		ri.Successful += m.Successful
		ri.Failed += m.Failed
		ri.Inconclusive += m.Inconclusive
		ri.Errors += m.Error
	}
	return ri
}
