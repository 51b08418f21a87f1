// Package drilltest lets a test binary be a drill's pods: its TestMain runs the demo service when started as one, and PodCommand names it.
package drilltest

import (
	"context"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/canarydrill/canarydrill/demoapp"
)

// podEnv marks a test binary started as a drill's pod.
const podEnv = "CANARYDRILL_TEST_POD"

// Main is a test package's TestMain: started as a pod, the binary is the demo service;
// otherwise it runs the tests.
func Main(m *testing.M) {
	if os.Getenv(podEnv) == "1" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := demoapp.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// PodCommand and PodEnv run this test binary as a pod.
func PodCommand() []string { return []string{os.Args[0]} }

// PodEnv is the environment that makes the test binary a pod.
func PodEnv() []string { return []string{podEnv + "=1"} }

// Children lists the live child processes of this process (zombies excluded), from /proc.
func Children(t testing.TB) []string {
	t.Helper()
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	me := os.Getpid()
	var out []string
	for _, f := range stats {
		b, err := os.ReadFile(f)
		if err != nil {
			continue // gone meanwhile
		}
		// pid (comm) state ppid ...: comm may hold spaces, so read after the last ')'.
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		fields := strings.Fields(s[i+1:])
		if len(fields) < 2 || fields[0] == "Z" {
			continue
		}
		if ppid, _ := strconv.Atoi(fields[1]); ppid == me {
			out = append(out, s[:i+1])
		}
	}
	return out
}

// RequireCleanedUp fails the test if a child process lives on or any of addrs still accepts
// connections.
func RequireCleanedUp(t testing.TB, addrs []string) {
	t.Helper()
	// A killed child is reaped by its Wait, which Close waits for; allow the kernel a moment.
	deadline := time.Now().Add(2 * time.Second)
	for len(Children(t)) > 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if kids := Children(t); len(kids) > 0 {
		t.Errorf("%d child processes still running: %v", len(kids), kids)
	}
	if len(addrs) == 0 {
		t.Error("no addresses to check")
	}
	for _, a := range addrs {
		if c, err := net.DialTimeout("tcp", a, time.Second); err == nil {
			c.Close()
			t.Errorf("%s still accepts connections", a)
		}
	}
}
