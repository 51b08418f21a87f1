// Package analysis runs AnalysisRuns with Argo Rollouts' semantics, from templates to verdict.
package analysis

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/go-logr/logr"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/record"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
	"github.com/canarydrill/canarydrill/controller/provider"
)

// Reconciler drives AnalysisRuns. It implements reconcile.Reconciler: the simulator calls
// Reconcile directly in virtual time, and a controller-runtime manager calls the same code in a
// cluster. Each call reads the run, decides with the package's pure functions which measurements
// are due, takes them, assesses metrics and run, writes the status once, and asks to be called
// again when the next measurement is due (RequeueAfter; zero when nothing is scheduled).
type Reconciler struct {
	// Client reads runs and Secrets and writes run status.
	Client client.Client
	// Clock is the only source of time; nil means the wall clock.
	Clock clock.PassiveClock
	// Providers builds each metric's provider; nil means a provider.DefaultFactory on Clock and Client.
	Providers provider.Factory
	// Recorder receives Argo's events (run and metric completion); nil records nothing.
	Recorder record.EventRecorder
	// Log is optional.
	Log logr.Logger

	defaultProviders sync.Once
}

var _ reconcile.Reconciler = (*Reconciler)(nil)

// SetupWithManager registers the reconciler for AnalysisRuns with a manager, and has it called
// for a run whenever one of its job metrics' Jobs changes (as Argo's Job informer does), so that
// the waiting measurement resumes.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&v1alpha1.AnalysisRun{}).
		Watches(&batchv1.Job{}, handler.EnqueueRequestsFromMapFunc(jobRunRequests)).
		Named("analysisrun").
		Complete(r)
}

// jobRunRequests names the AnalysisRun a Job measures for, if any.
func jobRunRequests(_ context.Context, obj client.Object) []reconcile.Request {
	job, ok := obj.(*batchv1.Job)
	if !ok {
		return nil
	}
	nn, ok := provider.JobAnalysisRun(job)
	if !ok {
		return nil
	}
	return []reconcile.Request{{NamespacedName: nn}}
}

// maxStatusWrites bounds the attempts to write a status over concurrent writers of the spec.
const maxStatusWrites = 3

// minRequeue keeps a requeue in the future when something is due at once (Argo enqueues it immediately).
const minRequeue = time.Nanosecond

// Reconcile brings one AnalysisRun forward to the clock's now.
func (r *Reconciler) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	log := r.Log.WithValues("namespace", req.Namespace, "analysisrun", req.Name)
	orig := &v1alpha1.AnalysisRun{}
	if err := r.Client.Get(ctx, req.NamespacedName, orig); err != nil {
		return reconcile.Result{}, client.IgnoreNotFound(err)
	}
	if orig.DeletionTimestamp != nil {
		return reconcile.Result{}, nil
	}
	now := r.now()
	if orig.Status.Phase.Completed() {
		return r.expire(ctx, log, orig, now)
	}

	run := orig.DeepCopy()
	var events []event
	next := r.sync(ctx, log, run, now, &events)

	if err := r.writeStatus(ctx, orig, run.Status); err != nil {
		return reconcile.Result{}, err
	}
	if r.Recorder != nil {
		for _, e := range events {
			r.Recorder.Event(run, e.kind, e.reason, e.message)
		}
	}
	if next == nil {
		return reconcile.Result{}, nil
	}
	return reconcile.Result{RequeueAfter: max(next.Sub(now), minRequeue)}, nil
}

func (r *Reconciler) now() time.Time {
	if r.Clock == nil {
		return clock.RealClock{}.Now()
	}
	return r.Clock.Now()
}

func (r *Reconciler) providers() provider.Factory {
	r.defaultProviders.Do(func() {
		if r.Providers == nil {
			r.Providers = &provider.DefaultFactory{Clock: r.Clock, Client: r.Client, Log: r.Log}
		}
	})
	return r.Providers
}

// sync advances the run's status as one Argo reconcile does, then once more when that reconcile
// made the run terminating (a metric just failed while others still run): Argo's own status
// write triggers that second reconcile at once, which ends the run; doing it here keeps the
// run from lingering until the next scheduled measurement when nobody else calls back.
func (r *Reconciler) sync(ctx context.Context, log logr.Logger, run *v1alpha1.AnalysisRun, now time.Time, events *[]event) *time.Time {
	for {
		wasTerminating := IsTerminating(run)
		next, stopped := r.syncOnce(ctx, log, run, now, events)
		if stopped || run.Status.Phase.Completed() || wasTerminating || !IsTerminating(run) {
			return next
		}
	}
}

// syncOnce is Argo's reconcileAnalysisRun for a run that has not completed. It returns the next
// reconcile time, and stopped when the run ended in Error before measuring.
func (r *Reconciler) syncOnce(ctx context.Context, log logr.Logger, run *v1alpha1.AnalysisRun, now time.Time, events *[]event) (next *time.Time, stopped bool) {
	fail := func(format string, err error) (*time.Time, bool) {
		run.Status.Phase = v1alpha1.AnalysisPhaseError
		run.Status.Message = fmt.Sprintf(format, err)
		log.Info("Analysis run failed to start", "message", run.Status.Message)
		*events = append(*events, completionEvent(ReasonPrefixRun, run.Status.Phase, fmt.Sprintf(MessageRunCompleted, run.Status.Phase)))
		return nil, true
	}
	metrics, err := ResolveMetrics(run.Spec.Metrics, run.Spec.Args)
	if err != nil {
		return fail(MessageUnresolvedArgs, err)
	}
	if err := ValidateMetrics(metrics); err != nil {
		return fail(MessageSpecInvalid, err)
	}
	dryRun, err := DryRunMetrics(run.Spec.DryRun, metrics)
	if err != nil {
		return fail(MessageSpecInvalid, err)
	}
	retention, err := RetentionMetrics(run.Spec.MeasurementRetention, metrics)
	if err != nil {
		return fail(MessageSpecInvalid, err)
	}

	tasks := DueTasks(run, metrics, now)
	if err := r.measure(ctx, log, run, tasks, dryRun, now); err != nil {
		return fail(MessageUnresolvedArgs, err)
	}

	phase, message, transitions := AssessRun(run, metrics, dryRun, now)
	for _, t := range transitions {
		log.Info("Metric transitioned", "metric", t.Name, "from", t.From, "to", t.To)
		if t.To.Completed() {
			*events = append(*events, completionEvent(ReasonPrefixMetric, t.To, fmt.Sprintf(MessageMetricCompleted, t.Name, t.To)))
		}
	}
	if phase != run.Status.Phase {
		run.Status.Phase = phase
		run.Status.Message = message
		if phase.Completed() {
			log.Info("Analysis completed", "phase", phase, "message", message)
			*events = append(*events, completionEvent(ReasonPrefixRun, phase, fmt.Sprintf(MessageRunCompleted, phase)))
			if run.Status.CompletedAt == nil {
				run.Status.CompletedAt = metaTime(now)
			}
		}
	}
	r.trimMeasurements(ctx, log, run, metrics, retention)
	return NextReconcileTime(run, metrics, now), false
}

// event is a Kubernetes event to record once the status is written.
type event struct{ kind, reason, message string }

// completionEvent is Argo's event for a run or metric that completed with phase.
func completionEvent(prefix string, phase v1alpha1.AnalysisPhase, message string) event {
	kind := corev1.EventTypeNormal
	if phase == v1alpha1.AnalysisPhaseError || phase == v1alpha1.AnalysisPhaseFailed {
		kind = corev1.EventTypeWarning
	}
	return event{kind: kind, reason: prefix + string(phase), message: message}
}

// measure takes, resumes or terminates the due measurements, concurrently (job measurements in
// turn, after the others), and records the outcomes in task order. Secret arguments are read
// now and their values are kept out of everything recorded.
func (r *Reconciler) measure(ctx context.Context, log logr.Logger, run *v1alpha1.AnalysisRun, tasks []Task, dryRun map[string]bool, now time.Time) error {
	args, secrets, err := r.readSecretArgs(ctx, run.Namespace, run.Spec.Args)
	if err != nil {
		return err
	}
	metrics := make([]v1alpha1.Metric, len(tasks))
	for i, t := range tasks {
		m, err := ResolveMetricArgs(t.Metric, args)
		if err != nil {
			return err
		}
		metrics[i] = *m
	}
	terminating := IsTerminating(run)
	outcomes := make([]Outcome, len(tasks))
	var wg sync.WaitGroup
	for i := range tasks {
		if provider.Type(metrics[i]) == provider.TypeJob {
			continue
		}
		wg.Go(func() {
			outcomes[i] = r.take(ctx, run, tasks[i], metrics[i], terminating, now)
		})
	}
	wg.Wait()
	// Job measurements write to the API (create, delete): one after the other, in metric order,
	// so that a simulation sees the same writes in the same order on every run.
	for i := range tasks {
		if provider.Type(metrics[i]) == provider.TypeJob {
			outcomes[i] = r.take(ctx, run, tasks[i], metrics[i], terminating, now)
		}
	}
	for _, o := range outcomes {
		o.Measurement.Message = redact(o.Measurement.Message, secrets)
		o.Measurement.Metadata = redactValues(o.Measurement.Metadata, secrets)
		o.Metadata = redactValues(o.Metadata, secrets)
		if o.Measurement.Phase == v1alpha1.AnalysisPhaseError {
			log.Info("Measurement had error", "metric", o.Name, "message", o.Measurement.Message)
		}
		RecordMeasurement(&run.Status, o, dryRun[o.Name], now)
	}
	return nil
}

// take runs one task with the metric's provider; a provider that cannot be built makes the
// measurement an Error with the reason.
func (r *Reconciler) take(ctx context.Context, run *v1alpha1.AnalysisRun, t Task, metric v1alpha1.Metric, terminating bool, now time.Time) Outcome {
	o := Outcome{Task: t, Name: metric.Name}
	p, err := r.providers().NewProvider(metric)
	if err != nil {
		m := v1alpha1.Measurement{StartedAt: metaTime(now)}
		if t.Incomplete != nil {
			m = *t.Incomplete
		}
		m.Phase = v1alpha1.AnalysisPhaseError
		m.Message = err.Error()
		o.Measurement = m
		return o
	}
	switch {
	case t.Incomplete == nil:
		o.Measurement = p.Run(ctx, run, metric)
	case terminating:
		o.Measurement = p.Terminate(ctx, run, metric, *t.Incomplete)
		if o.Measurement.Phase == v1alpha1.AnalysisPhaseSuccessful {
			o.Measurement.Message = MessageMetricTerminated
		}
	default:
		o.Measurement = p.Resume(ctx, run, metric, *t.Incomplete)
	}
	o.Metadata = p.Metadata(metric)
	return o
}

// readSecretArgs returns the arguments with every secretKeyRef replaced by the Secret's value,
// and those values (longest first, for redaction).
func (r *Reconciler) readSecretArgs(ctx context.Context, namespace string, args []v1alpha1.Argument) ([]v1alpha1.Argument, []string, error) {
	out := make([]v1alpha1.Argument, len(args))
	found := map[string]bool{}
	for i, a := range args {
		out[i] = a
		if a.ValueFrom == nil || a.ValueFrom.SecretKeyRef == nil {
			continue
		}
		ref := a.ValueFrom.SecretKeyRef
		secret := &corev1.Secret{}
		if err := r.Client.Get(ctx, types.NamespacedName{Namespace: namespace, Name: ref.Name}, secret); err != nil {
			return nil, nil, err
		}
		data, ok := secret.Data[ref.Key]
		if !ok {
			return nil, nil, fmt.Errorf(errSecretKeyMissing, ref.Key, ref.Name)
		}
		v := string(data)
		out[i].Value = &v
		found[v] = true
	}
	secrets := slices.Collect(maps.Keys(found))
	slices.SortFunc(secrets, func(a, b string) int {
		if len(a) != len(b) {
			return len(b) - len(a)
		}
		if a < b {
			return -1
		}
		return 1
	})
	return out, secrets, nil
}

func redactValues(m map[string]string, secrets []string) map[string]string {
	if len(secrets) == 0 || m == nil {
		return m
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = redact(v, secrets)
	}
	return out
}

// trimMeasurements keeps each metric's newest measurements within its retention limit, letting
// the provider collect what it made for the dropped ones first (Argo's garbageCollectMeasurements:
// a metric whose provider cannot be built is left untrimmed; a collection error stops the pass).
func (r *Reconciler) trimMeasurements(ctx context.Context, log logr.Logger, run *v1alpha1.AnalysisRun, metrics []v1alpha1.Metric, retention map[string]v1alpha1.MeasurementRetention) {
	for i := range run.Status.MetricResults {
		result := &run.Status.MetricResults[i]
		limit := RetentionLimit(result.Name, retention)
		n := len(result.Measurements)
		if n <= limit {
			continue
		}
		idx := slices.IndexFunc(metrics, func(m v1alpha1.Metric) bool { return m.Name == result.Name })
		if idx < 0 {
			continue
		}
		p, err := r.providers().NewProvider(metrics[idx])
		if err != nil {
			log.Info("Failed to garbage collect measurements", "metric", result.Name, "error", err.Error())
			continue
		}
		if err := p.GarbageCollect(ctx, run, metrics[idx], limit); err != nil {
			log.Info("Failed to garbage collect measurements", "metric", result.Name, "error", err.Error())
			return
		}
		result.Measurements = slices.Clone(result.Measurements[n-limit:])
	}
}

// writeStatus writes the new status when it differs from the one read. An AnalysisRun has no
// status subresource (Argo's CRD has none), so the status goes with the whole object, guarded by
// its resourceVersion. On a conflict (someone changed the spec or metadata meanwhile, e.g. set
// terminate) it writes the same status over the newer object as long as nobody else changed the
// status, as Argo's merge patch of the status would.
func (r *Reconciler) writeStatus(ctx context.Context, orig *v1alpha1.AnalysisRun, status v1alpha1.AnalysisRunStatus) error {
	if equality.Semantic.DeepEqual(orig.Status, status) {
		return nil
	}
	obj := orig.DeepCopy()
	for attempt := 1; ; attempt++ {
		obj.Status = status
		err := r.Client.Update(ctx, obj)
		if err == nil || !apierrors.IsConflict(err) || attempt == maxStatusWrites {
			return err
		}
		latest := &v1alpha1.AnalysisRun{}
		if getErr := r.Client.Get(ctx, client.ObjectKeyFromObject(orig), latest); getErr != nil {
			return getErr
		}
		if !equality.Semantic.DeepEqual(latest.Status, orig.Status) {
			return err
		}
		obj = latest
	}
}

// expire deletes a completed run once its ttlStrategy says so, and otherwise asks to be called
// back then. Argo checks on its periodic resync; here the deletion happens on time.
func (r *Reconciler) expire(ctx context.Context, log logr.Logger, run *v1alpha1.AnalysisRun, now time.Time) (reconcile.Result, error) {
	at, ok := TTLDeadline(run)
	if !ok {
		return reconcile.Result{}, nil
	}
	if now.Before(at) {
		return reconcile.Result{RequeueAfter: at.Sub(now)}, nil
	}
	log.Info("Deleting analysis run past its TTL")
	return reconcile.Result{}, client.IgnoreNotFound(r.Client.Delete(ctx, run))
}

// TTLDeadline is when a completed run is deleted under its ttlStrategy: secondsAfterSuccess for a
// Successful run, secondsAfterFailure for a Failed one, else secondsAfterCompletion, counted from
// completedAt. As in Argo, whole elapsed seconds must exceed the TTL, so the deadline is one second
// past it. ok is false when the run is not completed or has nothing to go by.
func TTLDeadline(run *v1alpha1.AnalysisRun) (time.Time, bool) {
	ttl := run.Spec.TTLStrategy
	if !run.Status.Phase.Completed() || ttl == nil || run.Status.CompletedAt == nil {
		return time.Time{}, false
	}
	var seconds *int32
	switch {
	case run.Status.Phase == v1alpha1.AnalysisPhaseSuccessful && ttl.SecondsAfterSuccess != nil:
		seconds = ttl.SecondsAfterSuccess
	case run.Status.Phase == v1alpha1.AnalysisPhaseFailed && ttl.SecondsAfterFailure != nil:
		seconds = ttl.SecondsAfterFailure
	default:
		seconds = ttl.SecondsAfterCompletion
	}
	if seconds == nil {
		return time.Time{}, false
	}
	return run.Status.CompletedAt.Add(time.Duration(*seconds+1) * time.Second), true
}
