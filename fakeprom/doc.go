// Package fakeprom is a synthetic Prometheus: an in-memory series store queried by Prometheus' own PromQL engine and HTTP API.
package fakeprom
