package conformance

import "syscall"

// sysProcAttr kills a controller process with the test process's thread that started it, so an
// interrupted or timed-out test leaves none behind.
func sysProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} }
