// Command demoapp is the instrumented demo service that live drills run as pods: it answers like hashicorp/http-echo, exposes the default preset's metrics and takes fault knobs on a loopback admin port.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/canarydrill/canarydrill/demoapp"
)

// exitOOM is the exit code of a container killed for memory (128 + SIGKILL).
const exitOOM = 137

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "demoapp:", err)
		os.Exit(2)
	}
}

func env(key, def string) string {
	if v, ok := os.LookupEnv(key); ok {
		return v
	}
	return def
}

func run(args []string) error {
	fs := flag.NewFlagSet("demoapp", flag.ContinueOnError)
	var (
		text     = fs.String("text", env("DEMOAPP_TEXT", "hello"), "what / answers")
		listen   = fs.String("listen", env("DEMOAPP_LISTEN", "127.0.0.1:8080"), "service address (/ and /metrics)")
		admin    = fs.String("admin", env("DEMOAPP_ADMIN", "127.0.0.1:0"), "fault-knob address, loopback only")
		version  = fs.String("version", env("DEMOAPP_VERSION", "v1"), "version reported in demoapp_info")
		p50      = fs.Duration("p50", 20*time.Millisecond, "median latency")
		p99      = fs.Duration("p99", 150*time.Millisecond, "99th percentile latency")
		errRate  = fs.Float64("error-rate", 0.001, "healthy fraction of 500s")
		memLimit = fs.Int64("memory-limit", 512<<20, "bytes of leaked memory at which the process exits like an OOM-killed container")
		crash    = fs.Bool("crash-on-start", os.Getenv("DEMOAPP_CRASH") == "1", "exit at once, as a crash-looping container")
		faults   = fs.String("faults", env("DEMOAPP_FAULTS", ""), "initial fault knobs as JSON, e.g. {\"errorRate\":1}")
		seed     = fs.Uint64("seed", 1, "seed of the request outcome draws")
	)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *crash {
		fmt.Fprintln(os.Stderr, "demoapp: crashing on start as asked")
		os.Exit(1)
	}
	if host, _, err := net.SplitHostPort(*admin); err != nil || (host != "127.0.0.1" && host != "localhost" && host != "::1") {
		return fmt.Errorf("-admin %q: the fault knobs listen on loopback only", *admin)
	}
	s := demoapp.New(demoapp.Config{Text: *text, Version: *version, P50: *p50, P99: *p99, ErrorRate: *errRate, MemoryLimit: *memLimit, Seed: *seed})
	s.OOM = func() {
		fmt.Fprintln(os.Stderr, "demoapp: out of memory")
		os.Exit(exitOOM)
	}
	if *faults != "" {
		var f demoapp.Faults
		if err := jsonUnmarshalStrict(*faults, &f); err != nil {
			return fmt.Errorf("-faults: %w", err)
		}
		if err := s.SetFaults(f); err != nil {
			return fmt.Errorf("-faults: %w", err)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	svc, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	adm, err := net.Listen("tcp", *admin)
	if err != nil {
		return err
	}
	// The drill platform reads these two lines to learn the ports it asked the kernel for.
	fmt.Printf("listening %s\nadmin %s\n", svc.Addr(), adm.Addr())
	servers := []*http.Server{
		{Handler: s.Handler(), ReadHeaderTimeout: 5 * time.Second},
		{Handler: s.Admin(), ReadHeaderTimeout: 5 * time.Second},
	}
	errs := make(chan error, 2)
	go func() { errs <- servers[0].Serve(svc) }()
	go func() { errs <- servers[1].Serve(adm) }()
	go leakLoop(ctx, s)

	select {
	case <-ctx.Done():
	case err := <-errs:
		if !errors.Is(err, http.ErrServerClosed) {
			return err
		}
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, srv := range servers {
		_ = srv.Shutdown(shutdown)
	}
	return nil
}

func leakLoop(ctx context.Context, s *demoapp.Server) {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.Leak(100 * time.Millisecond)
		}
	}
}
