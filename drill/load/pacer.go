package load

import (
	"fmt"
	"math"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/canarydrill/canarydrill/scenarios"
)

// Scenario traffic patterns (scenarios' traffic.pattern).
const (
	patternConstant = "constant"
	patternSine     = "sine"
	patternDiurnal  = "diurnal"
)

// defaultSinePeriod and defaultDiurnalAmplitude are the traffic model's defaults.
const (
	defaultSinePeriod       = time.Hour
	defaultDiurnalAmplitude = 0.5
	day                     = 24 * time.Hour
)

// maxAmplitude keeps a wave's trough above zero: vegeta's sine pacer needs an amplitude below
// its mean (the traffic model clips at zero instead).
const maxAmplitude = 0.999

// Pacer is vegeta's pacer for a scenario's traffic, in wall time: the scenario's requests per
// scenario second become rps/scale per wall second and its period period*scale, so a shortened
// drill sends the same requests per scenario second. offset is the scenario time at which the
// attack starts, for a wave's phase. constant is vegeta's constant pacer; sine its sine pacer
// through the same curve as the traffic model (rps·(1 + amplitude·sin(2π·t/period))); diurnal
// its sine pacer over a day, lowest at 04:00.
func Pacer(tr scenarios.Traffic, scale float64, offset time.Duration) (vegeta.Pacer, error) {
	if scale <= 0 {
		return nil, fmt.Errorf("time scale %g is not positive", scale)
	}
	if tr.RPS <= 0 {
		return nil, fmt.Errorf("traffic.rps %g is not positive", tr.RPS)
	}
	mean := rate(tr.RPS, scale)
	switch tr.Pattern {
	case "", patternConstant:
		return mean, nil
	case patternSine:
		period := tr.Period.Duration
		if period <= 0 {
			period = defaultSinePeriod
		}
		if tr.Amplitude == 0 {
			return mean, nil
		}
		return sine(tr.RPS, tr.Amplitude, period, scale, phase(offset, period)), nil
	case patternDiurnal:
		amp := tr.Amplitude
		if amp == 0 {
			amp = defaultDiurnalAmplitude
		}
		// rps·(1 − amp·cos(2π(t/day − 4/24))) = rps·(1 + amp·sin(2πt/day − π/3 − π/2)).
		return sine(tr.RPS, amp, day, scale, phase(offset, day)-math.Pi/3-math.Pi/2), nil
	}
	return nil, fmt.Errorf("traffic.pattern %q has no vegeta pacer", tr.Pattern)
}

func sine(rps, amp float64, period time.Duration, scale, startAt float64) vegeta.SinePacer {
	amp = math.Min(math.Abs(amp), maxAmplitude)
	return vegeta.SinePacer{
		Period:  time.Duration(float64(period) * scale),
		Mean:    rate(rps, scale),
		Amp:     rate(rps*amp, scale),
		StartAt: math.Mod(startAt+2*math.Pi, 2*math.Pi),
	}
}

// phase is the wave's angle at scenario time offset.
func phase(offset, period time.Duration) float64 {
	return 2 * math.Pi * math.Mod(offset.Seconds(), period.Seconds()) / period.Seconds()
}

// rate is rps per scenario second as a vegeta rate per wall second, to a thousandth of a request.
func rate(rps, scale float64) vegeta.Rate {
	return vegeta.Rate{Freq: int(math.Round(rps * 1000)), Per: time.Duration(scale * 1000 * float64(time.Second))}
}
