// Command runblock runs learners' code blocks in a sandbox and serves the API.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/runblock/runblock/internal/sandbox/hostproc"
)

func main() {
	// Descriptors this process inherited (`exec 7</etc/shadow; exec runblock
	// serve`) must not pass on to anything it starts.
	// A sandbox's PID 1 can outlive bubblewrap's monitor by a moment; it is
	// then adopted here and reaped by the runtime, instead of becoming a
	// zombie under a host PID 1 that may never reap it. Only main does this:
	// a process that runs runblock in-process (tests) would adopt orphans
	// of its other children too, which nobody would reap.
	if err := errors.Join(hostproc.CloseOnExecFrom(3), hostproc.AdoptOrphans()); err != nil {
		fmt.Fprintln(os.Stderr, "runblock:", err)
		os.Exit(1)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args, os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	var ex exitCode
	switch {
	case errors.As(err, &ex):
		os.Exit(int(ex))
	case err != nil:
		fmt.Fprintln(os.Stderr, "runblock:", err)
		os.Exit(1)
	}
}

// exitCode ends the process with a code without printing an error (for
// `runblock run`, whose exit code follows the program's).
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit code %d", int(e)) }

const usage = `runblock — run code blocks from learning content in a sandbox

Usage:
  runblock serve [flags]      start the HTTP API (see runblock serve -h)
  runblock run [flags] FILE   run a file in the sandbox, streaming its output
  runblock check [flags]      report what isolation this host gives the sandbox
  runblock version
`

// run is the testable entry point: everything main would touch is passed in.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) < 2 {
		fmt.Fprint(stderr, usage)
		return exitCode(2)
	}
	env := envFunc(getenv)
	switch args[1] {
	case "serve":
		return serveCmd(ctx, args[2:], env, stdout, stderr)
	case "run":
		return runCmd(ctx, args[2:], env, stdin, stdout, stderr)
	case "check":
		return checkCmd(ctx, args[2:], env, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "runblock", version)
		return nil
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprintf(stderr, "runblock: unknown command %q\n\n%s", args[1], usage)
	return exitCode(2)
}

var version = "dev"

type envFunc func(string) string
