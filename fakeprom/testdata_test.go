package fakeprom

import (
	"bytes"
	"flag"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the generated files under testdata")

// demoSpec is testdata/demo.om: the seed's series for one stable and one
// canary pod of "demo" over 10 minutes at 30 s, the canary failing from 5 m
// (its OOM kill lands at 22 m, after the end).
var demoSpec = genSpec{seed: 1, start: 1_700_000_000_000, duration: 10 * time.Minute, step: 30 * time.Second,
	services: []string{"demo"}, pods: 1, faultAt: 5 * time.Minute}

// TestDemoFile keeps testdata/demo.om, the example file of the docs and the
// CLI tests, equal to what the generator writes (go test -run TestDemoFile
// -update rewrites it), and checks that it loads.
func TestDemoFile(t *testing.T) {
	var want bytes.Buffer
	require.NoError(t, WriteOpenMetrics(&want, generate(demoSpec)))
	if *update {
		require.NoError(t, os.WriteFile("testdata/demo.om", want.Bytes(), 0o644))
	}
	got, err := os.ReadFile("testdata/demo.om")
	require.NoError(t, err)
	require.Equal(t, want.String(), string(got), "testdata/demo.om is stale: go test ./fakeprom -run TestDemoFile -update")

	s := NewStore()
	require.NoError(t, s.LoadOpenMetrics(bytes.NewReader(got)))
	require.Equal(t, StoreStats{Series: 50, Samples: 50 * 21}, s.Stats())
	rate := vectorOfAt(t, NewServer(s), `sum(rate(http_requests_total{service="demo",status!~"5.."}[5m])) / sum(rate(http_requests_total{service="demo"}[5m]))`, demoSpec.start+10*60_000)
	require.Len(t, rate, 1)
	require.InDelta(t, 0.95, rate["{}"], 0.05)
}
