package config

import (
	"crypto/tls"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kcs-siem/siem-cef/cef"
	"github.com/kcs-siem/siem-cef/deliver"
	"github.com/kcs-siem/siem-cef/filter"
	"github.com/kcs-siem/siem-cef/internal/testpki"
	"github.com/kcs-siem/siem-cef/product"
	"github.com/kcs-siem/siem-cef/record"
	"github.com/kcs-siem/siem-cef/schema"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func props(m map[string]string) Getter {
	return GetterFunc(func(key string) string { return m[key] })
}

// want is the configuration Load gives for Address siem.example.com and nothing else.
func want(t *testing.T) Config {
	t.Helper()
	host, err := os.Hostname()
	require.NoError(t, err)
	return Config{
		Integration: "siem_cef.0",
		Settings: deliver.Settings{
			Addresses:        []deliver.HostPort{{Host: "siem.example.com", Port: 514}},
			Protocol:         deliver.ProtocolTCP,
			ConnectTimeout:   5 * time.Second,
			WriteTimeout:     10 * time.Second,
			Framing:          deliver.FramingNewline,
			FailoverHoldDown: time.Minute,
			RELPWindow:       128,
		},
		Header: cef.Header{
			Vendor: "Kaspersky", Product: "Kaspersky Container Security", Version: "2.0",
			Hostname: host, Facility: 20, Format: cef.RFC3164,
		},
		Selection: filter.Selection{
			Categories: []string{"Administration", "Alert", "CI/CD", "Policies", "Resources", "Scanners",
				"Admission controller", "Forensic data", "API"},
			RuntimeEvents:  []string{"PM", "FM", "NT", "FPM", "FNT", "FFM", "FFTP"},
			AllAgentGroups: true,
		},
		StartupCheck:   CheckWarn,
		StatsInterval:  time.Minute,
		MaxMessageSize: 8096,
	}
}

func TestLoad(t *testing.T) {
	tests := []struct {
		property string
		value    string
		edit     func(c *Config) // turns want into the expected configuration; nil when the value is bad
		hint     string          // what the error must tell the user
	}{
		{property: "Integration", value: "", edit: func(c *Config) {}},
		{property: "Integration", value: "  soc-siem ", edit: func(c *Config) { c.Integration = "soc-siem" }},
		{property: "Integration", value: "SOC siem é", edit: func(c *Config) { c.Integration = "SOC siem é" }},
		{property: "Integration", value: "soc\x1b[2Jsiem", hint: "use a name of at most 128 characters without control characters"},
		{property: "Integration", value: "soc\xffsiem", hint: "use a name of at most 128 characters without control characters"},

		{property: "Address", value: "siem.example.com:6514", edit: func(c *Config) { c.Addresses[0].Port = 6514 }},
		{property: "Address", value: " siem.example.com. ", edit: func(c *Config) { c.Addresses[0].Host = "siem.example.com." }},
		{property: "Address", value: "xn--bcher-kva.example-1.com:1", edit: func(c *Config) {
			c.Addresses[0].Host, c.Addresses[0].Port = "xn--bcher-kva.example-1.com", 1
		}},
		{property: "Address", value: "siem", edit: func(c *Config) { c.Addresses[0].Host = "siem" }},
		{property: "Address", value: strings.Repeat("a", 63) + ".com", edit: func(c *Config) { c.Addresses[0].Host = strings.Repeat("a", 63) + ".com" }},
		{property: "Address", value: "10.0.0.1:65535", edit: func(c *Config) { c.Addresses[0].Host, c.Addresses[0].Port = "10.0.0.1", 65535 }},
		{property: "Address", value: "10.0.0.1", edit: func(c *Config) { c.Addresses[0].Host = "10.0.0.1" }},
		{property: "Address", value: "[2001:db8::1]:6514", edit: func(c *Config) { c.Addresses[0].Host, c.Addresses[0].Port = "2001:db8::1", 6514 }},
		{property: "Address", value: "[2001:db8::1:514]", edit: func(c *Config) { c.Addresses[0].Host = "2001:db8::1:514" }},
		{property: "Address", value: "[fe80::1%eth0]:514", edit: func(c *Config) { c.Addresses[0].Host = "fe80::1%eth0" }},
		{property: "Address", value: "::1", edit: func(c *Config) { c.Addresses[0].Host = "::1" }},
		{property: "Address", value: "fe80::1", edit: func(c *Config) { c.Addresses[0].Host = "fe80::1" }},
		{property: "Address", value: "fe80::1%eth0", edit: func(c *Config) { c.Addresses[0].Host = "fe80::1%eth0" }},
		{property: "Address", value: "2001:db8::1:5", edit: func(c *Config) { c.Addresses[0].Host = "2001:db8::1:5" }},
		{property: "Address", value: "2001:db8::abcd", edit: func(c *Config) { c.Addresses[0].Host = "2001:db8::abcd" }},
		{property: "Address", value: "::ffff:10.0.0.1", edit: func(c *Config) { c.Addresses[0].Host = "::ffff:10.0.0.1" }},
		{property: "Address", value: "", hint: "Fluent Bit keeps Host and Port for itself"},
		{property: "Address", value: "   ", hint: "use Address host:port, e.g. Address siem.example.com:514"},
		{property: "Address", value: "siem.example.com:0", hint: "use a port from 1 to 65535"},
		{property: "Address", value: "siem.example.com:65536", hint: "use a port from 1 to 65535"},
		{property: "Address", value: "siem.example.com:syslog", hint: "use a port from 1 to 65535"},
		{property: "Address", value: "siem.example.com:+514", hint: "use a port from 1 to 65535"},
		{property: "Address", value: "siem.example.com:", hint: "use a port from 1 to 65535"},
		{property: "Address", value: "[2001:db8::1]:", hint: "use a port from 1 to 65535"},
		{property: "Address", value: "2001:db8:0:0:0:0:0:1:514", hint: "use [2001:db8::1]:514, as an IPv6 address with a port needs brackets"},
		{property: "Address", value: "fe80::1%eth0:514", hint: "use [fe80::1%eth0]:514, as"},
		{property: "Address", value: "2001:db8::1:514", hint: "use [2001:db8::1]:514 for a port, or [2001:db8::1:514] for the address alone"},
		{property: "Address", value: "2001:db8::1:10", hint: "use [2001:db8::1]:10 for a port, or [2001:db8::1:10] for"},
		{property: "Address", value: "2001:db8::514", hint: "use [2001:db8::]:514 for a port, or [2001:db8::514] for"},
		{property: "Address", value: "fe80::1:514%eth0", hint: "use [fe80::1%eth0]:514 for a port, or [fe80::1:514%eth0] for"},
		{property: "Address", value: "siem example.com", hint: "use host, host:port or [ipv6]:port"},
		{property: "Address", value: "siem_1.example.com", hint: "use host, host:port or [ipv6]:port"},
		{property: "Address", value: "a..b", hint: "use host, host:port or [ipv6]:port"},
		{property: "Address", value: "-siem.example.com", hint: "use host, host:port or [ipv6]:port"},
		{property: "Address", value: strings.Repeat("a", 64) + ".com", hint: "use host, host:port or [ipv6]:port"},
		{property: "Address", value: strings.Repeat("abcdefg.", 32) + "com", hint: "use host, host:port or [ipv6]:port"},
		{property: "Address", value: "10.0.0.256", hint: "use host, host:port or [ipv6]:port"},
		{property: "Address", value: "2001:db8::1::2", hint: "use host, host:port or [ipv6]:port"},
		{property: "Address", value: "[10.0.0.1]:514", hint: "use host, host:port or [ipv6]:port"},
		{property: "Address", value: "[2001:db8::1", hint: "use host, host:port or [ipv6]:port"},
		{property: "Address", value: "[2001:db8::1]514", hint: "use host, host:port or [ipv6]:port"},
		{property: "Address", value: "siem-a:1514, [2001:db8::2],siem-c", edit: func(c *Config) {
			c.Addresses = []deliver.HostPort{{Host: "siem-a", Port: 1514}, {Host: "2001:db8::2", Port: 514}, {Host: "siem-c", Port: 514}}
		}},
		{property: "Address", value: "siem-a:514,,siem-b", hint: "without empty items"},
		{property: "Address", value: "siem-a:514,siem-b:0", hint: "use a port from 1 to 65535 after the host, e.g. siem.example.com:514 (in siem-b:0)"},

		{property: "Protocol", value: "UDP", edit: func(c *Config) { c.Protocol = deliver.ProtocolUDP }},
		{property: "Protocol", value: "tcp", edit: func(c *Config) { c.Protocol = deliver.ProtocolTCP }},
		{property: "Protocol", value: "sctp", hint: "use tcp, udp, tls, relp or relp+tls"},
		{property: "Protocol", value: "relp", edit: func(c *Config) { c.Protocol, c.Addresses[0].Port = deliver.ProtocolRELP, 2514 }},
		{property: "Protocol", value: "udp", edit: func(c *Config) { c.Protocol = deliver.ProtocolUDP }},

		{property: "Vendor", value: "Acme", edit: func(c *Config) { c.Vendor = "Acme" }},
		{property: "Vendor", value: "   ", edit: func(c *Config) {}},
		{property: "Vendor", value: strings.Repeat("é", 63), edit: func(c *Config) { c.Vendor = strings.Repeat("é", 63) }},
		{property: "Vendor", value: strings.Repeat("v", 64), hint: "use 1 to 63 characters without control characters"},
		{property: "Vendor", value: "Ac\tme", hint: "use 1 to 63 characters without control characters"},
		{property: "Vendor", value: "Ac\xffme", hint: "use 1 to 63 characters without control characters"},

		{property: "Product", value: "Container Guard", edit: func(c *Config) { c.Product = "Container Guard" }},
		{property: "Product", value: "Container\nGuard", hint: "use 1 to 63 characters without control characters"},

		{property: "Product_Version", value: "2.1.0", edit: func(c *Config) { c.Version = "2.1.0" }},
		{property: "Product_Version", value: strings.Repeat("1", 32), hint: "use 1 to 31 characters without control characters"},

		{property: "Hostname", value: "node-1.example.com", edit: func(c *Config) { c.Hostname = "node-1.example.com" }},
		{property: "Hostname", value: strings.Repeat("h", 255), edit: func(c *Config) { c.Hostname = strings.Repeat("h", 255) }},
		{property: "Hostname", value: "node 1", hint: "use a host name of at most 255 printable ASCII characters without spaces"},
		{property: "Hostname", value: "nöde", hint: "use a host name of at most 255 printable ASCII characters"},
		{property: "Hostname", value: strings.Repeat("h", 256), hint: "use a host name of at most 255"},

		{property: "Facility", value: "kern", edit: func(c *Config) { c.Facility = 0 }},
		{property: "Facility", value: "solaris-cron", edit: func(c *Config) { c.Facility = 15 }},
		{property: "Facility", value: "LOCAL7", edit: func(c *Config) { c.Facility = 23 }},
		{property: "Facility", value: "16", edit: func(c *Config) { c.Facility = 16 }},
		{property: "Facility", value: "24", hint: "use a syslog facility name (kern, user, … local0 … local7) or a number from 0 to 23"},
		{property: "Facility", value: "local8", hint: "or a number from 0 to 23"},
		{property: "Facility", value: "-1", hint: "or a number from 0 to 23"},

		{property: "Connect_Timeout", value: "500ms", edit: func(c *Config) { c.ConnectTimeout = 500 * time.Millisecond }},
		{property: "Connect_Timeout", value: "30", edit: func(c *Config) { c.ConnectTimeout = 30 * time.Second }},
		{property: "Connect_Timeout", value: "5m", edit: func(c *Config) { c.ConnectTimeout = 5 * time.Minute }},
		{property: "Connect_Timeout", value: "0", hint: "use a Go duration (500ms, 5s) or whole seconds, more than 0 and at most 5m"},
		{property: "Connect_Timeout", value: "-1s", hint: "more than 0 and at most 5m"},
		{property: "Connect_Timeout", value: "301", hint: "more than 0 and at most 5m"},
		{property: "Connect_Timeout", value: "soon", hint: "use a Go duration (500ms, 5s) or whole seconds"},

		{property: "Write_Timeout", value: "1m30s", edit: func(c *Config) { c.WriteTimeout = 90 * time.Second }},
		{property: "Write_Timeout", value: "5m1s", hint: "use a Go duration (500ms, 5s) or whole seconds, more than 0 and at most 5m"},

		{property: "Severity", value: "FPM/Enforce=9, NT=5 ,API-002/error=High", edit: func(c *Config) {
			c.Severity = product.Overrides{
				{Match: "FPM", Outcome: product.OutcomeEnforce, Severity: 9},
				{Match: "NT", Outcome: product.OutcomeAny, Severity: 5},
				{Match: "API-002", Outcome: product.OutcomeError, Severity: 8},
			}
		}},
		{property: "Severity", value: "PM/*=0", edit: func(c *Config) {
			c.Severity = product.Overrides{{Match: "PM", Outcome: product.OutcomeAny, Severity: 0}}
		}},
		{property: "Severity", value: "PMM=5", hint: `"PMM" is not a type prefix (ADM CVE`},
		{property: "Severity", value: "api-002/error=10", hint: `"api-002": event IDs are matched as written, write API-002`},
		{property: "Severity", value: "X-1=4, Api-002=10", hint: `"Api-002": event IDs are matched as written, write API-002`},
		{property: "Severity", value: "PM=11", hint: "SEVERITY is 0-10"},
		{property: "Severity", value: "PM=urgent", hint: "SEVERITY is 0-10"},
		{property: "Severity", value: "PM=99999999999999999999", hint: "SEVERITY is 0-10"}, // past int64: not clamped
		{property: "Severity", value: "PM=-99999999999999999999", hint: "SEVERITY is 0-10"},
		{property: "Severity", value: "PM=+7", edit: func(c *Config) {
			c.Severity = product.Overrides{{Match: "PM", Outcome: product.OutcomeAny, Severity: 7}}
		}},
		{property: "Severity", value: "PM/blocked=9", hint: "OUTCOME is success, error, audit, enforce, other or *"},
		{property: "Severity", value: "PM 9", hint: "MATCH[/OUTCOME]=SEVERITY"},
		{property: "Severity", value: "PM=9, PM=3", hint: "each MATCH/OUTCOME once (PM is repeated)"},

		{property: "Categories", value: "ALL", edit: func(c *Config) {}},
		{property: "Categories", value: "none", edit: func(c *Config) { c.Categories = []string{} }},
		{property: "Categories", value: "api, cicd,Forensic_data, admission-controller", edit: func(c *Config) {
			c.Categories = []string{"CI/CD", "Admission controller", "Forensic data", "API"}
		}},
		{property: "Categories", value: "Administration, Runtime", hint: "Runtime is not a category"},
		{property: "Categories", value: ",", hint: "use all, none, or a comma list of Administration, Alert, CI/CD"},

		{property: "Agent_Groups", value: "*", edit: func(c *Config) {}},
		{property: "Agent_Groups", value: "None", edit: func(c *Config) { c.AgentGroups, c.AllAgentGroups = []string{}, false }},
		{property: "Agent_Groups", value: "prod-agents, dev agents", edit: func(c *Config) {
			c.AgentGroups, c.AllAgentGroups = []string{"prod-agents", "dev agents"}, false
		}},
		{property: "Agent_Groups", value: "prod, *", hint: "use * (every group, and events with none), none, or a comma list"},

		{property: "Runtime_Events", value: "fpm, FNT", edit: func(c *Config) { c.RuntimeEvents = []string{"FPM", "FNT"} }},
		{property: "Runtime_Events", value: "none", edit: func(c *Config) { c.RuntimeEvents = []string{} }},
		{property: "Runtime_Events", value: "PM, ADM", hint: "ADM is not a runtime event type"},

		{property: "Startup_Check", value: "FAIL", edit: func(c *Config) { c.StartupCheck = CheckFail }},
		{property: "Startup_Check", value: "off", edit: func(c *Config) { c.StartupCheck = CheckOff }},
		{property: "Startup_Check", value: "maybe", hint: "use off, warn (log the result) or fail"},

		{property: "Stats_Interval", value: "30", edit: func(c *Config) { c.StatsInterval = 30 * time.Second }},
		{property: "Stats_Interval", value: "OFF", edit: func(c *Config) { c.StatsInterval = 0 }},
		{property: "Stats_Interval", value: "500ms", hint: "at least 1s; 0 or off for none"},
		{property: "Stats_Interval", value: "-5s", hint: "at least 1s; 0 or off for none"},

		{property: "Schema", value: "Falco", edit: func(c *Config) { c.Schema = schema.SensorFalco }},
		{property: "Schema", value: "auto", edit: func(c *Config) {}},
		{property: "Schema", value: "sysdig", hint: "use auto (the source of each record by its fingerprint, else KCS-native), kcs, falco, tetragon or tracee"},

		{property: "Merge_Log_Key", value: "falco", edit: func(c *Config) { c.MergeLogKey = "falco" }},
		{property: "Merge_Log_Key", value: "log data", hint: "no spaces or control characters"},

		{property: "Set.cluster", value: "prod-eu-1", edit: func(c *Config) {
			c.Assign = []schema.Assignment{{Field: schema.FieldCluster, Value: "prod-eu-1"}}
		}},
		{property: "Set.node_ip", value: "10.0.12.31", edit: func(c *Config) {
			c.Assign = []schema.Assignment{{Field: schema.FieldNodeIP, Value: "10.0.12.31"}}
		}},
		{property: "Set.severity", value: "High", edit: func(c *Config) {
			c.Assign = []schema.Assignment{{Field: schema.FieldSeverity, Value: "High"}}
		}},
		{property: "Set.node_ip", value: "${NODE_IP}", hint: "use an IPv4 or IPv6 address"},
		{property: "Set.src_ip", value: "fe80::1%eth0", edit: func(c *Config) {
			c.Assign = []schema.Assignment{{Field: schema.FieldSrcIP, Value: "fe80::1%eth0"}}
		}},
		{property: "Set.src_ip", value: "10.0.0.300", hint: "use an IPv4 or IPv6 address"},
		{property: "Set.dst_ip", value: "fe80::1%ethé", edit: func(c *Config) { // the zone is not sent
			c.Assign = []schema.Assignment{{Field: schema.FieldDstIP, Value: "fe80::1%ethé"}}
		}},
		{property: "Set.severity", value: "urgent", hint: "use a severity 0-10 or one of Unknown, Low, Medium, High, Very-High"},
		{property: "Set.severity", value: "11", hint: "use a severity 0-10 or one of"}, // a record's is clamped; a setting is refused
		{property: "Set.severity", value: "-1", hint: "use a severity 0-10 or one of"},
		{property: "Set.severity", value: "99999999999999999999", hint: "use a severity 0-10 or one of"},
		{property: "Set.severity", value: " 10 ", edit: func(c *Config) {
			c.Assign = []schema.Assignment{{Field: schema.FieldSeverity, Value: "10"}}
		}},
		{property: "Set.dst_port", value: "65536", hint: "use a port number 0-65535"},
		{property: "Set.pid", value: "2147483648", hint: "use a process ID from 0 to 2147483647"}, // dpid is a CEF Integer
		{property: "Set.new_pid", value: "2147483648", edit: func(c *Config) { // cn1 is a Long
			c.Assign = []schema.Assignment{{Field: schema.FieldNewPID, Value: "2147483648"}}
		}},
		{property: "Set.event_id", value: "FPM 001", hint: "use an event ID of letters, digits"},
		{property: "Set.cluster", value: "prod\teu", hint: "use text without control characters"},

		{property: "Map.cluster", value: "$kubernetes['labels']['cluster']", edit: func(c *Config) {
			c.Assign = []schema.Assignment{{Field: schema.FieldCluster, Path: record.Path{{Key: "kubernetes"}, {Key: "labels"}, {Key: "cluster"}}}}
		}},
		{property: "Map.pid", value: `$args[0]["value"]`, edit: func(c *Config) {
			c.Assign = []schema.Assignment{{Field: schema.FieldPID, Path: record.Path{{Key: "args"}, {Index: 0, IsIndex: true}, {Key: "value"}}}}
		}},
		{property: "Map.cluster", value: "kubernetes.labels.cluster", hint: "use a record accessor: $key followed by ['key'] or [index] steps"},
		{property: "Map.node", value: "$kubernetes['host'", hint: "use a record accessor"},

		{property: "Framing", value: "Octet-Counting", edit: func(c *Config) { c.Framing = deliver.FramingOctet }},
		{property: "Framing", value: "length", hint: "use newline or octet-counting"},
		{property: "Syslog_Format", value: "RFC5424", edit: func(c *Config) { c.Format = cef.RFC5424 }},
		{property: "Syslog_Format", value: "none", edit: func(c *Config) { c.Format = cef.NoSyslog }},
		{property: "Syslog_Format", value: "json", hint: "use rfc3164, rfc5424 or none"},
		{property: "Max_Message_Size", value: "65536", edit: func(c *Config) { c.MaxMessageSize = 65536 }},
		{property: "Max_Message_Size", value: "479", hint: "use a message size in bytes from 480 to 1048576"},
		{property: "Failover_Hold_Down", value: "90", hint: "use it only with more than one address in Address"},
		{property: "Failover_Hold_Down", value: "2h", hint: "from 1s to 1h"},
		{property: "RELP_Window", value: "64", hint: "use it only with Protocol relp or relp+tls (Protocol is tcp)"},
		{property: "Aggregate", value: "10s", edit: func(c *Config) { c.Aggregate = 10 * time.Second }},
		{property: "Aggregate", value: "60", edit: func(c *Config) { c.Aggregate = time.Minute }},
		{property: "Aggregate", value: "OFF", edit: func(c *Config) {}},
		{property: "Aggregate", value: "0", edit: func(c *Config) {}},
		{property: "Aggregate", value: "on", hint: "use off, or a Go duration (10s, 1m) or whole seconds from 1s to 1h"},
		{property: "Aggregate", value: "500ms", hint: "from 1s to 1h"},
		{property: "Aggregate", value: "2h", hint: "from 1s to 1h"},
		{property: "Aggregate", value: "-10s", hint: "from 1s to 1h"},
		{property: "Max_Events_Per_Second", value: "500", edit: func(c *Config) { c.MaxEventsPerSecond = 500 }},
		{property: "Max_Events_Per_Second", value: "0", edit: func(c *Config) {}},
		{property: "Max_Events_Per_Second", value: "-1", hint: "use a number of events per second (0 for no ceiling) from 0 to 1000000"},
		{property: "Max_Events_Per_Second", value: "1000001", hint: "from 0 to 1000000"},
		{property: "Max_Events_Per_Second", value: "1.5", hint: "from 0 to 1000000"},
		{property: "Max_Events_Per_Second", value: "off", hint: "from 0 to 1000000"},
		{property: "TLS_CA_File", value: "/etc/ca.pem", hint: "use it only with Protocol tls or relp+tls (Protocol is tcp)"},
		{property: "TLS_Verify", value: "off", hint: "use it only with Protocol tls or relp+tls"},
	}
	for _, tt := range tests {
		t.Run(tt.property+"="+tt.value, func(t *testing.T) {
			m := map[string]string{"Address": "siem.example.com"}
			m[tt.property] = tt.value
			got, err := Load(props(m), "siem_cef.0")

			if tt.edit == nil {
				require.Error(t, err)
				assert.Nil(t, got)
				var pe *PropertyError
				require.ErrorAs(t, err, &pe)
				assert.Equal(t, tt.property, pe.Property)
				assert.Equal(t, strings.TrimSpace(tt.value), pe.Value)
				assert.Contains(t, err.Error(), "property "+tt.property)
				assert.Contains(t, err.Error(), tt.hint)
				return
			}
			require.NoError(t, err)
			w := want(t)
			tt.edit(&w)
			assert.Equal(t, &w, got)
		})
	}
}

// README "Properties": "a property the protocol does not use (Framing with udp, TLS_CA_File with
// tcp) is refused too". Failover_Hold_Down does nothing without a second address, and udp takes one.
func TestFailoverHoldDownIsRefusedWithoutASecondAddress(t *testing.T) {
	for _, m := range []map[string]string{
		{"Address": "127.0.0.1:514", "Protocol": "udp", "Failover_Hold_Down": "5s"},
		{"Address": "127.0.0.1:514", "Protocol": "tcp", "Failover_Hold_Down": "5s"},
		{"Address": "127.0.0.1:2514", "Protocol": "relp", "Failover_Hold_Down": "5s"},
	} {
		c, err := Load(props(m), "siem_cef.0")
		assert.Nil(t, c, "%v", m)
		var pe *PropertyError
		require.ErrorAs(t, err, &pe, "%v", m)
		assert.Equal(t, "Failover_Hold_Down", pe.Property)
		assert.Contains(t, err.Error(), "more than one address in Address")
	}
	c, err := Load(props(map[string]string{"Address": "siem-a,siem-b", "Failover_Hold_Down": "90"}), "siem_cef.0")
	require.NoError(t, err)
	assert.Equal(t, 90*time.Second, c.FailoverHoldDown)
}

func TestLoadReportsEveryBadProperty(t *testing.T) {
	got, err := Load(props(map[string]string{
		"Protocol":      "sctp",
		"Vendor":        "Kaspersky",
		"Facility":      "local9",
		"Write_Timeout": "1h",
	}), "siem_cef.0")

	assert.Nil(t, got)
	var joined interface{ Unwrap() []error }
	require.ErrorAs(t, err, &joined)
	var names []string
	for _, e := range joined.Unwrap() {
		var pe *PropertyError
		require.ErrorAs(t, e, &pe)
		names = append(names, pe.Property)
	}
	assert.Equal(t, []string{"Address", "Protocol", "Facility", "Write_Timeout"}, names)

	// with Address and Protocol good, the properties the protocol does not take are reported with
	// the bad values, in one go; a property once
	_, err = Load(props(map[string]string{"Address": "siem:514", "Protocol": "udp", "Facility": "bogus",
		"RELP_Window": "5", "TLS_CA_File": "/etc/ssl/ca.pem", "Framing": "length"}), "siem_cef.0")
	names = nil
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var pe *PropertyError
		require.ErrorAs(t, e, &pe)
		names = append(names, pe.Property)
	}
	assert.Equal(t, []string{"Facility", "Framing", "RELP_Window", "TLS_CA_File"}, names)
}

// TestPropertiesAreTheKeysLoadReads: a property Load reads that Properties leaves out would be
// warned of by check-config as a key the plugin ignores, and refused by render --set.
func TestPropertiesAreTheKeysLoadReads(t *testing.T) {
	names := Properties()
	assert.Len(t, names, len(slices.Compact(slices.Sorted(slices.Values(names)))), "each name once")
	assert.Equal(t, []string{"Integration", "Address", "Protocol"}, names[:3], "Load's order")
	assert.Equal(t, tlsProperties, names[len(names)-len(tlsProperties):], "the TLS properties last")
	for _, protocol := range []string{"tcp", "udp", "tls", "relp", "relp+tls"} {
		var asked []string
		g := GetterFunc(func(k string) string {
			if !slices.Contains(asked, k) {
				asked = append(asked, k)
			}
			return map[string]string{"Address": "siem.example.com", "Protocol": protocol}[k]
		})
		_, err := Load(g, "siem_cef.0")
		require.NoError(t, err, protocol)
		assert.Subset(t, names, asked, protocol)
		if protocol == "relp+tls" { // every property applies to it
			assert.ElementsMatch(t, names, asked)
		}
	}
}

func TestPropertyErrorMessage(t *testing.T) {
	assert.Equal(t, `property Protocol: "sctp" is not accepted; use tcp, udp, tls, relp or relp+tls`,
		(&PropertyError{"Protocol", "sctp", "tcp, udp, tls, relp or relp+tls"}).Error())

	_, err := Load(props(nil), "siem_cef.0")
	assert.EqualError(t, err, "property Address is missing; use Address host:port, e.g. Address siem.example.com:514 "+
		"(Fluent Bit keeps Host and Port for itself)")
	assert.True(t, errors.As(err, new(*PropertyError)))
}

func TestString(t *testing.T) {
	c, err := Load(props(map[string]string{
		"Address":       "[2001:db8::1]:6514",
		"Protocol":      "udp",
		"Hostname":      "node-1",
		"Write_Timeout": "90",
	}), "siem_cef.1")
	require.NoError(t, err)
	assert.Equal(t, `Integration=siem_cef.1 Address=[2001:db8::1]:6514 Protocol=udp Vendor=Kaspersky `+
		`Product="Kaspersky Container Security" Product_Version=2.0 Hostname=node-1 Facility=local4 `+
		`Connect_Timeout=5s Write_Timeout=1m30s Severity=rules Startup_Check=warn Stats_Interval=1m0s Syslog_Format=rfc3164 Max_Message_Size=8096 Schema=auto`, c.String())

	c.Aggregate, c.MaxEventsPerSecond = 10*time.Second, 500 // volume control is shown when set
	assert.Contains(t, c.String(), " Max_Message_Size=8096 Aggregate=10s Max_Events_Per_Second=500 Schema=auto")

	c.Facility = 99 // a Config built by hand
	assert.Contains(t, c.String(), " Facility=99 ")
}

func TestTLS(t *testing.T) {
	dir := t.TempDir()
	ca, err := testpki.NewCA(dir, "test")
	require.NoError(t, err)
	client, err := ca.Issue("client", []string{"node-1"}, time.Now().Add(-time.Hour), time.Now().Add(time.Hour), true)
	require.NoError(t, err)
	garbage := dir + "/garbage.pem"
	require.NoError(t, os.WriteFile(garbage, []byte("not a certificate"), 0o600))

	load := func(p map[string]string) (*Config, error) {
		p["Address"] = "siem.example.com."
		p["Protocol"] = "tls"
		return Load(props(p), "siem_cef.0")
	}
	c, err := load(map[string]string{})
	require.NoError(t, err)
	assert.Equal(t, 6514, c.Addresses[0].Port, "RFC 5425's port")
	assert.Equal(t, deliver.FramingOctet, c.Framing, "RFC 5425's framing")
	assert.True(t, c.TLS.Verify)
	assert.Empty(t, c.TLS.Config.ServerName, "each address's own host name")
	assert.Equal(t, uint16(tls.VersionTLS12), c.TLS.Config.MinVersion)
	assert.Nil(t, c.TLS.Config.RootCAs, "the system's roots")
	assert.Contains(t, c.String(), " Framing=octet-counting Max_Message_Size=8096 TLS_Verify=on TLS_Server_Name=address TLS_CA_File=system TLS_Cert_File=none")

	c, err = load(map[string]string{"TLS_CA_File": ca.CertPEM, "TLS_Cert_File": client.CertFile, "TLS_Key_File": client.KeyFile,
		"TLS_Server_Name": "siem.internal", "TLS_Verify": "Off", "Framing": "newline"})
	require.NoError(t, err)
	assert.NotNil(t, c.TLS.Config.RootCAs)
	assert.Len(t, c.TLS.Config.Certificates, 1)
	assert.True(t, c.TLS.Config.InsecureSkipVerify)
	assert.Equal(t, "siem.internal", c.TLS.Config.ServerName)
	assert.Equal(t, deliver.FramingNewline, c.Framing)

	for _, tc := range []struct {
		props map[string]string
		hint  string
	}{
		{map[string]string{"TLS_CA_File": dir + "/missing.pem"}, "property TLS_CA_File: \"" + dir + "/missing.pem\" is not accepted; use a readable PEM file"},
		{map[string]string{"TLS_CA_File": garbage}, "a PEM file with at least one CA certificate (none found in it)"},
		{map[string]string{"TLS_Cert_File": client.CertFile}, "property TLS_Key_File is missing; use TLS_Key_File too"},
		{map[string]string{"TLS_Key_File": client.KeyFile}, "property TLS_Cert_File is missing; use TLS_Cert_File too"},
		{map[string]string{"TLS_Cert_File": client.CertFile, "TLS_Key_File": garbage}, "a PEM certificate whose key is TLS_Key_File"},
		{map[string]string{"TLS_Verify": "maybe"}, `property TLS_Verify: "maybe" is not accepted; use on or off`},
		{map[string]string{"TLS_Server_Name": "siem internal"}, `property TLS_Server_Name: "siem internal" is not accepted; use the host name the SIEM's certificate names`},
		{map[string]string{"TLS_Server_Name": "siem\x00.internal"}, "use the host name the SIEM's certificate names"},
		{map[string]string{"RELP_Window": "8"}, "use it only with Protocol relp or relp+tls (Protocol is tls)"},
	} {
		_, err := load(tc.props)
		require.Error(t, err, "%v", tc.props)
		assert.Contains(t, err.Error(), tc.hint)
	}
}

// README: RELP_Window is 1–1024; Merge_Log_Key at most 255 characters. Each bound is taken, one
// past it refused, naming the property.
func TestLimitsAtTheirBounds(t *testing.T) {
	relp := func(w string) map[string]string {
		return map[string]string{"Address": "siem.example.com", "Protocol": "relp", "RELP_Window": w}
	}
	mlk := func(k string) map[string]string {
		return map[string]string{"Address": "siem.example.com", "Merge_Log_Key": k}
	}
	for _, ok := range []map[string]string{relp("1"), relp("1024"), mlk(strings.Repeat("k", 255))} {
		_, err := Load(props(ok), "siem_cef.0")
		assert.NoError(t, err)
	}
	for property, bad := range map[string]map[string]string{
		"RELP_Window":   relp("1025"),
		"Merge_Log_Key": mlk(strings.Repeat("k", 256)),
	} {
		_, err := Load(props(bad), "siem_cef.0")
		var pe *PropertyError
		require.ErrorAs(t, err, &pe, property)
		assert.Equal(t, property, pe.Property)
	}
}

// With Syslog_Format rfc3164 (the default), a Hostname receivers would not read as the host is
// refused at start: rsyslog's RFC 3164 parser, in front of most SIEMs' collectors, reads the host as
// letters, digits, '.', '_' and '-' ending in a letter or a digit, and takes any other word for the
// program tag (docs/cef-and-syslog.md). RFC 5424 carries any printable name.
func TestHostnameFitsTheSyslogFormat(t *testing.T) {
	for _, h := range []string{"fe80::1", "node.example.com.", "node-", "host:1", "a+b", "my@node", "node~1", "a,b", "-", "."} {
		_, err := Load(props(map[string]string{"Address": "siem.example.com", "Hostname": h}), "siem_cef.0")
		var pe *PropertyError
		if assert.ErrorAs(t, err, &pe, h) {
			assert.Equal(t, "Hostname", pe.Property, h)
			assert.Contains(t, pe.Accepts, "Syslog_Format rfc5424", h)
		}
	}
	for _, h := range []string{"node-1", "node_1.example.com", "10.0.0.1", "A1"} {
		c, err := Load(props(map[string]string{"Address": "siem.example.com", "Hostname": h}), "siem_cef.0")
		require.NoError(t, err, h)
		assert.Equal(t, h, c.Hostname)
	}
	c, err := Load(props(map[string]string{"Address": "siem.example.com", "Hostname": "fe80::1", "Syslog_Format": "rfc5424"}), "siem_cef.0")
	require.NoError(t, err)
	assert.Equal(t, "fe80::1", c.Hostname)
	assert.True(t, rfc3164Hostname(defaultHostname()), "the default fits either format")
}
