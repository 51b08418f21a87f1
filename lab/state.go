package lab

import (
	"context"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
	"github.com/canarydrill/canarydrill/drill"
	"github.com/canarydrill/canarydrill/reports"
	"github.com/canarydrill/canarydrill/scenarios"
)

// rolloutKey is the seed's Rollout.
var rolloutKey = types.NamespacedName{Namespace: "default", Name: "demo-app"}

// state is what the exercises' checks read: the Rollout now, the report so far, and what the
// trainee has done at the prompt.
type state struct {
	phase              string
	stableVersion      string
	prometheusTemplate bool
	report             *reports.Report

	// What the trainee did.
	looked            map[string]bool // kinds shown with get
	released          bool            // a set image was applied
	describedMeasured bool            // described an AnalysisRun with measurements
	sawDegraded       bool
	badReleased       bool // the bad version's fault has started
}

// refresh reads the drill's state; false when the drill has ended.
func (s *state) refresh(sess *drill.Session) bool {
	ok := sess.Do(func(ctx context.Context, c client.Client) {
		ro := &v1alpha1.Rollout{}
		if err := c.Get(ctx, rolloutKey, ro); err != nil {
			return
		}
		s.phase = string(ro.Status.Phase)
		if s.phase == string(v1alpha1.RolloutPhaseDegraded) {
			s.sawDegraded = true
		}
		s.stableVersion = ""
		var rss appsv1.ReplicaSetList
		if err := c.List(ctx, &rss, client.InNamespace(rolloutKey.Namespace)); err == nil {
			for _, rs := range rss.Items {
				if rs.Labels[v1alpha1.DefaultRolloutUniqueLabelKey] == ro.Status.StableRS {
					s.stableVersion = rs.Spec.Template.Annotations[scenarios.VersionAnnotation]
				}
			}
		}
		var ats v1alpha1.AnalysisTemplateList
		if err := c.List(ctx, &ats, client.InNamespace(rolloutKey.Namespace)); err == nil {
			for _, at := range ats.Items {
				for _, m := range at.Spec.Metrics {
					if m.Provider.Prometheus != nil && m.Provider.Prometheus.Query != "" {
						s.prometheusTemplate = true
					}
				}
			}
		}
	})
	if !ok {
		return false
	}
	r, err := sess.Report()
	if err != nil {
		return false
	}
	s.report = r
	return true
}
