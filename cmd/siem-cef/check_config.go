package main

import (
	"bufio"
	"flag"
)

func init() {
	register(&command{
		name:     "check-config",
		synopsis: "FILE",
		summary:  "check every siem_cef output of a Fluent Bit configuration as the plugin would",
		doc: `
Reads the Fluent Bit configuration FILE as Fluent Bit 5.1 reads it (the classic format, or YAML for
.yaml and .yml; @INCLUDE and includes, @SET and env variables, ${VAR} from them and from the
environment) and checks every [OUTPUT] with Name siem_cef as the plugin checks it at start. The
outputs are numbered siem_cef.0, siem_cef.1, … in the order Fluent Bit creates them; that is the
name the plugin logs them under and their default Integration.

For each output it prints "siem_cef.N: OK", the place of its section, the effective configuration
and the filter (the lines the plugin logs at start); or "siem_cef.N: invalid", the place and each
error as the plugin logs it. Then a "warning:" line for each thing that works against the
configuration: a variable that is not set; a key Fluent Bit keeps for itself, so that the plugin
never sees it (Host and Port: use Address; tls and tls.*; net.*); a key that is not a siem_cef
property, which Fluent Bit accepts silently; a siem_cef property given twice, or as a YAML list
(the plugin gets the first value only); Workers or Retry_Limit not set; Workers under Hot_Reload
On (Fluent Bit 5.1.1 crashes at the second reload); an Integration an earlier output has too; and,
before the outputs, a [PLUGINS] section in the configuration (Fluent Bit reads it only in the
Plugins_File). tls On makes the output invalid: Fluent Bit refuses to start a Go output with it.

Exit status: 0 if every siem_cef output is valid; 1 if one is invalid or there is none; 2 for a
bad command line or a file Fluent Bit could not read.`,
		flags: func(fs *flag.FlagSet) func(*invocation) int {
			return runCheckConfig
		},
	})
}

func runCheckConfig(inv *invocation) int {
	if len(inv.args) != 1 {
		return inv.usageError("give one configuration file")
	}
	path := inv.args[0]
	outs, code := inv.outputs(path, nil)
	if code != exitOK {
		return code
	}
	w := bufio.NewWriter(inv.stdout)
	for i := range outs {
		outs[i].printCheck(w)
		if outs[i].cfg == nil {
			code = exitFail
		}
	}
	if err := w.Flush(); err != nil {
		return inv.fail("writing the output: %v", err)
	}
	return code
}
