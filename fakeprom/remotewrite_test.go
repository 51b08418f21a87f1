package fakeprom

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	remoteapi "github.com/prometheus/client_golang/exp/api/remote"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/prompb"
	writev2 "github.com/prometheus/prometheus/prompb/io/prometheus/write/v2"
	"github.com/prometheus/prometheus/promql"
	"github.com/stretchr/testify/require"
)

// rwStart is a 2023 timestamp (ms): the receiver, as Prometheus', refuses
// samples more than 10 minutes ahead of the wall clock.
const rwStart = int64(1_700_000_000_000)

func remoteWriter(t *testing.T, rt http.RoundTripper) *remoteapi.API {
	t.Helper()
	api, err := remoteapi.NewAPI("http://fakeprom", remoteapi.WithAPIHTTPClient(&http.Client{Transport: rt}),
		remoteapi.WithAPIBackoff(remoteapi.BackoffConfig{Min: time.Millisecond, Max: time.Millisecond, MaxRetries: 1}))
	require.NoError(t, err)
	return api
}

// The remote-write receiver is Prometheus' own (storage/remote), fed by
// client_golang's remote-write client: snappy-compressed protobuf, 1.0 and
// 2.0 messages.
func TestRemoteWriteReceiver(t *testing.T) {
	srv := NewServer(NewStore(), WithRemoteWriteReceiver())
	w := remoteWriter(t, srv.RoundTripper())
	ctx := context.Background()

	v1 := &prompb.WriteRequest{Timeseries: []prompb.TimeSeries{{
		Labels:  []prompb.Label{{Name: "__name__", Value: "http_requests_total"}, {Name: "pod", Value: "a"}},
		Samples: []prompb.Sample{{Value: 1, Timestamp: rwStart}, {Value: 11, Timestamp: rwStart + 10_000}},
	}}}
	_, err := w.Write(ctx, remoteapi.WriteV1MessageType, v1)
	require.NoError(t, err)

	st := writev2.NewSymbolTable()
	refs := st.SymbolizeLabels(labels.FromStrings("__name__", "http_requests_total", "pod", "b"), nil)
	v2 := &writev2.Request{Symbols: st.Symbols(), Timeseries: []writev2.TimeSeries{{
		LabelsRefs: refs,
		Samples:    []writev2.Sample{{Value: 2, Timestamp: rwStart}, {Value: 32, Timestamp: rwStart + 10_000}},
	}}}
	stats, err := w.Write(ctx, remoteapi.WriteV2MessageType, v2)
	require.NoError(t, err)
	require.Equal(t, 2, stats.Samples)

	got := vectorOfAt(t, srv, `http_requests_total * 1`, rwStart+10_000)
	require.Equal(t, map[string]float64{`{pod="a"}`: 11, `{pod="b"}`: 32}, got)

	// An out-of-order sample is a 400, not retried, as in Prometheus.
	v1.Timeseries[0].Samples = []prompb.Sample{{Value: 5, Timestamp: rwStart + 5_000}}
	_, err = w.Write(ctx, remoteapi.WriteV1MessageType, v1)
	require.ErrorContains(t, err, "400")
	require.Equal(t, int64(4), srv.Store().Stats().Samples)
}

func TestRemoteWriteReceiverOffByDefault(t *testing.T) {
	srv := NewServer(NewStore())
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	resp, err := http.Post(ts.URL+"/api/v1/write", "application/x-protobuf", strings.NewReader("x"))
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
}

// vectorOfAt is vectorOf at a timestamp in ms.
func vectorOfAt(t *testing.T, srv *Server, q string, tMillis int64) map[string]float64 {
	t.Helper()
	v, _, err := srv.Query(context.Background(), q, time.UnixMilli(tMillis))
	require.NoError(t, err, q)
	out := map[string]float64{}
	for _, s := range v.(promql.Vector) {
		out[s.Metric.String()] = s.F
	}
	return out
}
