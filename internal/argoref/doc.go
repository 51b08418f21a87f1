// Package argoref runs Argo Rollouts' released controller, the reference that canarydrill's
// controller is compared with, on a control plane started by internal/controlplane.
//
// Argo's CRDs and canarydrill's (config/crd) define the same group and kinds
// (argoproj.io/v1alpha1 Rollout, AnalysisRun, AnalysisTemplate, ClusterAnalysisTemplate,
// Experiment), so one control plane serves one set or the other, never both. A control plane
// for conformance installs Argo's (Install here) and runs both controllers on them: Argo's
// schema is the one users' clusters have, and it accepts every field canarydrill's does except
// canarydrill's own extensions (the judge provider, basicAuth in the prometheus and web
// providers), which it prunes. The other real-API tests (test/e2e) install config/crd with
// controlplane.Install. Their subresources are the same: Argo's AnalysisRun and Experiment have
// no status subresource, so their status is written with the object, and config/crd's have none
// either.
package argoref
