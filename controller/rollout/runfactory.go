package rollout

import "github.com/canarydrill/canarydrill/controller/analysis"

// newRunFromTemplates is the one call site for building an AnalysisRun from templates, with Argo's
// NewAnalysisRunFromTemplates semantics (flattened templates, the Rollout's args merged over the
// declared ones, the Rollout's dry-run and retention rules before the templates' own).
var newRunFromTemplates = analysis.NewRunFromTemplates

// resolveTemplateRefs reads the referenced templates and the templates they include, each once.
var resolveTemplateRefs = analysis.ResolveTemplateRefs
