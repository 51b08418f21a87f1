package kubelet

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
)

// setSysProcAttr puts each process in its own process group, so that a Ctrl-C at the terminal
// reaches the drill (which ends its processes in order) and not the processes first, and asks
// the kernel to kill it if the drill dies without cleaning up.
func setSysProcAttr(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

func signalGroup(pid int, sig syscall.Signal) { _ = syscall.Kill(-pid, sig) }

// rss is the process's resident set in bytes, from /proc/PID/statm.
func rss(pid int) (float64, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/statm")
	if err != nil {
		return 0, false
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0, false
	}
	pages, err := strconv.ParseFloat(f[1], 64)
	if err != nil {
		return 0, false
	}
	return pages * float64(os.Getpagesize()), true
}
