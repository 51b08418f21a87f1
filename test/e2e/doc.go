// Package e2e runs the controller and the rollout verbs against a real kube-apiserver on loopback.
package e2e
