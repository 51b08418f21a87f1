package lint

import (
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
)

// promParser parses PromQL as a Prometheus server does with its default features.
var promParser = parser.NewParser(parser.Options{})

// CanaryHashLabel is the label that tells canary pods from stable ones in the default preset
// (Argo's rollouts-pod-template-hash pod label, as Prometheus' Kubernetes discovery names it).
const CanaryHashLabel = "rollouts_pod_template_hash"

// SelectsCanary reports whether any series selector of the query picks out canary pods: a
// matcher on CanaryHashLabel, a label whose name says canary (nginx's canary), or a matcher
// whose value holds one of canaryValues (the canary's pod-template hash) or says canary (a
// canary service, workload or pod name).
func SelectsCanary(e parser.Expr, canaryValues ...string) bool {
	found := false
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		vs, ok := n.(*parser.VectorSelector)
		if !ok || found {
			return nil
		}
		for _, m := range vs.LabelMatchers {
			if m.Name == model.MetricNameLabel {
				continue
			}
			selects := m.Type == labels.MatchEqual || m.Type == labels.MatchRegexp
			switch {
			case m.Name == CanaryHashLabel && selects:
				found = true
			case strings.Contains(strings.ToLower(m.Name), "canary"):
				found = true
			case selects && strings.Contains(strings.ToLower(m.Value), "canary"):
				found = true
			case selects && containsAny(m.Value, canaryValues):
				found = true
			}
		}
		return nil
	})
	return found
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if sub != "" && strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// LongestRange is the longest range window of the query: range selectors ([5m]) and subqueries.
func LongestRange(e parser.Expr) time.Duration {
	var longest time.Duration
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		switch n := n.(type) {
		case *parser.MatrixSelector:
			longest = max(longest, n.Range)
		case *parser.SubqueryExpr:
			longest = max(longest, n.Range)
		}
		return nil
	})
	return longest
}
