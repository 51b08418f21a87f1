package load

import (
	"math"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canarydrill/canarydrill/scenarios"
)

// model is the traffic model's rate at scenario time d (sim/traffic.go), for comparison.
func model(tr scenarios.Traffic, d time.Duration) float64 {
	switch tr.Pattern {
	case "sine":
		return tr.RPS * (1 + tr.Amplitude*math.Sin(2*math.Pi*d.Seconds()/tr.Period.Seconds()))
	case "diurnal":
		phase := 2 * math.Pi * (float64(d%day)/float64(day) - 4.0/24)
		return tr.RPS * (1 - tr.Amplitude*math.Cos(phase))
	}
	return tr.RPS
}

type rater interface{ Rate(time.Duration) float64 }

// The pacers follow the traffic model's curves, in wall time: scale 0.25 sends four times the
// requests per wall second over a period four times shorter.
func TestPacersFollowTheTrafficModel(t *testing.T) {
	const scale = 0.25
	for _, tc := range []struct {
		name   string
		tr     scenarios.Traffic
		offset time.Duration
	}{
		{"constant", scenarios.Traffic{RPS: 50, Pattern: "constant"}, 0},
		{"sine", scenarios.Traffic{RPS: 100, Pattern: "sine", Amplitude: 0.5, Period: scenarios.Duration{Duration: 10 * time.Minute}}, 0},
		{"sine from 7m", scenarios.Traffic{RPS: 100, Pattern: "sine", Amplitude: 0.3, Period: scenarios.Duration{Duration: 10 * time.Minute}}, 7 * time.Minute},
		{"diurnal", scenarios.Traffic{RPS: 80, Pattern: "diurnal", Amplitude: 0.5}, 0},
		{"diurnal from 3h", scenarios.Traffic{RPS: 80, Pattern: "diurnal", Amplitude: 0.5}, 3 * time.Hour},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Pacer(tc.tr, scale, tc.offset)
			require.NoError(t, err)
			for _, d := range []time.Duration{0, time.Minute, 150 * time.Second, time.Hour, 5 * time.Hour} {
				want := model(tc.tr, tc.offset+d) / scale
				got := p.(rater).Rate(time.Duration(float64(d) * scale))
				assert.InDelta(t, want, got, want*0.001+0.01, "at %s", d)
			}
		})
	}
}

func TestPacerRejectsWhatItCannotPace(t *testing.T) {
	_, err := Pacer(scenarios.Traffic{RPS: 0}, 1, 0)
	assert.Error(t, err)
	_, err = Pacer(scenarios.Traffic{RPS: 5, Pattern: "linear"}, 1, 0)
	assert.Error(t, err)
}

// An attack sends its rate, one request in twenty with the testers' header, and sums vegeta's
// figures overall and per window.
func TestAttackCountsOverallAndPerWindow(t *testing.T) {
	var tagged, all atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		all.Add(1)
		if r.Header.Get("X-T") == "1" {
			tagged.Add(1)
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	defer srv.Close()
	zero := time.Now()
	a, err := Start(Options{
		URL: srv.URL, Traffic: scenarios.Traffic{RPS: 100, Pattern: "constant"}, TimeScale: 0.1,
		Zero: zero, Duration: 10 * time.Second, Header: "X-T", Value: "1", Window: 5 * time.Second,
	})
	require.NoError(t, err)
	l, ws := a.Wait() // 1 s of wall time at 1000 requests per second
	assert.InDelta(t, 1000, float64(l.Requests), 60)
	assert.Equal(t, all.Load(), int64(l.Requests))
	assert.Equal(t, int(tagged.Load()), l.StatusCodes["500"])
	assert.InDelta(t, 0.95, l.Success, 0.01)
	assert.InDelta(t, 1000, l.Rate, 100)
	require.GreaterOrEqual(t, len(ws), 2) // vegeta's last tick may fall on the 10 s mark
	assert.Equal(t, 5.0, ws[1].At)
	var sum uint64
	for _, w := range ws {
		sum += w.Requests
	}
	assert.Equal(t, l.Requests, sum)
	sent, failed := a.Live()
	assert.Equal(t, l.Requests, sent)
	assert.Equal(t, uint64(l.StatusCodes["500"]), failed)
}
