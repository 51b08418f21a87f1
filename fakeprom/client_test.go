package fakeprom

import (
	"context"
	"testing"
	"time"

	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/require"
)

// TestClientEveryMethod calls every method of client_golang's API client:
// each decodes fakeprom's answer, and the admin ones fail as against a
// Prometheus without --web.enable-admin-api.
func TestClientEveryMethod(t *testing.T) {
	ctx := context.Background()
	now := at(10 * time.Minute)
	c := clientFor(t, NewServer(demoStore(t), WithNow(func() time.Time { return now })))
	from, to := at(0), at(20*time.Minute)

	_, err := c.Alerts(ctx)
	require.NoError(t, err)
	_, err = c.AlertManagers(ctx)
	require.NoError(t, err)
	cfg, err := c.Config(ctx)
	require.NoError(t, err)
	require.Contains(t, cfg.YAML, "scrape_interval")
	flags, err := c.Flags(ctx)
	require.NoError(t, err)
	require.Equal(t, "5m", flags["query.lookback-delta"])

	names, _, _, err := c.LabelNames(ctx, []string{"up"}, from, to)
	require.NoError(t, err)
	require.Equal(t, model.LabelNames{"__name__", "pod"}, names)
	values, _, _, err := c.LabelValues(ctx, "pod", []string{`http_requests_total`}, from, to)
	require.NoError(t, err)
	require.Equal(t, model.LabelValues{"p1", "p2"}, values)
	v, _, _, err := c.Query(ctx, `sum(http_requests_total)`, time.Time{}) // at the injected clock's time
	require.NoError(t, err)
	require.Equal(t, model.Time(now.UnixMilli()), v.(model.Vector)[0].Timestamp)
	v, _, _, err = c.QueryRange(ctx, `sum(up)`, promv1.Range{Start: from, End: to, Step: time.Minute})
	require.NoError(t, err)
	require.Len(t, v.(model.Matrix)[0].Values, 10, "up fades out after 5 m + 5 m lookback")
	ex, err := c.QueryExemplars(ctx, `up`, from, to)
	require.NoError(t, err)
	require.Empty(t, ex)
	info, err := c.Buildinfo(ctx)
	require.NoError(t, err)
	require.Equal(t, buildInfo.Version, info.Version)
	rt, err := c.Runtimeinfo(ctx)
	require.NoError(t, err)
	require.True(t, rt.ReloadConfigSuccess)
	series, _, _, err := c.Series(ctx, []string{`up`}, from, to)
	require.NoError(t, err)
	require.Len(t, series, 2)
	rules, err := c.Rules(ctx, nil)
	require.NoError(t, err)
	require.Empty(t, rules.Groups)
	targets, err := c.Targets(ctx)
	require.NoError(t, err)
	require.Empty(t, targets.Active)
	_, err = c.TargetsMetadata(ctx, "", "", "")
	require.NoError(t, err)
	_, err = c.Metadata(ctx, "", "")
	require.NoError(t, err)
	tsdb, err := c.TSDB(ctx)
	require.NoError(t, err)
	require.Equal(t, 10, tsdb.HeadStats.NumSeries)
	_, err = c.TSDBBlocks(ctx)
	require.NoError(t, err)
	_, err = c.WalReplay(ctx)
	require.NoError(t, err)
	pretty, err := c.FormatQuery(ctx, `sum(rate(x[5m]))by(pod)`)
	require.NoError(t, err)
	// client_golang hands back the JSON string as it came, quotes and all.
	require.Equal(t, `"sum by (pod) (rate(x[5m]))"`, pretty)

	var apiErr *promv1.Error
	for name, call := range map[string]func() error{
		"CleanTombstones": func() error { return c.CleanTombstones(ctx) },
		"DeleteSeries":    func() error { return c.DeleteSeries(ctx, []string{"up"}, from, to) },
		"Snapshot":        func() error { _, err := c.Snapshot(ctx, false); return err },
	} {
		err := call()
		require.ErrorAs(t, err, &apiErr, name)
		// Prometheus answers 500 "unavailable: admin APIs disabled" (the
		// differential test checks that); the client reports a 5xx as such.
		require.Equal(t, promv1.ErrServer, apiErr.Type, name)
		require.Contains(t, apiErr.Msg, "500", name)
	}
}

// Warnings and infos come through as Prometheus gives them.
func TestClientWarnings(t *testing.T) {
	c := clientFor(t, NewServer(demoStore(t)))
	ctx := context.Background()

	// A bucket without le: a warning (and no result for it).
	_, warnings, _, err := c.Query(ctx, `histogram_quantile(0.9, rate(http_requests_total[5m]))`, at(10*time.Minute))
	require.NoError(t, err)
	require.NotEmpty(t, warnings)
	require.Contains(t, warnings[0], `bucket label "le" is missing`)

	// A limit that cuts the answer short says so.
	names, warnings, _, err := c.LabelNames(ctx, nil, at(0), at(20*time.Minute), promv1.WithLimit(2))
	require.NoError(t, err)
	require.Len(t, names, 2)
	require.Equal(t, promv1.Warnings{"results truncated due to limit"}, warnings)

	// rate of something not named like a counter: an info annotation.
	_, _, infos, err := c.Query(ctx, `rate(up[5m])`, at(2*time.Minute))
	require.NoError(t, err)
	require.NotEmpty(t, infos)
	require.Contains(t, infos[0], "might not be a counter")
}
