package kubecli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

// ErrTimeout is returned by Status when the watch ends before the Rollout is Healthy or Degraded.
var ErrTimeout = errors.New("Rollout status watch exceeded timeout") //lint:ignore ST1005 the plugin's wording

// DegradedError is returned by Status for a Degraded Rollout.
type DegradedError struct{ Message string }

func (e DegradedError) Error() string {
	return "The rollout is in a degraded state with message: " + e.Message
}

// StatusOptions are the flags of `status`.
type StatusOptions struct {
	// Watch waits until the Rollout is Healthy or Degraded, writing each new status line.
	Watch bool
	// Timeout ends the watch; 0 waits until ctx ends.
	Timeout time.Duration
	// Poll is how often the Rollout is read while watching; 0 means 500ms.
	Poll time.Duration
}

// Status writes the Rollout's status as `kubectl argo rollouts status` does and returns nil when
// it is Healthy (or, without Watch, not Degraded), a DegradedError when it is Degraded, and
// ErrTimeout when the watch ended first.
func Status(ctx context.Context, c client.Reader, key types.NamespacedName, w io.Writer, o StatusOptions) (string, error) {
	poll := o.Poll
	if poll == 0 {
		poll = 500 * time.Millisecond
	}
	if o.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.Timeout)
		defer cancel()
	}
	var last string
	for {
		ro := &v1alpha1.Rollout{}
		if err := c.Get(ctx, key, ro); err != nil {
			if ctx.Err() != nil && o.Watch {
				return last, ErrTimeout
			}
			return "", err
		}
		phase, msg := Phase(ro)
		done := phase == string(v1alpha1.RolloutPhaseHealthy) || phase == string(v1alpha1.RolloutPhaseDegraded)
		line := phase
		if msg != "" && (o.Watch || !done) {
			line = fmt.Sprintf("%s - %s", phase, msg)
		}
		if line != last {
			fmt.Fprintln(w, line)
			last = line
		}
		if phase == string(v1alpha1.RolloutPhaseDegraded) {
			return phase, DegradedError{Message: msg}
		}
		if done || !o.Watch {
			return phase, nil
		}
		select {
		case <-ctx.Done():
			return phase, ErrTimeout
		case <-time.After(poll):
		}
	}
}
