// Package docs holds the user documentation; its tests run the examples the pages show.
package docs
