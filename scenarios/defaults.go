package scenarios

import (
	"time"

	"k8s.io/apimachinery/pkg/api/resource"
)

// Defaults for what a scenario leaves out.
const (
	DefaultMaxDuration    = 2 * time.Hour
	DefaultRPS            = 50
	DefaultScrapeInterval = 10 * time.Second
	DefaultStartup        = 5 * time.Second
	DefaultErrorRate      = 0.001
	DefaultP50            = 20 * time.Millisecond
	DefaultP99            = 150 * time.Millisecond
	DefaultVersion        = "default"
	DefaultPreset         = "default"
	DefaultPattern        = "constant"
	DefaultHTTPErrorCode  = 500
	DefaultSeed           = 1
)

func (sc *Scenario) applyDefaults() {
	s := &sc.Spec
	if s.MaxDuration.Duration == 0 {
		s.MaxDuration.Duration = DefaultMaxDuration
	}
	if s.Traffic.Pattern == "" {
		s.Traffic.Pattern = DefaultPattern
	}
	if s.Traffic.RPS == 0 {
		s.Traffic.RPS = DefaultRPS
	}
	if s.Metrics.Preset == "" {
		s.Metrics.Preset = DefaultPreset
	}
	if s.Metrics.ScrapeInterval.Duration == 0 {
		s.Metrics.ScrapeInterval.Duration = DefaultScrapeInterval
	}
	if s.Versions == nil {
		s.Versions = map[string]Version{}
	}
	base := builtinDefaultVersion()
	def, ok := s.Versions[DefaultVersion]
	if ok {
		def = inherit(def, base)
	} else {
		def = base
	}
	s.Versions[DefaultVersion] = def
	defaultVersions(s.Versions, def)
	defaultEntries(s.Timeline)
	defaultJobs(s.Jobs)
	if h := s.Healthy; h != nil {
		if h.Versions != nil {
			if d, ok := h.Versions[DefaultVersion]; ok {
				h.Versions[DefaultVersion] = inherit(d, def)
			} else {
				h.Versions[DefaultVersion] = def
			}
			defaultVersions(h.Versions, h.Versions[DefaultVersion])
		}
		defaultEntries(h.Timeline)
	}
}

// defaultVersions fills what each named version leaves out from def.
func defaultVersions(vs map[string]Version, def Version) {
	for name, v := range vs {
		if name != DefaultVersion {
			vs[name] = inherit(v, def)
		}
	}
}

func defaultEntries(tl []Entry) {
	for i := range tl {
		e := &tl[i]
		if e.Fault != "" && e.Target == "" && e.Version == "" {
			e.Target = TargetCanary
		}
		if e.Fault == FaultHTTPErrors && e.Code == 0 {
			e.Code = DefaultHTTPErrorCode
		}
	}
}

func builtinDefaultVersion() Version {
	rate := DefaultErrorRate
	return Version{
		ErrorRate: &rate,
		Latency:   Latency{P50: Duration{DefaultP50}, P99: Duration{DefaultP99}},
		Memory: Memory{
			Start: Quantity{resource.MustParse("150Mi"), true},
			Limit: Quantity{resource.MustParse("512Mi"), true},
		},
		Startup: Duration{DefaultStartup},
	}
}

// inherit fills what v leaves out from parent.
func inherit(v, parent Version) Version {
	if v.ErrorRate == nil {
		v.ErrorRate = parent.ErrorRate
	}
	if v.Latency.P50.Duration == 0 {
		v.Latency.P50 = parent.Latency.P50
	}
	if v.Latency.P99.Duration == 0 {
		v.Latency.P99 = parent.Latency.P99
	}
	if !v.Memory.Start.IsSet() {
		v.Memory.Start = parent.Memory.Start
	}
	if !v.Memory.Limit.IsSet() {
		v.Memory.Limit = parent.Memory.Limit
	}
	if v.Startup.Duration == 0 {
		v.Startup = parent.Startup
	}
	return v
}

// SeedOr returns the scenario's seed, or def when it sets none.
func (sc *Scenario) SeedOr(def int64) int64 {
	if sc.Spec.Seed != nil {
		return *sc.Spec.Seed
	}
	return def
}
