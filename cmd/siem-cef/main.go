// Command siem-cef is the companion tool of the siem_cef Fluent Bit output plugin: a strict SIEM
// receiver that validates what the plugin sends, and helpers to produce test input.
//
// Each subcommand lives in a file of its own and registers itself with register in an init
// function; main.go only dispatches and prints usage.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
)

const prog = "siem-cef"

// Exit statuses.
const (
	exitOK    = 0 // success
	exitFail  = 1 // the work failed, or a received message was invalid
	exitUsage = 2 // bad command line
)

// command is one subcommand.
type command struct {
	name     string
	synopsis string // arguments after "siem-cef NAME", e.g. "[--tcp ADDR] [--udp ADDR]"
	summary  string // one line for the command list
	doc      string // paragraphs printed between the synopsis and the flags

	// flags defines the command's flags on fs and returns the function that runs it once they are
	// parsed. It is also called on a fresh FlagSet only to print the usage.
	flags func(fs *flag.FlagSet) func(inv *invocation) int
}

var commands = map[string]*command{}

// register adds a subcommand; each subcommand file calls it from init.
func register(c *command) {
	if _, dup := commands[c.name]; dup || c.name == "help" {
		panic("siem-cef: command registered twice: " + c.name)
	}
	commands[c.name] = c
}

// invocation is what a running subcommand gets: its context, streams and parsed flags.
type invocation struct {
	ctx    context.Context // cancelled by SIGINT/SIGTERM
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	cmd    *command
	args   []string // the positional arguments, the flags taken out
}

// usageError reports a bad command line with the command's usage, and returns exitUsage.
func (inv *invocation) usageError(format string, a ...any) int {
	fmt.Fprintf(inv.stderr, "%s %s: %s\n", prog, inv.cmd.name, fmt.Sprintf(format, a...))
	printCommandUsage(inv.stderr, inv.cmd)
	return exitUsage
}

// fail reports an error and returns exitFail.
func (inv *invocation) fail(format string, a ...any) int {
	inv.logf(format, a...)
	return exitFail
}

// logf writes one diagnostic line on stderr, prefixed with the command's name.
func (inv *invocation) logf(format string, a ...any) {
	fmt.Fprintf(inv.stderr, "%s %s: %s\n", prog, inv.cmd.name, fmt.Sprintf(format, a...))
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop() // a second signal kills the process the default way
	}()
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is the whole program without the process: it returns the exit status.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		printUsage(stderr)
		return exitUsage
	}
	name, rest := args[0], args[1:]
	switch name {
	case "help", "-h", "-help", "--help":
		if name == "help" && len(rest) > 0 {
			c, ok := commands[rest[0]]
			if !ok || len(rest) > 1 {
				fmt.Fprintf(stderr, "%s help: unknown command %q\n", prog, strings.Join(rest, " "))
				printUsage(stderr)
				return exitUsage
			}
			printCommandUsage(stdout, c)
			return exitOK
		}
		printUsage(stdout)
		return exitOK
	}
	c, ok := commands[name]
	if !ok {
		fmt.Fprintf(stderr, "%s: unknown command %q\n", prog, name)
		printUsage(stderr)
		return exitUsage
	}

	fs := flag.NewFlagSet(prog+" "+c.name, flag.ContinueOnError)
	runCmd := c.flags(fs)
	// The flag package prints its message and the usage on fs.Output(); keep it until we know
	// whether this was -h (usage on stdout, status 0) or a mistake (stderr, status 2).
	var msg bytes.Buffer
	fs.SetOutput(&msg)
	fs.Usage = func() {}
	positional, err := parseInterleaved(fs, rest)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printCommandUsage(stdout, c)
			return exitOK
		}
		stderr.Write(msg.Bytes())
		printCommandUsage(stderr, c)
		return exitUsage
	}
	fs.SetOutput(stderr)
	return runCmd(&invocation{ctx: ctx, stdin: stdin, stdout: stdout, stderr: stderr, cmd: c, args: positional})
}

// parseInterleaved parses flags that may stand after positional arguments too ("chunk in.jsonl -o
// out"), which the flag package alone does not. Everything after "--" is positional; "-" is a
// positional argument (standard input).
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for len(args) > 0 {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(positional, rest...), nil
		}
		if len(rest) == 0 {
			break
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
	return positional, nil
}

func printUsage(w io.Writer) {
	fmt.Fprintf(w, "usage: %s COMMAND [flags] [arguments]\n\ncommands:\n", prog)
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-16s %s\n", n, commands[n].summary)
	}
	fmt.Fprintf(w, "  %-16s %s\n", "help [COMMAND]", "print this, or the usage of one command")
	fmt.Fprintf(w, "\nRun '%s COMMAND -h' for the flags of a command (-flag and --flag are the same).\n", prog)
}

func printCommandUsage(w io.Writer, c *command) {
	fmt.Fprintf(w, "usage: %s %s %s\n", prog, c.name, c.synopsis)
	if c.doc != "" {
		fmt.Fprintf(w, "\n%s\n", strings.TrimSpace(c.doc))
	}
	fs := flag.NewFlagSet(prog+" "+c.name, flag.ContinueOnError)
	c.flags(fs)
	hasFlags := false
	fs.VisitAll(func(*flag.Flag) { hasFlags = true })
	if hasFlags {
		fmt.Fprintf(w, "\nflags:\n")
		fs.SetOutput(w)
		fs.PrintDefaults()
	}
}
