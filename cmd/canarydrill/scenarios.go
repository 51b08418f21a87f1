package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/canarydrill/canarydrill/scenarios"
)

func newScenariosCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "scenarios",
		Short: "List the scenarios built into the binary",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tEXPECT\tDESCRIPTION")
			for _, n := range scenarios.BuiltinNames() {
				sc, err := scenarios.Load(scenarios.BuiltinPrefix + n)
				if err != nil {
					return fmt.Errorf("built-in scenario %s: %w", n, err)
				}
				fmt.Fprintf(tw, "%s%s\t%s\t%s\n", scenarios.BuiltinPrefix, n, sc.Spec.Expect.Outcome, firstSentence(sc.Metadata.Description))
			}
			return tw.Flush()
		},
	}
}

func firstSentence(s string) string {
	for i := 0; i+1 < len(s); i++ {
		if s[i] == '.' && (s[i+1] == ' ' || s[i+1] == '\n') {
			return s[:i+1]
		}
	}
	return s
}
