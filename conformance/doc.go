// Package conformance compares what one scenario did under Argo Rollouts' released controller
// with what it did under canarydrill's, field by field, and renders the side-by-side table.
package conformance
