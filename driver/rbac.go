package driver

import rbacv1 "k8s.io/api/rbac/v1"

// ClusterRoleName is the name of the controller's ClusterRole in config/rbac.
const ClusterRoleName = "canarydrill-controller"

var (
	readOnly = []string{"get", "list", "watch"}
)

// Rules are every permission the controller uses, each for the code that needs it; they are
// config/rbac/role.yaml (a test keeps the two equal), and the real-API tests run the controller
// with nothing more.
var Rules = []rbacv1.PolicyRule{
	// Rollout reconciler: informer; spec.replicas default and revision annotation (merge patch).
	// Experiment reconciler: reads the Rollout of an experiment step (cached).
	{APIGroups: []string{"argoproj.io"}, Resources: []string{"rollouts"}, Verbs: []string{"get", "list", "watch", "patch"}},
	// Rollout reconciler: the one status write of a reconcile (merge patch).
	{APIGroups: []string{"argoproj.io"}, Resources: []string{"rollouts/status"}, Verbs: []string{"patch"}},
	// Owner references with blockOwnerDeletion, where OwnerReferencesPermissionEnforcement is on.
	{APIGroups: []string{"argoproj.io"}, Resources: []string{"rollouts/finalizers", "experiments/finalizers"}, Verbs: []string{"update"}},
	// Rollout reconciler creates, terminates (patch) and trims runs; Experiment reconciler creates
	// and terminates its runs; AnalysisRun reconciler writes the status with the object (update
	// with the run's resourceVersion: the CRD has no status subresource, as Argo's) and deletes
	// expired runs.
	{APIGroups: []string{"argoproj.io"}, Resources: []string{"analysisruns"}, Verbs: []string{"get", "list", "watch", "create", "update", "patch", "delete"}},
	// Templates are read when a Rollout or Experiment is validated and a run is made.
	{APIGroups: []string{"argoproj.io"}, Resources: []string{"analysistemplates", "clusteranalysistemplates"}, Verbs: readOnly},
	// Rollout reconciler: experiment steps create, terminate (patch) and trim Experiments.
	// Experiment reconciler: its status (merge patch of the object: the CRD has no status
	// subresource, as Argo's).
	{APIGroups: []string{"argoproj.io"}, Resources: []string{"experiments"}, Verbs: []string{"get", "list", "watch", "create", "patch", "delete"}},
	// Rollout reconciler: new ReplicaSet, scaling, annotations and affinity (merge and JSON
	// patches), history limit (delete); Experiment reconciler: template ReplicaSets (create,
	// patch, update with resourceVersion).
	{APIGroups: []string{"apps"}, Resources: []string{"replicasets"}, Verbs: []string{"get", "list", "watch", "create", "update", "patch", "delete"}},
	// Rollout reconciler: spec.workloadRef's Deployment is read (informer) and scaled down (patch).
	{APIGroups: []string{"apps"}, Resources: []string{"deployments"}, Verbs: []string{"get", "list", "watch", "patch"}},
	// Rollout reconciler: stable/canary/active/preview selectors (merge patch); Experiment
	// reconciler: template Services (create, delete).
	{APIGroups: []string{""}, Resources: []string{"services"}, Verbs: []string{"get", "list", "watch", "create", "patch", "delete"}},
	// Rollout reconciler: pods listed by selector (no informer) for restartAt, which deletes
	// them, and for canary/stable metadata, which patches their labels and annotations.
	{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"list", "patch", "delete"}},
	// Nginx router: the stable Ingress is read, the canary Ingress created and patched.
	{APIGroups: []string{"networking.k8s.io"}, Resources: []string{"ingresses"}, Verbs: []string{"get", "list", "watch", "create", "patch"}},
	// Istio and Gateway API routers: route weights and subsets (update with resourceVersion).
	{APIGroups: []string{"networking.istio.io"}, Resources: []string{"virtualservices", "destinationrules"}, Verbs: []string{"get", "list", "watch", "update"}},
	{APIGroups: []string{"gateway.networking.k8s.io"}, Resources: []string{"httproutes"}, Verbs: []string{"get", "list", "watch", "update"}},
	// SMI router: the TrafficSplit.
	{APIGroups: []string{"split.smi-spec.io"}, Resources: []string{"trafficsplits"}, Verbs: []string{"get", "list", "watch", "create", "update"}},
	// Job metric provider: one Job per measurement, deleted when done or trimmed.
	{APIGroups: []string{"batch"}, Resources: []string{"jobs"}, Verbs: []string{"get", "list", "watch", "create", "delete"}},
	// Metric args valueFrom.secretKeyRef: read one at a time, never listed.
	{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get"}},
	// Argo's events on Rollouts, Experiments and AnalysisRuns (core/v1 EventRecorder).
	{APIGroups: []string{""}, Resources: []string{"events"}, Verbs: []string{"create", "patch"}},
	// Leader election.
	{APIGroups: []string{"coordination.k8s.io"}, Resources: []string{"leases"}, Verbs: []string{"get", "create", "update"}},
}

// ClusterRole is the controller's ClusterRole made of Rules.
func ClusterRole() *rbacv1.ClusterRole {
	return &rbacv1.ClusterRole{
		TypeMeta: metaTypeClusterRole,
		ObjectMeta: objectMeta(ClusterRoleName, map[string]string{
			"app.kubernetes.io/name": "canarydrill", "app.kubernetes.io/component": "controller",
		}),
		Rules: Rules,
	}
}
