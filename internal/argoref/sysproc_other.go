//go:build !linux

package argoref

import "syscall"

func sysProcAttr() *syscall.SysProcAttr { return nil }
