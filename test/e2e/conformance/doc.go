// Package conformance runs the same Rollouts with Argo Rollouts' released controller and with
// canarydrill's on one real control plane (Argo's CRDs, kubeletsim, fakeprom on loopback) and
// compares what they did. The tests are in the _test files; see docs/conformance.md.
package conformance
