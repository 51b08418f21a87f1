package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/require"

	"github.com/canarydrill/canarydrill/fakeprom"
)

const demoFile = "../../fakeprom/testdata/demo.om"

// demoEnd is 10 minutes after the start of demo.om; its last scrape lands
// just after it (scrapes are jittered).
var demoEnd = time.Unix(1_700_000_600, 0)

func TestFakepromServe(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out, w := io.Pipe()
	root := newRoot(w, io.Discard)
	root.SetArgs([]string{"fakeprom", "serve", "--listen", "127.0.0.1:0", "--load", demoFile})
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx); w.Close() }()

	line, err := bufio.NewReader(out).ReadString('\n')
	require.NoError(t, err)
	require.Contains(t, line, "(50 series, 1050 samples)")
	addr := strings.Fields(line)[2]
	require.True(t, strings.HasPrefix(addr, "http://127.0.0.1:"), line)

	c, err := api.NewClient(api.Config{Address: addr})
	require.NoError(t, err)
	v, _, _, err := promv1.NewAPI(c).Query(ctx, `count(up)`, demoEnd)
	require.NoError(t, err)
	require.Equal(t, model.SampleValue(2), v.(model.Vector)[0].Value)

	cancel() // as SIGINT or SIGTERM would
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop")
	}
}

func TestFakepromServeBadFile(t *testing.T) {
	var stderr bytes.Buffer
	bad := filepath.Join(t.TempDir(), "bad.om")
	require.NoError(t, os.WriteFile(bad, []byte("up 1\n# EOF\n"), 0o600))
	code := execute([]string{"fakeprom", "serve", "--load", bad}, io.Discard, &stderr)
	require.Equal(t, 2, code)
	require.Contains(t, stderr.String(), bad+": expected timestamp")
}

func TestFakepromImport(t *testing.T) {
	src := fakeprom.NewStore()
	f, err := os.Open(demoFile)
	require.NoError(t, err)
	require.NoError(t, src.LoadOpenMetrics(f))
	f.Close()
	ts := httptest.NewServer(fakeprom.NewServer(src).Handler())
	defer ts.Close()

	outFile := filepath.Join(t.TempDir(), "incident.om")
	var stdout, stderr bytes.Buffer
	code := execute([]string{"fakeprom", "import", "--from", ts.URL, "--match", `up`, "--match", `http_requests_total{status="500"}`,
		"--start", "1700000000", "--end", demoEnd.UTC().Format(time.RFC3339), "--out", outFile}, &stdout, &stderr)
	require.Equal(t, 0, code, stderr.String())
	require.Equal(t, "imported 4 series, 80 samples into "+outFile+"\n", stdout.String())

	got := fakeprom.NewStore()
	f, err = os.Open(outFile)
	require.NoError(t, err)
	defer f.Close()
	require.NoError(t, got.LoadOpenMetrics(f))
	require.Equal(t, fakeprom.StoreStats{Series: 4, Samples: 80}, got.Stats())
}
