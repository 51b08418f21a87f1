// Package load drives vegeta at a scenario's rate and pattern against a drill's router, and turns its results into the report's load figures, overall and per window.
package load
