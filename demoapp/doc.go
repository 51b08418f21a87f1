// Package demoapp is the instrumented demo service that live drills run as pods: request handling, the default preset's metrics, and fault knobs.
package demoapp
