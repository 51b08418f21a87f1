package fakeprom

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/tsdb/chunkenc"
	"github.com/stretchr/testify/require"
)

// diffLeNormalised: Prometheus 3's parser rewrites le (histograms) and
// quantile (summaries) values to OpenMetrics' float form.
const diffLeNormalised = "Prometheus 3.0 normalises le and quantile label values of typed histograms and summaries (le=\"1\" becomes le=\"1.0\")"

// omCase is an OpenMetrics file that LoadOpenMetrics must accept or reject
// as promtool does, keeping the same samples.
type omCase struct {
	name    string
	text    string
	differs string // a named difference from promtool 2.x
}

func omCases() []omCase {
	// lines returns n in-order samples of one series, then extra.
	lines := func(n int, extra string) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "m{i=\"%d\"} %d %d\n", i%3, i, 100+i)
		}
		return b.String() + extra + "# EOF\n"
	}
	return []omCase{
		{name: "typed families", text: "# HELP http_requests Requests.\n# TYPE http_requests counter\nhttp_requests_total{code=\"200\"} 1 10\nhttp_requests_total{code=\"200\"} 5 20.5\n# TYPE mem gauge\n# UNIT mem bytes\nmem_bytes 1e9 10\n# EOF\n"},
		{name: "no EOF", text: "a 1 10\n"},
		{name: "no timestamp", text: "a 1 10\na 2\n# EOF\n"},
		{name: "garbage in the middle", text: "a 1 10\nthis is not a sample\na 2 20\n# EOF\n"},
		{name: "out of order in one commit", text: "a 1 10\na 2 5\na 3 20\n# EOF\n"},
		{name: "conflicting duplicate in one commit", text: "a 1 10\na 2 10\n# EOF\n"},
		{name: "exact duplicate", text: "a 1 10\na 1 10\na 2 20\n# EOF\n"},
		{name: "out of order at the 5000th sample", text: lines(4999, "m{i=\"0\"} 1 50\n")},
		{name: "out of order at the 5001st sample", text: lines(5000, "m{i=\"0\"} 1 50\n")},
		{name: "out of order across blocks", text: "a 3 10800\na 1 3600\na 2 3610\n# EOF\n"},
		{name: "series interleaved", text: "a 1 20\nb 1 10\na 2 30\nb 2 15\n# EOF\n"},
		{name: "empty label value", text: "a{x=\"\",y=\"1\"} 1 10\na{y=\"1\"} 2 20\n# EOF\n"},
		{name: "escapes", text: "a{path=\"/a\\\"b\\\\c\\nd\"} 1 10\n# EOF\n"},
		{name: "special values", text: "a{v=\"nan\"} NaN 10\na{v=\"inf\"} +Inf 10\na{v=\"-inf\"} -Inf 10\n# EOF\n"},
		{name: "fractional milliseconds", text: "a 1 10.0005\na 2 10.0019\n# EOF\n"},
		{name: "exemplar", text: "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 3 10 # {trace_id=\"abc\"} 0.5 9\nh_count 3 10\nh_sum 1.5 10\n# EOF\n"},
		{name: "created series", text: "# TYPE c counter\nc_total 1 10\nc_created 5 10\n# EOF\n"},
		{name: "untyped le", text: "h_bucket{le=\"1\"} 1 10\n# EOF\n"},
		{name: "typed le", text: "# TYPE h histogram\nh_bucket{le=\"1\"} 1 10\nh_bucket{le=\"+Inf\"} 1 10\n# EOF\n", differs: diffLeNormalised},
		{name: "UTF-8 name", text: "{\"my.metric\"} 1 10\n# EOF\n", differs: diffUTF8Names},
		{name: "empty file", text: "# EOF\n"},
	}
}

// TestLoadOpenMetricsMatchesPromtool loads each file with promtool (and
// reads the blocks back with promtool tsdb dump) and with LoadOpenMetrics:
// both must accept or reject it and keep the same samples.
func TestLoadOpenMetricsMatchesPromtool(t *testing.T) {
	prom := findPrometheus(t)
	for _, c := range omCases() {
		t.Run(c.name, func(t *testing.T) {
			wantErr, want := promtoolLoad(t, prom, c.text)
			s := NewStore()
			gotErr := s.LoadOpenMetrics(strings.NewReader(c.text))
			var got []string
			if gotErr == nil {
				got = dumpStore(t, s)
			} else {
				require.Zero(t, s.Stats().Series, "a rejected file must leave the store untouched")
			}
			var d string
			switch {
			case (wantErr == "") != (gotErr == nil):
				d = fmt.Sprintf("promtool error %q, LoadOpenMetrics error %v", wantErr, gotErr)
			case !slices.Equal(want, got):
				d = fmt.Sprintf("promtool kept\n  %s\nLoadOpenMetrics kept\n  %s", strings.Join(want, "\n  "), strings.Join(got, "\n  "))
			}
			switch {
			case c.differs == "" || prom.major >= 3:
				if d != "" {
					t.Error(d)
				}
			case d == "":
				t.Errorf("expected the documented difference (%s), but the results agree", c.differs)
			default:
				t.Logf("known difference from promtool %s: %s\n%s", prom.version, c.differs, d)
			}
		})
	}
}

// promtoolLoad backfills text and dumps the blocks: the error output of a
// failed backfill, or the samples as "labels value timestamp" lines.
func promtoolLoad(t *testing.T, prom realProm, text string) (string, []string) {
	t.Helper()
	dir := t.TempDir()
	file := filepath.Join(dir, "in.om")
	require.NoError(t, os.WriteFile(file, []byte(text), 0o600))
	blocks := filepath.Join(dir, "tsdb")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, prom.promtool, "tsdb", "create-blocks-from", "openmetrics", "--quiet", file, blocks).CombinedOutput()
	if err != nil {
		return strings.TrimSpace(string(out)) + " (" + err.Error() + ")", nil
	}
	// promtool 2.42's dump opens the WAL directory, which a backfill does not create.
	require.NoError(t, os.MkdirAll(filepath.Join(blocks, "wal"), 0o700))
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, prom.promtool, "tsdb", "dump", blocks)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Run(), stderr.String())
	var lines []string
	for line := range strings.Lines(stdout.String()) {
		// {labels} value timestamp; values re-rendered for comparison.
		i := strings.LastIndex(line, "} ")
		f := strings.Fields(line[i+2:])
		require.Len(t, f, 2, line)
		v, err := strconv.ParseFloat(f[0], 64)
		require.NoError(t, err, line)
		lines = append(lines, sampleLine(line[:i+1], v, f[1]))
	}
	slices.Sort(lines)
	return "", lines
}

func dumpStore(t *testing.T, s *Store) []string {
	t.Helper()
	q, err := s.Querier(-1<<62, 1<<62)
	require.NoError(t, err)
	ss := q.Select(context.Background(), true, nil, labels.MustNewMatcher(labels.MatchRegexp, "__name__", ".*"))
	var lines []string
	var it chunkenc.Iterator
	for ss.Next() {
		series := ss.At()
		it = series.Iterator(it)
		for it.Next() == chunkenc.ValFloat {
			ts, v := it.At()
			lines = append(lines, sampleLine(series.Labels().String(), v, strconv.FormatInt(ts, 10)))
		}
	}
	require.NoError(t, ss.Err())
	slices.Sort(lines)
	return lines
}

func sampleLine(lset string, v float64, ts string) string {
	return lset + " " + strconv.FormatFloat(v, 'g', -1, 64) + " " + ts
}
