// Package drill runs a scenario as a live drill on loopback: wall-clock time, the same reconcilers, real demoapp processes as pods, a router splitting real vegeta load as the controller's objects say, and fakeprom scraping the pods.
package drill
