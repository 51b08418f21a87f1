package kubelet

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/canarydrill/canarydrill/demoapp"
	"github.com/canarydrill/canarydrill/sim"
)

// proc is one container: one demoapp process.
type proc struct {
	k    *Kubelet
	c    sim.Container
	gen  int
	addr string

	mu       sync.Mutex
	pid      int
	silent   bool // ended by the platform (Kill, Remove, Close): its exit is not reported
	wantKill bool // killed before it started
	exited   chan struct{}
	state    *os.ProcessState

	faults chan sim.AppFaults // the latest knobs not yet sent
	done   chan struct{}      // run has returned
	out    *startLines
	errs   tail
}

func newProc(k *Kubelet, c sim.Container, addr string) *proc {
	return &proc{k: k, c: c, gen: c.Gen, addr: addr, exited: make(chan struct{}),
		faults: make(chan sim.AppFaults, 1), done: make(chan struct{}), out: newStartLines()}
}

// adminClient talks to the processes' admin ports; no connection is kept to a process that may
// die at any moment.
var adminClient = &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}

// run starts the process, reports it ready once it answers its health check, sends it its knobs,
// and reports its exit.
func (p *proc) run(ev sim.ContainerEvents) {
	defer close(p.done)
	if !p.start() {
		p.report(ev, sim.ReasonError)
		return
	}
	if p.waitReady() {
		if !p.isSilent() {
			ev.ContainerReady(p.c.Pod, p.gen)
		}
		for ready := true; ready; {
			select {
			case f := <-p.faults:
				p.putFaults(f)
			case <-p.exited:
				ready = false
			}
		}
	} else {
		p.kill() // it did not come up in time: a failed start
	}
	<-p.exited
	p.report(ev, p.reason())
}

// start launches the process; false when it could not be.
func (p *proc) start() bool {
	cmd := exec.Command(p.k.o.Command[0], append(p.k.o.Command[1:], p.flags()...)...)
	cmd.Env = append(os.Environ(), p.k.o.Env...)
	cmd.Stdout, cmd.Stderr = p.out, &p.errs
	setSysProcAttr(cmd)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.wantKill {
		close(p.exited)
		return false
	}
	if err := cmd.Start(); err != nil {
		p.errs.Write([]byte(err.Error()))
		close(p.exited)
		return false
	}
	p.pid = cmd.Process.Pid
	go func() {
		_ = cmd.Wait() // the exit status is in ProcessState
		p.mu.Lock()
		p.state, p.pid = cmd.ProcessState, 0
		p.mu.Unlock()
		close(p.exited)
	}()
	return true
}

// waitReady waits, at most StartTimeout, for the two address lines and a passing health check.
func (p *proc) waitReady() bool {
	deadline := time.NewTimer(p.k.o.StartTimeout)
	defer deadline.Stop()
	select {
	case <-p.out.ready:
	case <-p.exited:
		return false
	case <-deadline.C:
		return false
	}
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		if p.healthy() {
			return true
		}
		select {
		case <-p.exited:
			return false
		case <-deadline.C:
			return false
		case <-tick.C:
		}
	}
}

func (p *proc) healthy() bool {
	resp, err := adminClient.Get("http://" + p.out.admin() + "/healthz")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// putFaults sends the knobs to the admin port. A process that died meanwhile is reported by its
// exit; a refused change is a bug of ours, kept in the process's error tail.
func (p *proc) putFaults(f sim.AppFaults) {
	body, _ := json.Marshal(p.demoFaults(f))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, "http://"+p.out.admin()+"/faults", bytes.NewReader(body))
	if err != nil {
		return
	}
	resp, err := adminClient.Do(req)
	if err != nil {
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(&p.errs, "faults %s refused: %s\n", body, resp.Status)
	}
}

// demoFaults turns the world's knobs into the app's: a leak per scenario second becomes one per
// wall second.
func (p *proc) demoFaults(f sim.AppFaults) demoapp.Faults {
	return demoapp.Faults{
		ErrorRate: f.ErrorRate, ErrorCode: f.ErrorCode,
		LatencyAdd: demoapp.Duration{Duration: f.LatencyAdd}, LatencyFactor: f.LatencyFactor,
		BusinessFailure:    f.BusinessFailure,
		LeakBytesPerSecond: int64(f.LeakBytesPerSecond / p.k.o.TimeScale),
	}
}

// flags are the container's demoapp flags: its address, version behaviour and knobs.
func (p *proc) flags() []string {
	b := p.c.Behaviour
	faults, _ := json.Marshal(p.demoFaults(p.c.Faults))
	// The app's leak counts against the headroom between the version's working set at start and
	// its limit, so that it is killed when the modelled container would be.
	headroom := int64(b.Memory.Limit.Float() - b.Memory.Start.Float())
	errRate := 0.0
	if b.ErrorRate != nil {
		errRate = *b.ErrorRate
	}
	out := []string{
		"-listen", p.addr, "-admin", "127.0.0.1:0",
		"-text", textOf(p.c.Args, p.c.Version), "-version", p.c.Version,
		"-p50", b.Latency.P50.Duration.String(), "-p99", b.Latency.P99.Duration.String(),
		"-error-rate", fmt.Sprint(errRate),
		"-memory-limit", fmt.Sprint(max(headroom, 1)),
		"-seed", fmt.Sprint(p.c.Seed),
		"-faults", string(faults),
	}
	if p.c.CrashOnStart {
		out = append(out, "-crash-on-start")
	}
	return out
}

// textOf is what the pod's app answers: the template's -text argument (the seed's http-echo),
// else its version.
func textOf(args []string, version string) string {
	for i, a := range args {
		a = strings.TrimPrefix(a, "-")
		switch {
		case strings.HasPrefix(a, "-text="):
			return strings.TrimPrefix(a, "-text=")
		case strings.HasPrefix(a, "text="):
			return strings.TrimPrefix(a, "text=")
		case (a == "text" || a == "-text") && i+1 < len(args):
			return args[i+1]
		}
	}
	return "version " + version
}

// reason is the kubelet's termination reason: a SIGKILL or exit code 137 is an OOM kill.
func (p *proc) reason() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if st := p.state; st != nil {
		if ws, ok := st.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
			return sim.ReasonOOMKilled
		}
		if st.ExitCode() == demoapp.ExitOOM {
			return sim.ReasonOOMKilled
		}
	}
	return sim.ReasonError
}

func (p *proc) report(ev sim.ContainerEvents, reason string) {
	if p.isSilent() {
		return
	}
	p.k.noteExit(p, reason)
	ev.ContainerExited(p.c.Pod, p.gen, reason)
}

func (p *proc) isSilent() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.silent
}

// quiet marks the process as ended by the platform: the world already knows.
func (p *proc) quiet() {
	p.mu.Lock()
	p.silent = true
	p.mu.Unlock()
}

// kill sends SIGKILL to the process (at its start if it has not started yet).
func (p *proc) kill() { p.signal(syscall.SIGKILL) }

func (p *proc) signal(sig syscall.Signal) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pid == 0 {
		p.wantKill = p.wantKill || sig == syscall.SIGKILL
		return
	}
	signalGroup(p.pid, sig)
}

func (p *proc) pidNow() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.pid
}

func (p *proc) alive() bool { return p.pidNow() != 0 }

// terminate stops a deleted pod's process: Grace to let the router move away, SIGTERM (the
// app drains its requests), SIGKILL after 5 s; at once when the Kubelet closes.
func (p *proc) terminate(grace time.Duration, closing <-chan struct{}) {
	select {
	case <-time.After(grace):
		p.signal(syscall.SIGTERM)
	case <-closing:
		p.kill()
	case <-p.done:
		return
	}
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		p.kill()
		<-p.done
	case <-closing:
		p.kill()
		<-p.done
	}
}

// setFaults queues the knobs; only the latest unsent ones matter.
func (p *proc) setFaults(f sim.AppFaults) {
	select {
	case <-p.faults:
	default:
	}
	p.faults <- f // the caller holds the Kubelet's lock: no other sender
}
