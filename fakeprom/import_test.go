package fakeprom

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/stretchr/testify/require"
)

// importSpec is a small recording: 2 services x 2 revisions x 1 pod, 40 m.
var importSpec = genSpec{seed: 7, start: 1_700_000_000_000, duration: 40 * time.Minute, step: 10 * time.Second,
	services: []string{"checkout", "payments"}, pods: 1, faultAt: 20 * time.Minute}

func apiFor(t *testing.T, rt http.RoundTripper) promv1.API {
	t.Helper()
	c, err := api.NewClient(api.Config{Address: "http://prometheus.monitoring:9090", RoundTripper: rt})
	require.NoError(t, err)
	return promv1.NewAPI(c)
}

// Import pulls raw samples exactly: written out and loaded again they are
// the recorded ones, whatever the window size.
func TestImportRaw(t *testing.T) {
	src := NewStore()
	var buf bytes.Buffer
	require.NoError(t, WriteOpenMetrics(&buf, generate(importSpec)))
	require.NoError(t, src.LoadOpenMetrics(&buf))
	papi := apiFor(t, NewServer(src).RoundTripper())

	start, end := time.UnixMilli(importSpec.start), time.UnixMilli(importSpec.start).Add(importSpec.duration+time.Minute)
	for _, window := range []time.Duration{0, 7 * time.Minute, 10 * time.Second} {
		res, err := Import(context.Background(), papi, ImportOptions{
			Match: []string{`{service="checkout"}`, `{__name__=~"kube_.*"}`, `up`}, Start: start, End: end, Window: window,
		})
		require.NoError(t, err)
		require.Empty(t, res.Warnings)
		var want bytes.Buffer
		require.NoError(t, WriteOpenMetrics(&want, seriesMatching(generate(importSpec), func(s Series) bool {
			name := s.Labels.Get("__name__")
			return s.Labels.Get("service") == "checkout" || strings.HasPrefix(name, "kube_") || name == "up"
		})))
		var got bytes.Buffer
		require.NoError(t, WriteOpenMetrics(&got, res.Series))
		require.Equal(t, want.String(), got.String(), "window %v", window)
	}

	// A narrower time range keeps only its samples, both ends included.
	from := time.UnixMilli(importSpec.start).Add(10 * time.Minute)
	res, err := Import(context.Background(), papi, ImportOptions{Match: []string{`up{service="payments"}`}, Start: from, End: from.Add(time.Minute)})
	require.NoError(t, err)
	require.Len(t, res.Series, 2)
	for _, s := range res.Series {
		require.Len(t, s.Samples, 6)
		require.GreaterOrEqual(t, s.Samples[0].T, from.UnixMilli())
	}
}

func TestImportResampled(t *testing.T) {
	src := NewStore()
	var buf bytes.Buffer
	require.NoError(t, WriteOpenMetrics(&buf, generate(importSpec)))
	require.NoError(t, src.LoadOpenMetrics(&buf))
	start := time.UnixMilli(importSpec.start).Add(time.Minute)
	res, err := Import(context.Background(), apiFor(t, NewServer(src).RoundTripper()), ImportOptions{
		Match: []string{`up`}, Start: start, End: start.Add(10 * time.Minute), Step: 30 * time.Second,
	})
	require.NoError(t, err)
	require.Len(t, res.Series, 4)
	for _, s := range res.Series {
		require.Len(t, s.Samples, 21)
		require.Equal(t, start.UnixMilli(), s.Samples[0].T)
	}
}

func TestImportErrors(t *testing.T) {
	papi := apiFor(t, NewServer(NewStore()).RoundTripper())
	ctx := context.Background()
	_, err := Import(ctx, papi, ImportOptions{})
	require.ErrorContains(t, err, "no series selector")
	_, err = Import(ctx, papi, ImportOptions{Match: []string{"rate(x[5m])"}, End: time.Unix(60, 0)})
	require.ErrorContains(t, err, "selector")
	res, err := Import(ctx, papi, ImportOptions{Match: []string{"nothing"}, End: time.Unix(60, 0)})
	require.NoError(t, err)
	require.Empty(t, res.Series)
}

func seriesMatching(all []Series, keep func(Series) bool) []Series {
	var out []Series
	for _, s := range all {
		if keep(s) {
			out = append(out, s)
		}
	}
	return out
}
