package fakeprom

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// requirePrometheusEnv, when set to anything, turns a missing Prometheus
// binary from a skip into a failure (make test sets it).
const requirePrometheusEnv = "CANARYDRILL_REQUIRE_PROMETHEUS"

// realProm is the Prometheus installed from Debian (apt-get install
// prometheus): the oracle of the differential test and the benchmarks.
type realProm struct {
	prometheus, promtool string
	version              string // e.g. "2.42.0+ds"
	major                int
}

// findPrometheus returns the installed binaries or skips (fails when
// requirePrometheusEnv is set).
func findPrometheus(t testing.TB) realProm {
	t.Helper()
	var p realProm
	for name, bin := range map[string]*string{"prometheus": &p.prometheus, "promtool": &p.promtool} {
		path, err := exec.LookPath(name)
		if err != nil {
			if os.Getenv(requirePrometheusEnv) != "" {
				t.Fatalf("%s not found (%v) but %s is set: run `make install` (apt-get install prometheus)", name, err, requirePrometheusEnv)
			}
			t.Skipf("%s not found: install Debian's prometheus package (make install) to compare fakeprom with Prometheus; set %s=1 to make this a failure", name, requirePrometheusEnv)
		}
		*bin = path
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, p.prometheus, "--version").CombinedOutput()
	if err != nil {
		t.Fatalf("prometheus --version: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`version (([0-9]+)\.[0-9.]+\S*)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("cannot read the version of %s from %q", p.prometheus, out)
	}
	p.version = string(m[1])
	p.major, _ = strconv.Atoi(string(m[2]))
	return p
}

// backfill writes the blocks of an OpenMetrics file into dir with promtool.
func (p realProm) backfill(t testing.TB, file, dir string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, p.promtool, "tsdb", "create-blocks-from", "openmetrics", "--quiet", file, dir).CombinedOutput()
	if err != nil {
		t.Fatalf("promtool tsdb create-blocks-from openmetrics: %v\n%s", err, out)
	}
}

// start runs Prometheus over the blocks in dataDir on a free loopback port
// and returns its base URL once /-/ready answers. The process is stopped
// (SIGTERM, then SIGKILL) by t.Cleanup, before the test's temporary
// directories are removed, whatever the outcome of the test.
func (p realProm) start(t testing.TB, dataDir string) string {
	t.Helper()
	cfg := filepath.Join(t.TempDir(), "prometheus.yml")
	// No scrape jobs: the head stays empty and every answer comes from the
	// backfilled blocks.
	if err := os.WriteFile(cfg, []byte("global: {}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var lastErr error
	for range 3 { // the free port may be taken between probe and bind
		addr := freePort(t)
		var stderr bytes.Buffer
		ctx, cancel := context.WithCancel(context.Background())
		cmd := exec.CommandContext(ctx, p.prometheus,
			"--config.file="+cfg,
			"--storage.tsdb.path="+dataDir,
			// Keep old backfilled blocks, and do not compact them while the
			// test runs.
			"--storage.tsdb.retention.time=100y",
			"--storage.tsdb.min-block-duration=2h",
			"--storage.tsdb.max-block-duration=2h",
			"--web.listen-address="+addr,
			"--log.level=warn",
		)
		cmd.Stderr = &stderr
		cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
		cmd.WaitDelay = 10 * time.Second
		if err := cmd.Start(); err != nil {
			cancel()
			t.Fatalf("starting prometheus: %v", err)
		}
		exited := make(chan struct{})
		var waitErr error
		go func() { waitErr = cmd.Wait(); close(exited) }()
		stop := func() {
			cancel()
			<-exited
		}
		base := "http://" + addr
		err := waitReady(base, exited, 90*time.Second)
		if err != nil {
			stop()
			err = fmt.Errorf("%w (exit: %v)", err, waitErr)
		}
		if err == nil {
			t.Cleanup(stop)
			return base
		}
		lastErr = fmt.Errorf("%w\n%s", err, stderr.String())
		if !bytes.Contains(stderr.Bytes(), []byte("address already in use")) {
			break
		}
	}
	t.Fatalf("prometheus did not become ready: %v", lastErr)
	return ""
}

// waitReady polls /-/ready until it answers 200, the process exits or the
// time is up.
func waitReady(base string, exited <-chan struct{}, within time.Duration) error {
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return errors.New("prometheus exited")
		default:
		}
		resp, err := client.Get(base + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return errors.New("timed out waiting for /-/ready")
}

func freePort(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
