// Package kubelet runs pods' app containers as demoapp processes on 127.0.0.1 for a live drill: ports, starts, readiness, exit codes, fault knobs and cleanup.
package kubelet
