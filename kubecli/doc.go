// Package kubecli is the library behind `canarydrill rollouts`: kubectl-argo-rollouts verbs and views.
package kubecli
