package kubecli

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/canarydrill/canarydrill/controller/ops"
)

// Each verb performs controller/ops' patch and returns the line the plugin prints.

// Promote releases a pause or skips the current step; full skips every step (and lifts an abort).
func Promote(ctx context.Context, c client.Client, key types.NamespacedName, full bool) (string, error) {
	if err := ops.Promote(ctx, c, key, ops.PromoteOptions{Full: full}); err != nil {
		return "", err
	}
	if full {
		return fmt.Sprintf("rollout '%s' fully promoted", key.Name), nil
	}
	return fmt.Sprintf("rollout '%s' promoted", key.Name), nil
}

// Abort sends all traffic back to the stable ReplicaSet and stops the update.
func Abort(ctx context.Context, c client.Client, key types.NamespacedName) (string, error) {
	if err := ops.Abort(ctx, c, key); err != nil {
		return "", err
	}
	return fmt.Sprintf("rollout '%s' aborted", key.Name), nil
}

// Retry starts an aborted update again from its first step.
func Retry(ctx context.Context, c client.Client, key types.NamespacedName) (string, error) {
	if err := ops.Retry(ctx, c, key); err != nil {
		return "", err
	}
	return fmt.Sprintf("rollout '%s' retried", key.Name), nil
}

// Pause sets spec.paused.
func Pause(ctx context.Context, c client.Client, key types.NamespacedName) (string, error) {
	if err := ops.Pause(ctx, c, key); err != nil {
		return "", err
	}
	return fmt.Sprintf("rollout '%s' paused", key.Name), nil
}

// Resume clears spec.paused.
func Resume(ctx context.Context, c client.Client, key types.NamespacedName) (string, error) {
	if err := ops.Resume(ctx, c, key); err != nil {
		return "", err
	}
	return fmt.Sprintf("rollout '%s' resumed", key.Name), nil
}

// Restart restarts every pod of the Rollout created before now+in.
func Restart(ctx context.Context, c client.Client, key types.NamespacedName, now time.Time, in time.Duration) (string, error) {
	if err := ops.Restart(ctx, c, key, now.Add(in)); err != nil {
		return "", err
	}
	return fmt.Sprintf("rollout '%s' restarts in %s", key.Name, in), nil
}

// SetImage sets the image of container ("*" for all) in the Rollout's pod template.
func SetImage(ctx context.Context, c client.Client, key types.NamespacedName, container, image string) (string, error) {
	if err := ops.SetImage(ctx, c, key, container, image); err != nil {
		return "", err
	}
	return fmt.Sprintf("rollout \"%s\" image updated", key.Name), nil
}

// Undo puts back the pod template of toRevision (0: the previous revision).
func Undo(ctx context.Context, c client.Client, key types.NamespacedName, toRevision int64) (string, error) {
	return ops.Undo(ctx, c, key, toRevision)
}
