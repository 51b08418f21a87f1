package fakeprom

import (
	"strings"
	"testing"
	"time"

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
