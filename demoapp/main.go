package demoapp

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"
)

// Exit codes of the demo service's program.
const (
	// ExitOOM is the exit code of a container killed for memory (128 + SIGKILL).
	ExitOOM = 137
	// ExitCrash is the exit code of -crash-on-start.
	ExitCrash = 1
	// ExitUsage is the exit code of bad flags or an address that cannot be bound.
	ExitUsage = 2
)

// Main is the demo service's program, for cmd/demoapp and for a drill that runs its own binary
// as the pods' containers: it parses args (flags and DEMOAPP_* environment), writes
// "listening ADDR\nadmin ADDR\n" to stdout once both ports are bound, serves until ctx ends
// (exit 0), and returns ExitOOM as soon as its leak passes the memory limit. It writes nothing
// else but errors, to stderr.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("demoapp", flag.ContinueOnError)
	fs.SetOutput(stderr)
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
		return ExitUsage
	}
	fail := func(err error) int {
		fmt.Fprintln(stderr, "demoapp:", err)
		return ExitUsage
	}
	if *crash {
		fmt.Fprintln(stderr, "demoapp: crashing on start as asked")
		return ExitCrash
	}
	if host, _, err := net.SplitHostPort(*admin); err != nil || (host != "127.0.0.1" && host != "localhost" && host != "::1") {
		return fail(fmt.Errorf("-admin %q: the fault knobs listen on loopback only", *admin))
	}
	s := New(Config{Text: *text, Version: *version, P50: *p50, P99: *p99, ErrorRate: *errRate, MemoryLimit: *memLimit, Seed: *seed})
	oom := make(chan struct{})
	s.OOM = func() {
		select {
		case <-oom:
		default:
			close(oom)
		}
	}
	if *faults != "" {
		var f Faults
		dec := json.NewDecoder(strings.NewReader(*faults))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&f); err != nil {
			return fail(fmt.Errorf("-faults: %w", err))
		}
		if err := s.SetFaults(f); err != nil {
			return fail(fmt.Errorf("-faults: %w", err))
		}
	}
	svc, err := net.Listen("tcp", *listen)
	if err != nil {
		return fail(err)
	}
	adm, err := net.Listen("tcp", *admin)
	if err != nil {
		svc.Close()
		return fail(err)
	}
	// The drill platform reads these two lines to learn the ports it asked the kernel for.
	fmt.Fprintf(stdout, "listening %s\nadmin %s\n", svc.Addr(), adm.Addr())
	servers := []*http.Server{
		{Handler: s.Handler(), ReadHeaderTimeout: 5 * time.Second},
		{Handler: s.Admin(), ReadHeaderTimeout: 5 * time.Second},
	}
	errs := make(chan error, 2)
	go func() { errs <- servers[0].Serve(svc) }()
	go func() { errs <- servers[1].Serve(adm) }()
	leakCtx, stopLeak := context.WithCancel(ctx)
	defer stopLeak()
	go leakLoop(leakCtx, s)

	select {
	case <-oom:
		// The kernel's OOM killer gives no time to shut down.
		fmt.Fprintln(stderr, "demoapp: out of memory")
		return ExitOOM
	case <-ctx.Done():
	case err := <-errs:
		if !errors.Is(err, http.ErrServerClosed) {
			return fail(err)
		}
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, srv := range servers {
		_ = srv.Shutdown(shutdown)
	}
	return 0
}

func env(key, def string) string {
	if v, ok := os.LookupEnv(key); ok {
		return v
	}
	return def
}

// leakLoop grows the leak ten times a second, at the rate the knobs ask for.
func leakLoop(ctx context.Context, s *Server) {
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
