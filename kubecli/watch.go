package kubecli

import (
	"bytes"
	"context"
	"io"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// WatchOptions configure Watch.
type WatchOptions struct {
	// Poll is how often the objects are read; 0 means 1s, as the plugin refreshes.
	Poll time.Duration
	// Clear is written before each new frame (an ANSI clear-screen on a terminal; empty
	// separates frames with a blank line).
	Clear string
	// Now is the clock for ages; nil means time.Now.
	Now func() time.Time
}

// Watch writes the `get` view of the Rollout whenever it changes, until ctx ends.
func Watch(ctx context.Context, c client.Reader, key types.NamespacedName, w io.Writer, o WatchOptions) error {
	if o.Poll == 0 {
		o.Poll = time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	var last []byte
	for frame := 0; ; frame++ {
		info, err := Load(ctx, c, key)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		var buf bytes.Buffer
		PrintRollout(&buf, info, o.Now())
		if !bytes.Equal(buf.Bytes(), last) {
			switch {
			case o.Clear != "":
				io.WriteString(w, o.Clear)
			case last != nil:
				io.WriteString(w, "\n")
			}
			if _, err := w.Write(buf.Bytes()); err != nil {
				return err
			}
			last = buf.Bytes()
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(o.Poll):
		}
	}
}
