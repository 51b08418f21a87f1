package fakeprom

import (
	"context"
	"errors"
	"net/url"

	"github.com/prometheus/prometheus/config"
	"github.com/prometheus/prometheus/model/exemplar"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/rules"
	"github.com/prometheus/prometheus/scrape"
	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/tsdb"
	"github.com/prometheus/prometheus/tsdb/index"
)

// The empty parts of a Prometheus that only stores and queries: web/api/v1
// calls these for its status endpoints and would panic on nil.

type noTargets struct{}

func (noTargets) ScrapePools() []string                       { return nil }
func (noTargets) TargetsActive() map[string][]*scrape.Target  { return nil }
func (noTargets) TargetsDropped() map[string][]*scrape.Target { return nil }
func (noTargets) TargetsDroppedCounts() map[string]int        { return nil }
func (noTargets) ScrapePoolConfig(string) (*config.ScrapeConfig, error) {
	return nil, errors.New("fakeprom: no scrape pools")
}

type noAlertmanagers struct{}

func (noAlertmanagers) Alertmanagers() []*url.URL        { return nil }
func (noAlertmanagers) DroppedAlertmanagers() []*url.URL { return nil }

type noRules struct{}

func (noRules) RuleGroups() []*rules.Group           { return nil }
func (noRules) AlertingRules() []*rules.AlertingRule { return nil }

// noExemplars answers every exemplar query with nothing: the store keeps none.
type noExemplars struct{}

func (noExemplars) ExemplarQuerier(context.Context) (storage.ExemplarQuerier, error) {
	return noExemplars{}, nil
}

func (noExemplars) Select(int64, int64, ...[]*labels.Matcher) ([]exemplar.QueryResult, error) {
	return []exemplar.QueryResult{}, nil
}

// errNoAdmin answers the admin operations, which the API only reaches with
// the admin API enabled (it never is here).
var errNoAdmin = errors.New("fakeprom: TSDB admin operations are not supported")

// tsdbAdmin gives /api/v1/status/tsdb the head statistics a store has: series
// count and time range; no blocks, WAL or cardinality breakdowns. Stats runs
// while sh.ctxless is held, with sh.current set (serveFor).
type tsdbAdmin struct{ sh *shared }

func (tsdbAdmin) CleanTombstones() error                                         { return errNoAdmin }
func (tsdbAdmin) Delete(context.Context, int64, int64, ...*labels.Matcher) error { return errNoAdmin }
func (tsdbAdmin) Snapshot(string, bool) error                                    { return errNoAdmin }
func (tsdbAdmin) WALReplayStatus() (tsdb.WALReplayStatus, error)                 { return tsdb.WALReplayStatus{}, nil }
func (tsdbAdmin) BlockMetas() ([]tsdb.BlockMeta, error)                          { return nil, nil }

func (a tsdbAdmin) Stats(string, int) (*tsdb.Stats, error) {
	srv := a.sh.current
	if srv == nil {
		return nil, errNoServer
	}
	n, mint, maxt := srv.store.span()
	return &tsdb.Stats{
		NumSeries:         uint64(n),
		MinTime:           mint,
		MaxTime:           maxt,
		IndexPostingStats: &index.PostingsStats{},
	}, nil
}
