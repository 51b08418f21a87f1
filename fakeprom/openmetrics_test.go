package fakeprom

import (
	"bytes"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/stretchr/testify/require"
)

func TestLoadOpenMetrics(t *testing.T) {
	s := NewStore()
	err := s.LoadOpenMetrics(strings.NewReader(`# HELP http_requests Requests.
# TYPE http_requests counter
http_requests_total{pod="a",status="200"} 0 0
http_requests_total{pod="a",status="200"} 90 10
http_requests_total{pod="a",status="200"} 180 20
http_requests_total{pod="a",status="500"} 0 0
http_requests_total{pod="a",status="500"} 10 10
http_requests_total{pod="a",status="500"} 20 20
# TYPE up gauge
up{pod="a"} 1 20.5
# EOF
`))
	require.NoError(t, err)
	require.Equal(t, StoreStats{Series: 3, Samples: 7}, s.Stats())

	srv := NewServer(s)
	got := vectorOf(t, srv, `sum(rate(http_requests_total{status!~"5.."}[20s])) / sum(rate(http_requests_total[20s]))`, at(20*time.Second))
	require.InDelta(t, 0.9, got["{}"], 1e-9)
	got = vectorOf(t, srv, `timestamp(up)`, at(time.Minute))
	require.Equal(t, map[string]float64{`{pod="a"}`: 20.5}, got)

	err = NewStore().LoadOpenMetrics(strings.NewReader("up 1\n# EOF\n"))
	require.ErrorContains(t, err, "expected timestamp")
	err = NewStore().LoadOpenMetrics(strings.NewReader("up 1 1\n"))
	require.ErrorContains(t, err, "parsing OpenMetrics")
}

// A recording replays at another time: every timestamp moves by the shift.
func TestLoadOpenMetricsShifted(t *testing.T) {
	s := NewStore()
	require.NoError(t, s.LoadOpenMetricsShifted(strings.NewReader("up{pod=\"a\"} 1 1700000000\nup{pod=\"a\"} 0 1700000010.5\n# EOF\n"),
		-1_700_000_000*time.Second+time.Minute))
	require.Equal(t, map[string]float64{`{pod="a"}`: 70.5}, vectorOf(t, NewServer(s), `timestamp(up)`, at(2*time.Minute)))
	require.Equal(t, map[string]float64{`{pod="a"}`: 60}, vectorOf(t, NewServer(s), `timestamp(up)`, at(time.Minute+5*time.Second)))
}

// WriteOpenMetrics and LoadOpenMetrics round-trip exactly: every
// millisecond timestamp (the parser truncates seconds*1000), special
// values, and label values that need escaping.
func TestOpenMetricsRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	odd := Series{Labels: labels.FromStrings("__name__", "odd", "path", "/a\"b\\c\nd", "e", "")}
	var ts int64 = 1_699_999_000_000
	for range 5000 {
		ts += 1 + rng.Int64N(20_000)
		odd.Samples = append(odd.Samples, Sample{ts, rng.NormFloat64() * 1e6})
	}
	special := Series{Labels: labels.FromStrings("__name__", "special"), Samples: []Sample{
		{-1_500, 1}, {-1, 2}, {0, math.Inf(1)}, {1, math.Inf(-1)}, {999, math.NaN()}, {1000, 5e-324}, {1001, math.MaxFloat64},
	}}
	var buf bytes.Buffer
	require.NoError(t, WriteOpenMetrics(&buf, []Series{odd, special}))
	s := NewStore()
	require.NoError(t, s.LoadOpenMetrics(&buf))
	got := samplesOf(t, s, math.MinInt64, math.MaxInt64, labels.MustNewMatcher(labels.MatchRegexp, "__name__", ".+"))
	for _, want := range []Series{odd, special} {
		g := got[want.Labels.WithoutEmpty().String()]
		require.Len(t, g, len(want.Samples), want.Labels.String())
		for i, smp := range want.Samples {
			require.Equal(t, smp.T, g[i].T)
			require.Equal(t, math.Float64bits(smp.V), math.Float64bits(g[i].V), "%v", smp)
		}
	}
}
