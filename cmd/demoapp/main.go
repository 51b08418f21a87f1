// Command demoapp is the instrumented demo service that live drills run as pods: it answers like hashicorp/http-echo, exposes the default preset's metrics and takes fault knobs on a loopback admin port.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/canarydrill/canarydrill/demoapp"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := demoapp.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
