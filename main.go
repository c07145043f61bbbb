// Command iapdesk reaches Compute Engine VMs without public IPs through
// Identity-Aware Proxy TCP forwarding: a desktop app, and headless commands
// that drop into scripts (`iapdesk tunnel`, gcloud's flags).
//
// main only parses the command line and wires packages together.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"

	"iapdesk/app"
)

// command is one `iapdesk VERB`: it parses its own flags from args.
type command struct {
	summary string
	run     func(ctx context.Context, args []string) error
}

var commands = map[string]command{
	"version": {"print version, commit and Go version", runVersion},
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(dispatch(ctx, os.Args[1:]))
}

func dispatch(ctx context.Context, args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(os.Stderr)
		return 2
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(os.Stderr, "iapdesk: unknown command %q\n\n", args[0])
		usage(os.Stderr)
		return 2
	}
	if err := cmd.run(ctx, args[1:]); err != nil {
		if err == errUsage {
			return 2
		}
		fmt.Fprintln(os.Stderr, "iapdesk "+args[0]+": "+err.Error())
		return 1
	}
	return 0
}

// errUsage means the flag package has already printed the problem and usage.
var errUsage = fmt.Errorf("usage")

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: iapdesk COMMAND [flags]")
	fmt.Fprintln(w)
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
}

func runVersion(_ context.Context, args []string) error {
	if len(args) > 0 {
		return fmt.Errorf("takes no arguments")
	}
	fmt.Println(app.Build())
	return nil
}
