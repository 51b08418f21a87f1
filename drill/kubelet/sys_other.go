//go:build !linux

package kubelet

import (
	"os/exec"
	"syscall"
)

func setSysProcAttr(cmd *exec.Cmd) { cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} }

func signalGroup(pid int, sig syscall.Signal) { _ = syscall.Kill(-pid, sig) }

// rss is not read outside Linux: the working-set series is absent there.
func rss(int) (float64, bool) { return 0, false }
