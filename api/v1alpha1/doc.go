// Package v1alpha1 holds the argoproj.io/v1alpha1 types that canarydrill reads, with Argo Rollouts' JSON names.
//
// +kubebuilder:object:generate=true
// +groupName=argoproj.io
package v1alpha1
