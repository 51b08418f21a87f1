// Package experiment reconciles Argo Rollouts Experiments: temporary ReplicaSets, run with analyses for a duration.
package experiment
