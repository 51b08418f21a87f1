package reports_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canarydrill/canarydrill/reports"
)

// drillReport is a virtual report dressed as a drill's: wall time, time scale, vegeta's load.
func drillReport(t *testing.T) *reports.Report {
	r := report(t, "seed-bad-canary-bake")
	r.TimeScale, r.WallSeconds = 0.25, reports.Secs(20.5)
	l := reports.Load{Requests: 3763, Rate: 200.05, Success: 0.8416,
		Latencies:   reports.Latencies{P50: 0.0215, P90: 0.0625, P99: 0.1434, Max: 0.3237},
		StatusCodes: map[string]int{"200": 3167, "500": 596}, FailedOnCanary: 592}
	r.Load = &l
	w0 := l
	w0.FailedOnCanary, w0.StatusCodes = 0, map[string]int{"200": 500}
	r.Windows = []reports.Window{{At: 0, Load: w0}, {At: 10, Load: l}}
	return r
}

// The drill's fields have the contract's shape in report.json.
func TestDrillFieldsInReportJSON(t *testing.T) {
	b, err := reports.JSON(drillReport(t))
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(b, &doc))
	assert.Equal(t, 0.25, doc["timeScale"])
	assert.Equal(t, 20.5, doc["wallSeconds"])
	ld := doc["load"].(map[string]any)
	for _, k := range []string{"requests", "rate", "success", "latencies", "statusCodes", "failedOnCanary"} {
		assert.Contains(t, ld, k)
	}
	assert.Equal(t, map[string]any{"p50": 0.0215, "p90": 0.0625, "p99": 0.1434, "max": 0.3237}, ld["latencies"])
	assert.Equal(t, map[string]any{"200": 3167.0, "500": 596.0}, ld["statusCodes"])
	ws := doc["windows"].([]any)
	require.Len(t, ws, 2)
	w1 := ws[1].(map[string]any)
	assert.Equal(t, 10.0, w1["at"])
	assert.Equal(t, 3763.0, w1["requests"], "a window has the load's fields inline")

	// A virtual-time report has none of them.
	b, err = reports.JSON(report(t, "seed-bad-canary-bake"))
	require.NoError(t, err)
	for _, k := range []string{"timeScale", "wallSeconds", "load", "windows"} {
		assert.NotContains(t, string(b), `"`+k+`"`)
	}
}

func TestDrillFieldsInEveryFormat(t *testing.T) {
	r := drillReport(t)
	render := func(f string) string {
		var b bytes.Buffer
		require.NoError(t, reports.Render(&b, r, f))
		return b.String()
	}
	text := render(reports.FormatText)
	assert.Contains(t, text, "of scenario time, 20.5s wall (time scale 0.25)")
	assert.Contains(t, text, "vegeta: 3763 requests at 200.1/s, success 84.16%, latency p50 21.5ms p90 62.5ms p99 143.4ms max 323.7ms, 200×3167 500×596; 592 failed on the canary")
	md := render(reports.FormatMarkdown)
	assert.Contains(t, md, "## Load (vegeta)")
	assert.Contains(t, md, "| 0:10 | 3763 | 200.1 | 84.16% |")
	page := render(reports.FormatHTML)
	assert.Contains(t, page, `id="vegeta-errors"`)
	assert.Contains(t, page, `id="vegeta-latency"`)
	assert.NotContains(t, page, "<script")
	junit := render(reports.FormatJUnit)
	assert.True(t, strings.Contains(junit, `time="20.500"`), "a drill's testsuite time is its wall time")
}
