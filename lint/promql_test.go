package lint

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSelectsCanary(t *testing.T) {
	cases := []struct {
		query string
		want  bool
	}{
		{`sum(rate(http_requests_total{app="demo"}[1m]))`, false},
		{`sum(rate(http_requests_total{app="demo",rollouts_pod_template_hash="abc"}[1m]))`, true},
		{`sum(rate(http_requests_total{rollouts_pod_template_hash!="abc"}[1m]))`, false},
		{`sum(rate(istio_requests_total{destination_service=~"demo-canary.*"}[1m]))`, true},
		{`sum(rate(nginx_ingress_controller_requests{canary!=""}[1m]))`, true},
		{`sum(rate(http_requests_total{pod=~"demo-dummy-new-hash-.*"}[1m]))`, true},
		{`up`, false},
	}
	for _, tc := range cases {
		t.Run(tc.query, func(t *testing.T) {
			e, err := promParser.ParseExpr(tc.query)
			require.NoError(t, err)
			assert.Equal(t, tc.want, SelectsCanary(e, canaryHashPlaceholder))
		})
	}
}

func TestLongestRange(t *testing.T) {
	e, err := promParser.ParseExpr(`sum(rate(a[1m])) / sum(rate(b[5m])) + max_over_time(c[2m:10s])`)
	require.NoError(t, err)
	assert.Equal(t, 5*time.Minute, LongestRange(e))
	e, err = promParser.ParseExpr(`up`)
	require.NoError(t, err)
	assert.Equal(t, time.Duration(0), LongestRange(e))
}

func TestFmtDuration(t *testing.T) {
	assert.Equal(t, "5m", fmtDuration(5*time.Minute))
	assert.Equal(t, "1m30s", fmtDuration(90*time.Second))
	assert.Equal(t, "2h", fmtDuration(2*time.Hour))
	assert.Equal(t, "30s", fmtDuration(30*time.Second))
}
