package rollout

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/go-logr/logr"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

// rolloutContext is everything one reconcile knows about a Rollout (Argo's rolloutContext): what
// was read from the API, what was decided so far, and the plan of writes that apply carries out.
type rolloutContext struct {
	r   *Reconciler
	ctx context.Context

	// ro is the Rollout as Argo's c.rollout: conditions set early in the reconcile (pause/resume,
	// new ReplicaSet) and the revision annotation are folded into it, as Argo's intermediate writes
	// fold them into c.rollout. Slices in ro.Status are replaced, never written in place.
	ro *v1alpha1.Rollout
	// origStatus is the status as read; the one status write at the end is computed against it.
	origStatus v1alpha1.RolloutStatus
	now        time.Time
	metaNow    metav1.Time

	// podHash is the desired pod-template hash (Argo's currentPodHash before a ReplicaSet exists).
	podHash  string
	stepHash string
	// selector is spec.selector as status.selector shows it.
	selector string
	// refsValid is true when the templates and router objects the spec names were checked before.
	refsValid bool
	// specErr is the first problem ValidateRollout finds in the spec.
	specErr *field.Error

	allRSs   []*appsv1.ReplicaSet
	newRS    *appsv1.ReplicaSet
	stableRS *appsv1.ReplicaSet
	olderRSs []*appsv1.ReplicaSet
	otherRSs []*appsv1.ReplicaSet

	currentArs currentRuns
	otherArs   []*v1alpha1.AnalysisRun

	currentEx *v1alpha1.Experiment
	otherExs  []*v1alpha1.Experiment

	stableSvc  *corev1.Service
	canarySvc  *corev1.Service
	activeSvc  *corev1.Service
	previewSvc *corev1.Service

	// workload is the Deployment of spec.workloadRef, whose template the Rollout runs.
	workload *appsv1.Deployment

	routers      []TrafficRouter
	routersBuilt bool
	routersErr   error

	newStatus v1alpha1.RolloutStatus
	pause     pauseContext
	plan      plan
}

// currentRuns are the runs named in the Rollout's status.
type currentRuns struct {
	step          *v1alpha1.AnalysisRun
	background    *v1alpha1.AnalysisRun
	prePromotion  *v1alpha1.AnalysisRun
	postPromotion *v1alpha1.AnalysisRun
}

// all lists the runs that are set.
func (r currentRuns) all() []*v1alpha1.AnalysisRun {
	var out []*v1alpha1.AnalysisRun
	for _, ar := range []*v1alpha1.AnalysisRun{r.step, r.background, r.prePromotion, r.postPromotion} {
		if ar != nil {
			out = append(out, ar)
		}
	}
	return out
}

// gather reads the Rollout's ReplicaSets, AnalysisRuns, Experiments and Services: one List of each
// owned kind, filtered by controller reference, and a Get per referenced Service.
func (r *Reconciler) gather(ctx context.Context, ro *v1alpha1.Rollout, workload *appsv1.Deployment) (*rolloutContext, error) {
	now := r.Clock.Now()
	c := &rolloutContext{
		r:          r,
		ctx:        ctx,
		ro:         ro,
		origStatus: ro.Status,
		now:        now,
		// The API keeps timestamps to the second; deciding with the same precision keeps a
		// reconcile's in-memory view equal to what the next reconcile reads back.
		metaNow:  metav1.NewTime(now.Truncate(time.Second)),
		workload: workload,
	}
	c.pause.ro = ro
	c.pause.now = c.metaNow

	listOpts := r.ownedListOptions(ro)
	var rsList appsv1.ReplicaSetList
	if err := r.Client.List(ctx, &rsList, listOpts...); err != nil {
		return nil, err
	}
	for i := range rsList.Items {
		if ownedBy(&rsList.Items[i].ObjectMeta, ro) {
			c.allRSs = append(c.allRSs, &rsList.Items[i])
		}
	}
	sortByCreation(c.allRSs)

	var arList v1alpha1.AnalysisRunList
	if err := r.Client.List(ctx, &arList, listOpts...); err != nil {
		return nil, err
	}
	var ars []*v1alpha1.AnalysisRun
	for i := range arList.Items {
		if ownedBy(&arList.Items[i].ObjectMeta, ro) {
			ars = append(ars, &arList.Items[i])
		}
	}
	slices.SortFunc(ars, func(a, b *v1alpha1.AnalysisRun) int { return strings.Compare(a.Name, b.Name) })
	c.currentArs, c.otherArs = splitCurrentRuns(ars, ro)

	var exList v1alpha1.ExperimentList
	if err := r.Client.List(ctx, &exList, listOpts...); err != nil {
		return nil, err
	}
	for i := range exList.Items {
		ex := &exList.Items[i]
		if !ownedBy(&ex.ObjectMeta, ro) {
			continue
		}
		if ex.Name == ro.Status.Canary.CurrentExperiment {
			c.currentEx = ex
		} else {
			c.otherExs = append(c.otherExs, ex)
		}
	}

	var err error
	if cs := ro.Spec.Strategy.Canary; cs != nil {
		if c.stableSvc, err = r.getService(ctx, ro.Namespace, cs.StableService); err != nil {
			return nil, err
		}
		if c.canarySvc, err = r.getService(ctx, ro.Namespace, cs.CanaryService); err != nil {
			return nil, err
		}
	}
	if bg := ro.Spec.Strategy.BlueGreen; bg != nil {
		if c.activeSvc, err = r.getService(ctx, ro.Namespace, bg.ActiveService); err != nil {
			return nil, err
		}
		if c.previewSvc, err = r.getService(ctx, ro.Namespace, bg.PreviewService); err != nil {
			return nil, err
		}
	}

	key := ro.ResourceVersion
	if workload != nil {
		// The template comes from the Deployment: its version is part of what the hashes depend on.
		key += "/" + workload.ResourceVersion
	}
	d := r.hashes.derive(ro, key)
	c.podHash, c.stepHash, c.selector, c.refsValid, c.specErr = d.podHash, d.stepHash, d.selector, d.refsValid, d.specErr
	c.classifyReplicaSets()
	return c, nil
}

// ownedListOptions lists the candidates for what ro owns: its namespace, narrowed by the owner
// index when there is one. Either way gather keeps only the objects whose controller reference is
// ro (the index also holds non-controller owner references), so both give the same objects.
func (r *Reconciler) ownedListOptions(ro *v1alpha1.Rollout) []client.ListOption {
	opts := []client.ListOption{client.InNamespace(ro.Namespace), client.UnsafeDisableDeepCopy}
	if r.OwnerIndex != "" {
		// client.MatchingFields{r.OwnerIndex: uid}, with its selector built once for all three
		// lists rather than per List.
		sel := fields.OneTermEqualSelector(r.OwnerIndex, string(ro.UID))
		opts = append(opts, client.MatchingFieldsSelector{Selector: sel})
	}
	return opts
}

// getService returns the named Service, nil when name is empty or the Service does not exist.
func (r *Reconciler) getService(ctx context.Context, namespace, name string) (*corev1.Service, error) {
	if name == "" {
		return nil, nil
	}
	svc := &corev1.Service{}
	err := r.Client.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, svc)
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return svc, nil
}

func ownedBy(meta *metav1.ObjectMeta, ro *v1alpha1.Rollout) bool {
	for i := range meta.OwnerReferences {
		ref := &meta.OwnerReferences[i]
		if ref.Controller != nil && *ref.Controller {
			return ref.UID == ro.UID
		}
	}
	return false
}

// logger is the reconciler's logger with the Rollout's namespace and name.
func (c *rolloutContext) logger() logr.Logger {
	return c.r.Log.WithValues("namespace", c.ro.Namespace, "rollout", c.ro.Name)
}

// sortByCreation orders ReplicaSets oldest first, by name among equals (the controller utils order).
func sortByCreation(rss []*appsv1.ReplicaSet) {
	slices.SortFunc(rss, func(a, b *appsv1.ReplicaSet) int {
		if c := a.CreationTimestamp.Time.Compare(b.CreationTimestamp.Time); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
}

// classifyReplicaSets finds the new ReplicaSet (by pod-template hash), the stable one (by
// status.stableRS) and the others, as Argo's newRolloutContext does.
func (c *rolloutContext) classifyReplicaSets() {
	c.newRS = nil
	for _, rs := range c.allRSs {
		if rs.Labels[v1alpha1.DefaultRolloutUniqueLabelKey] == c.podHash {
			c.newRS = rs
			break
		}
	}
	c.olderRSs = c.olderRSs[:0]
	for _, rs := range c.allRSs {
		if rs != c.newRS {
			c.olderRSs = append(c.olderRSs, rs)
		}
	}
	c.stableRS = nil
	if h := c.ro.Status.StableRS; h != "" {
		if c.newRS != nil && podHashOf(c.newRS) == h {
			c.stableRS = c.newRS
		} else {
			for _, rs := range c.allRSs {
				if podHashOf(rs) == h {
					c.stableRS = rs
					break
				}
			}
		}
	}
	c.otherRSs = c.otherRSs[:0]
	for _, rs := range c.allRSs {
		if (c.stableRS == nil || rs.Name != c.stableRS.Name) && (c.newRS == nil || rs.Name != c.newRS.Name) {
			c.otherRSs = append(c.otherRSs, rs)
		}
	}
}

func podHashOf(rs *appsv1.ReplicaSet) string {
	if rs == nil {
		return ""
	}
	return rs.Labels[v1alpha1.DefaultRolloutUniqueLabelKey]
}

// splitCurrentRuns separates the runs named in the Rollout's status from the others.
func splitCurrentRuns(ars []*v1alpha1.AnalysisRun, ro *v1alpha1.Rollout) (currentRuns, []*v1alpha1.AnalysisRun) {
	var cur currentRuns
	var others []*v1alpha1.AnalysisRun
	name := func(s *v1alpha1.RolloutAnalysisRunStatus) string {
		if s == nil {
			return ""
		}
		return s.Name
	}
	stepName, bgName := name(ro.Status.Canary.CurrentStepAnalysisRunStatus), name(ro.Status.Canary.CurrentBackgroundAnalysisRunStatus)
	preName, postName := name(ro.Status.BlueGreen.PrePromotionAnalysisRunStatus), name(ro.Status.BlueGreen.PostPromotionAnalysisRunStatus)
	for _, ar := range ars {
		switch ar.Name {
		case stepName:
			cur.step = ar
		case bgName:
			cur.background = ar
		case preName:
			cur.prePromotion = ar
		case postName:
			cur.postPromotion = ar
		default:
			others = append(others, ar)
		}
	}
	return cur, others
}
