// Package kubeletsim plays the kubelet of one fake Node against a real Kubernetes API.
package kubeletsim
