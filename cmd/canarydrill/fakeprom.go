package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/spf13/cobra"
	"k8s.io/utils/clock"

	"github.com/canarydrill/canarydrill/fakeprom"
)

func newFakepromCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "fakeprom",
		Short: "Run the synthetic Prometheus on its own, or record a real one for replay",
	}
	cmd.AddCommand(newFakepromServeCmd(), newFakepromImportCmd())
	return cmd
}

func newFakepromServeCmd() *cobra.Command {
	var (
		listen      string
		load        []string
		remoteWrite bool
		scrape      []string
		interval    time.Duration
		job         string
	)
	cmd := &cobra.Command{
		Use:   "serve [--listen ADDR] [--load FILE]...",
		Short: "Serve the Prometheus HTTP API over OpenMetrics files, remote write or scraped targets",
		Long: `Serve Prometheus' HTTP API (/api/v1/query, query_range, series, labels, label/<name>/values,
status/buildinfo, /-/ready, /-/healthy) from an in-memory store, with Prometheus' own PromQL engine.

--load reads OpenMetrics text with a timestamp on every sample: the file that
"promtool tsdb create-blocks-from openmetrics" takes, accepted and rejected as promtool does.
--scrape scrapes targets as a Prometheus scrape job would (up, scrape_* series, staleness).
The server stops gracefully on SIGINT or SIGTERM.`,
		Example: `  canarydrill fakeprom serve --load fakeprom/testdata/demo.om
  canarydrill fakeprom serve --listen 127.0.0.1:9091 --scrape http://127.0.0.1:8080/metrics --scrape-interval 10s`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			store := fakeprom.NewStore()
			for _, f := range load {
				if err := loadFile(store, f); err != nil {
					return err
				}
			}
			var opts []fakeprom.Option
			if remoteWrite {
				opts = append(opts, fakeprom.WithRemoteWriteReceiver())
			}
			srv := fakeprom.NewServer(store, opts...)

			var scraper *fakeprom.Scraper
			if len(scrape) > 0 {
				scraper = fakeprom.NewScraper(store, clock.RealClock{}, fakeprom.WithScrapeInterval(interval))
				targets := make([]fakeprom.Target, len(scrape))
				for i, u := range scrape {
					targets[i] = fakeprom.Target{URL: u, Labels: labels.FromStrings("job", job)}
				}
				if err := scraper.SetTargets(targets); err != nil {
					return fmt.Errorf("--scrape: %w", err)
				}
			}

			l, err := net.Listen("tcp", listen)
			if err != nil {
				return fmt.Errorf("--listen: %w", err)
			}
			st := store.Stats()
			fmt.Fprintf(cmd.OutOrStdout(), "fakeprom: serving http://%s (%d series, %d samples)\n", l.Addr(), st.Series, st.Samples)
			return serve(ctx, l, srv.Handler(), scraper)
		},
	}
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:9091", "address to serve on")
	cmd.Flags().StringArrayVar(&load, "load", nil, "OpenMetrics file to load (repeatable; - for stdin)")
	cmd.Flags().BoolVar(&remoteWrite, "web.enable-remote-write-receiver", false, "accept remote write on /api/v1/write, as Prometheus' flag of that name")
	cmd.Flags().StringArrayVar(&scrape, "scrape", nil, "URL of a target to scrape (repeatable)")
	cmd.Flags().DurationVar(&interval, "scrape-interval", time.Minute, "how often to scrape the --scrape targets")
	cmd.Flags().StringVar(&job, "scrape-job", "fakeprom", "job label of the --scrape targets")
	return cmd
}

// serve runs the HTTP server (and the scraper) until ctx ends, then shuts
// the server down, letting requests in flight finish for a few seconds.
func serve(ctx context.Context, l net.Listener, h http.Handler, scraper *fakeprom.Scraper) error {
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(l) }()
	scraped := make(chan struct{})
	go func() {
		defer close(scraped)
		if scraper != nil {
			scraper.Run(ctx)
		}
	}()
	var err error
	select {
	case err = <-errc:
	case <-ctx.Done():
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err = hs.Shutdown(shutdown)
	}
	<-scraped
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

func loadFile(store *fakeprom.Store, name string) error {
	f := os.Stdin
	if name != "-" {
		var err error
		if f, err = os.Open(name); err != nil {
			return fmt.Errorf("--load: %w", err)
		}
		defer f.Close()
	}
	if err := store.LoadOpenMetrics(f); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

func newFakepromImportCmd() *cobra.Command {
	var (
		from, out, start, end string
		match                 []string
		step, window          time.Duration
	)
	cmd := &cobra.Command{
		Use:   "import --from URL --match SELECTOR... --start T --end T --out FILE",
		Short: "Record series from a Prometheus into an OpenMetrics file for replay",
		Long: `Pull the series matching --match between --start and --end (both included) from the Prometheus
HTTP API at --from, with their raw samples, into an OpenMetrics file that "canarydrill fakeprom serve
--load", a scenario's metrics replay and "promtool tsdb create-blocks-from openmetrics" all read.
Times are RFC 3339 or Unix seconds, as in Prometheus' API. --step resamples through query_range
instead of copying raw samples.`,
		Example: `  canarydrill fakeprom import --from http://prometheus.monitoring:9090 \
    --match 'http_requests_total{service="checkout"}' --match 'kube_pod_container_status_last_terminated_reason' \
    --start 2026-11-24T14:00:00Z --end 2026-11-24T16:00:00Z --out incident.om`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts := fakeprom.ImportOptions{Match: match, Step: step, Window: window}
			var err error
			if opts.Start, err = parseAPITime(start); err != nil {
				return fmt.Errorf("--start: %w", err)
			}
			if opts.End, err = parseAPITime(end); err != nil {
				return fmt.Errorf("--end: %w", err)
			}
			client, err := api.NewClient(api.Config{Address: from})
			if err != nil {
				return fmt.Errorf("--from: %w", err)
			}
			res, err := fakeprom.Import(cmd.Context(), promv1.NewAPI(client), opts)
			if err != nil {
				return err
			}
			for _, w := range res.Warnings {
				fmt.Fprintln(cmd.ErrOrStderr(), "warning:", w)
			}
			if err := writeFileAtomic(out, func(f *os.File) error { return fakeprom.WriteOpenMetrics(f, res.Series) }); err != nil {
				return err
			}
			samples := 0
			for _, s := range res.Series {
				samples += len(s.Samples)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "imported %d series, %d samples into %s\n", len(res.Series), samples, out)
			return nil
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "base URL of the Prometheus to read (required)")
	cmd.Flags().StringArrayVar(&match, "match", nil, "series selector (repeatable, at least one)")
	cmd.Flags().StringVar(&start, "start", "", "first sample time, RFC 3339 or Unix seconds (required)")
	cmd.Flags().StringVar(&end, "end", "", "last sample time, RFC 3339 or Unix seconds (required)")
	cmd.Flags().StringVar(&out, "out", "", "OpenMetrics file to write (required)")
	cmd.Flags().DurationVar(&step, "step", 0, "resample at this step with query_range instead of copying raw samples")
	cmd.Flags().DurationVar(&window, "window", time.Hour, "time span of each request for raw samples")
	for _, f := range []string{"from", "match", "start", "end", "out"} {
		_ = cmd.MarkFlagRequired(f)
	}
	return cmd
}

// parseAPITime reads a time as Prometheus' API does: Unix seconds (with a
// fraction) or RFC 3339.
func parseAPITime(s string) (time.Time, error) {
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		sec, frac := math.Modf(f)
		return time.Unix(int64(sec), int64(math.Round(frac*1000))*int64(time.Millisecond)).UTC(), nil
	}
	return time.Parse(time.RFC3339Nano, s)
}

// writeFileAtomic writes name through a temporary file in the same folder,
// renamed into place only when write succeeded: no half-written recording.
func writeFileAtomic(name string, write func(*os.File) error) error {
	f, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), name)
}
