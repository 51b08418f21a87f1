// Package kindcluster creates, loads and deletes kind clusters for live drills, through sigs.k8s.io/kind's library, after checking that a Docker daemon answers.
package kindcluster
