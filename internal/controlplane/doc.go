// Package controlplane starts etcd, kube-apiserver and kube-controller-manager on loopback for tests.
package controlplane
