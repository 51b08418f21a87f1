package kubelet

import (
	"errors"
	"fmt"
	"net"
	"sort"
	"strings"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/canarydrill/canarydrill/sim"
)

// Options configure a Kubelet.
type Options struct {
	// Command runs the demo service: the program and its first arguments, to which each
	// container's flags are appended (e.g. the canarydrill binary and "drill", "__pod").
	Command []string
	// Env is added to every process's environment.
	Env []string
	// TimeScale is wall time per scenario time (0.25: a drill four times shorter); rates per
	// scenario second become rates per wall second with it.
	TimeScale float64
	// StartTimeout bounds, in wall time, how long a process may take to bind its ports and
	// answer its health check (default 10s); a process that does not is ended as a failed start.
	StartTimeout time.Duration
	// Grace is how long a deleted pod's process keeps serving before it is stopped, so that the
	// router has moved its requests elsewhere (default 500ms), as endpoints are removed before a
	// pod's termination grace period ends.
	Grace time.Duration
}

// Kubelet runs containers as processes. It implements sim.Kubelet; Close ends every process it
// started and waits for them.
type Kubelet struct {
	o Options

	mu      sync.Mutex
	pods    map[types.NamespacedName]*podState
	used    []string // every address a process of ours listened on, for Addrs
	exits   []string // the last unexpected exits, with what the process wrote to stderr
	closed  bool
	closing chan struct{}
	wg      sync.WaitGroup
}

type podState struct {
	addr string
	cur  *proc
}

var _ sim.Kubelet = (*Kubelet)(nil)

// New returns a Kubelet.
func New(o Options) (*Kubelet, error) {
	if len(o.Command) == 0 {
		return nil, errors.New("kubelet: no command runs the demo service")
	}
	if o.TimeScale <= 0 {
		o.TimeScale = 1
	}
	if o.StartTimeout <= 0 {
		o.StartTimeout = 10 * time.Second
	}
	if o.Grace <= 0 {
		o.Grace = 500 * time.Millisecond
	}
	return &Kubelet{o: o, pods: map[types.NamespacedName]*podState{}, closing: make(chan struct{})}, nil
}

// Admit implements sim.Kubelet: a free loopback port for the pod's life.
func (k *Kubelet) Admit(pod types.NamespacedName) (string, error) {
	addr, err := freePort()
	if err != nil {
		return "", err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.closed {
		return "", errors.New("kubelet: closed")
	}
	k.pods[pod] = &podState{addr: addr}
	k.used = append(k.used, addr)
	return addr, nil
}

// freePort asks the kernel for a free port on 127.0.0.1. The process binds it again a moment
// later (Go listeners set SO_REUSEADDR); a port taken meanwhile fails that start, which the
// kubelet reports as a failed container.
func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := l.Addr().String()
	return addr, l.Close()
}

// Start implements sim.Kubelet.
func (k *Kubelet) Start(c sim.Container, ev sim.ContainerEvents) {
	k.mu.Lock()
	ps := k.pods[c.Pod]
	if ps == nil || k.closed {
		k.mu.Unlock()
		return
	}
	p := newProc(k, c, ps.addr)
	ps.cur = p
	k.wg.Add(1)
	k.mu.Unlock()
	go func() {
		defer k.wg.Done()
		p.run(ev)
	}()
}

// Kill implements sim.Kubelet: SIGKILL, as the kernel's OOM killer or a crash ends a process.
func (k *Kubelet) Kill(pod types.NamespacedName, gen int) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if ps := k.pods[pod]; ps != nil && ps.cur != nil && ps.cur.gen == gen {
		ps.cur.quiet()
		ps.cur.kill()
	}
}

// SetFaults implements sim.Kubelet.
func (k *Kubelet) SetFaults(pod types.NamespacedName, gen int, f sim.AppFaults) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if ps := k.pods[pod]; ps != nil && ps.cur != nil && ps.cur.gen == gen {
		ps.cur.setFaults(f)
	}
}

// Memory implements sim.Kubelet: the process's resident set.
func (k *Kubelet) Memory(pod types.NamespacedName) (float64, bool) {
	k.mu.Lock()
	ps := k.pods[pod]
	var p *proc
	if ps != nil {
		p = ps.cur
	}
	k.mu.Unlock()
	if p == nil {
		return 0, false
	}
	pid := p.pidNow()
	if pid == 0 {
		return 0, false
	}
	return rss(pid)
}

// Remove implements sim.Kubelet: the process serves for Grace, then gets SIGTERM (and SIGKILL
// if it has not exited 5 s later).
func (k *Kubelet) Remove(pod types.NamespacedName) {
	k.mu.Lock()
	defer k.mu.Unlock()
	ps := k.pods[pod]
	delete(k.pods, pod)
	if ps == nil || ps.cur == nil {
		return
	}
	p := ps.cur
	p.quiet()
	k.wg.Add(1)
	go func() {
		defer k.wg.Done()
		p.terminate(k.o.Grace, k.closing)
	}()
}

// Running counts the processes alive now.
func (k *Kubelet) Running() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	n := 0
	for _, ps := range k.pods {
		if ps.cur != nil && ps.cur.alive() {
			n++
		}
	}
	return n
}

// Addrs lists every address a pod was given, sorted (tests check they are closed after a drill).
func (k *Kubelet) Addrs() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	out := append([]string(nil), k.used...)
	sort.Strings(out)
	return out
}

// Close kills every process at once and waits until each has exited and every goroutine of the
// Kubelet has returned, at most timeout; it says which processes did not end.
func (k *Kubelet) Close(timeout time.Duration) error {
	k.mu.Lock()
	if !k.closed {
		k.closed = true
		close(k.closing)
	}
	var all []*proc
	for _, ps := range k.pods {
		if ps.cur != nil {
			all = append(all, ps.cur)
		}
	}
	k.mu.Unlock()
	for _, p := range all {
		p.quiet()
		p.kill()
	}
	done := make(chan struct{})
	go func() {
		k.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-time.After(timeout):
		return fmt.Errorf("kubelet: processes still running %s after they were killed", timeout)
	}
}

// maxExits bounds the exits Exits keeps.
const maxExits = 20

func (k *Kubelet) noteExit(p *proc, reason string) {
	msg := fmt.Sprintf("pod %s container %d: %s", p.c.Pod.Name, p.gen, reason)
	p.mu.Lock()
	if st := p.state; st != nil {
		msg += fmt.Sprintf(" (%s)", st)
	}
	p.mu.Unlock()
	if t := p.errs.String(); t != "" {
		msg += ": " + lastLine(t)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.exits = append(k.exits, msg)
	if len(k.exits) > maxExits {
		k.exits = k.exits[len(k.exits)-maxExits:]
	}
}

// Exits lists the last containers that ended by themselves (at most 20), with the last line each
// wrote to stderr: what a drill's report notes when processes crashed or failed to start.
func (k *Kubelet) Exits() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]string(nil), k.exits...)
}

func lastLine(s string) string {
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}
