package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"

	"github.com/spf13/cobra"

	"github.com/canarydrill/canarydrill/runner"
)

// exitError carries an exit code out of a command.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

func execute(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	root := newRoot(stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	var ee exitError
	switch {
	case err == nil:
		return runner.ExitOK
	case errors.As(err, &ee):
		return ee.code
	default:
		fmt.Fprintln(stderr, "error:", err)
		return runner.ExitBadInput
	}
}

func newRoot(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:           "canarydrill",
		Short:         "Replay releases against your Argo Rollouts policies and measure how fast bad canaries are caught",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(newRunCmd(), newScenariosCmd())
	root.AddCommand(newConformanceCmd())
	root.AddCommand(newFakepromCmd())
	root.AddCommand(newLintCmd())
	root.AddCommand(newMatrixCmd())
	root.AddCommand(newControllerCmd())
	root.AddCommand(newRolloutsCmd())
	root.AddCommand(newDrillCmd())
	root.AddCommand(newLabCmd())
	root.AddCommand(newClusterCmd())
	return root
}
