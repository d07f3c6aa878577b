package main

import (
	"bufio"
	"flag"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/kcs-siem/siem-cef/config"
	"github.com/kcs-siem/siem-cef/deliver"
)

func init() {
	register(&command{
		name:     "test-connection",
		synopsis: "[--timeout DUR] FILE  |  --address ADDR [--protocol PROTO] [--tls-ca-file FILE] [--timeout DUR]",
		summary:  "the product's Test connection: connect to each SIEM of a configuration, or to one",
		doc: `
Connects to the SIEM of every siem_cef output of the Fluent Bit configuration FILE (read as
check-config reads it), or to the SIEM given by --address and --protocol, and closes the connection
again: the product's Test connection, the one the plugin makes at start (Startup_Check). Each output
is checked first; an invalid one is reported with its errors, as check-config does, and counts as a
failure. --address, --protocol and --tls-ca-file are checked as the Address, Protocol and TLS_CA_File
properties are; that integration is called siem_cef.0.

Prints one line per integration: "NAME: " and the result, NAME being its Integration. A UDP SIEM
cannot be tested (nothing answers a datagram): it is said so, and it does not fail.

Exit status: 0 if every TCP SIEM accepted the connection; 1 if one did not, an output is invalid or
FILE has none; 2 for a bad command line or a file Fluent Bit could not read.`,
		flags: func(fs *flag.FlagSet) func(*invocation) int {
			o := &testConnOpts{}
			fs.StringVar(&o.address, "address", "", "test the SIEM at `ADDR` (host, host:port, [ipv6]:port) instead of a configuration's")
			fs.StringVar(&o.protocol, "protocol", "", "the protocol of --address: `tcp|udp|tls|relp|relp+tls` (default tcp)")
			fs.StringVar(&o.caFile, "tls-ca-file", "", "with --address and a TLS protocol, the CA certificates (PEM) `FILE` the SIEM's certificate is checked against (default: the system's)")
			fs.DurationVar(&o.timeout, "timeout", 0, "give up connecting after `DUR` (default: each integration's Connect_Timeout, 5s)")
			return o.run
		},
	})
}

type testConnOpts struct {
	address, protocol, caFile string
	timeout                   time.Duration
}

func (o *testConnOpts) run(inv *invocation) int {
	switch {
	case o.timeout < 0:
		return inv.usageError("--timeout must not be negative")
	case o.address != "" && len(inv.args) > 0:
		return inv.usageError("give a configuration FILE or --address, not both")
	case o.address == "" && (o.protocol != "" || o.caFile != ""):
		return inv.usageError("--protocol and --tls-ca-file go with --address")
	case o.address == "" && len(inv.args) != 1:
		return inv.usageError("give one configuration file, or --address ADDR")
	}

	outs, code := o.outputs(inv)
	if code != exitOK {
		return code
	}
	probes := o.probe(outs)

	w := bufio.NewWriter(inv.stdout)
	for i := range outs {
		if outs[i].cfg == nil {
			outs[i].printInvalid(w)
			code = exitFail
			continue
		}
		for _, p := range probes[i] {
			fmt.Fprintf(w, "%s: %s\n", outs[i].label(), p.String())
			if p.Testable && p.Err != nil {
				code = exitFail
			}
		}
	}
	if err := w.Flush(); err != nil {
		return inv.fail("writing the output: %v", err)
	}
	return code
}

// outputs is the SIEM named by --address, or every siem_cef output of the configuration file.
func (o *testConnOpts) outputs(inv *invocation) ([]siemOutput, int) {
	if o.address == "" {
		return inv.outputs(inv.args[0], nil)
	}
	props := map[string]string{"Address": o.address, "Protocol": o.protocol, "TLS_CA_File": o.caFile}
	g := config.GetterFunc(func(k string) string { return props[k] })
	cfg, err := config.Load(g, pluginName+".0")
	if err != nil {
		for _, line := range strings.Split(err.Error(), "\n") {
			inv.logf("%s", line)
		}
		printCommandUsage(inv.stderr, inv.cmd)
		return nil, exitUsage
	}
	return []siemOutput{{name: cfg.Integration, cfg: cfg}}, exitOK
}

// probe tests every address of every valid output at once: the slowest bounds the wait, not the
// sum. An invalid output gets no probes.
func (o *testConnOpts) probe(outs []siemOutput) [][]deliver.Probe {
	probes := make([][]deliver.Probe, len(outs))
	var wg sync.WaitGroup
	for i := range outs {
		cfg := outs[i].cfg
		if cfg == nil {
			continue
		}
		timeout := o.timeout
		if timeout == 0 {
			timeout = cfg.ConnectTimeout
		}
		wg.Go(func() { probes[i] = deliver.TestConnections(&cfg.Settings, timeout) })
	}
	wg.Wait()
	return probes
}
