// Package lab is the seed's hands-on exercise as guided live drills: it lists the steps, runs one on loopback, takes the trainee's kubectl argo rollouts commands at its own prompt and checks what the seed says completes it.
package lab
