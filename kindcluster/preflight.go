package kindcluster

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// noDockerPrefix starts every failure to find a working Docker daemon, so the line says why.
const noDockerPrefix = "kind needs a running Docker daemon: "

// Preflight checks, within a few seconds, that a Docker daemon answers: kind runs its nodes as
// Docker containers, and without one every kind command fails, so it fails first, in one line.
func Preflight(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	path, err := exec.LookPath(dockerCommand)
	if err != nil {
		return errors.New(noDockerPrefix + "no docker command on PATH")
	}
	out, err := exec.CommandContext(ctx, path, "info", "--format", "{{.ServerVersion}}").CombinedOutput()
	if err != nil {
		return errors.New(noDockerPrefix + firstLine(string(out), err))
	}
	return nil
}

// dockerCommand is the client kind's docker provider runs.
var dockerCommand = "docker"

func firstLine(out string, err error) string {
	for _, l := range strings.Split(out, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "Client:") {
			return l
		}
	}
	return fmt.Sprint(err)
}
