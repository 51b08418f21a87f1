// Package sim is the simulated world: one virtual clock and a discrete-event loop that runs the real reconcilers against an in-memory API, a workload, traffic and app model, and fakeprom.
package sim
