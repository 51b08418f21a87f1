// Package rollout reconciles Argo Rollouts' Rollout objects with Argo's canary semantics.
package rollout
