// Package driver runs the reconcilers under a controller-runtime manager against a real cluster.
package driver
