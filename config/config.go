// Package config reads and checks the properties of one siem_cef [OUTPUT] section, that is one SIEM
// integration.
package config

import (
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/kcs-siem/siem-cef/cef"
	"github.com/kcs-siem/siem-cef/deliver"
	"github.com/kcs-siem/siem-cef/filter"
	"github.com/kcs-siem/siem-cef/product"
)

// Getter reads one property as Fluent Bit hands it over: "" when unset. Keys are case-insensitive in
// Fluent Bit; callers pass the canonical names below.
type Getter interface{ Get(key string) string }

// trimmed reads every property without the blanks around it, for the checks and their messages alike.
type trimmed struct{ Getter }

func (t trimmed) Get(key string) string { return strings.TrimSpace(t.Getter.Get(key)) }

// GetterFunc adapts a function.
type GetterFunc func(key string) string

// Get calls f.
func (f GetterFunc) Get(key string) string { return f(key) }

// Config is the effective configuration of one integration, built from the parts its stages take,
// in the order an event meets them.
type Config struct {
	Integration string
	// Mapping is the reader's and the mapper's part: Schema, Merge_Log_Key, Set./Map. and Severity.
	Mapping
	// Selection is the filter's part: the categories, runtime events and agent groups sent.
	filter.Selection
	// Header is the encoder's part: the CEF header fields, the syslog host name, facility and
	// format (Syslog_Format).
	cef.Header
	// MaxMessageSize bounds a message: the pipeline shortens a longer one to fit, rather than have
	// the receiver cut or split it. The transports never read it.
	MaxMessageSize int
	// Aggregate is the time slot in which the same runtime events of one flush are sent as one;
	// 0 sends each.
	Aggregate time.Duration
	// MaxEventsPerSecond is the rate ceiling of the integration; 0 sets none.
	MaxEventsPerSecond int
	// Settings are the transport's part: addresses, protocol, time-outs, framing, TLS, RELP
	// window and failover hold-down.
	deliver.Settings
	// StartupCheck and StatsInterval are the plugin's: the test connection at start, and how
	// often the counters are logged (0: never).
	StartupCheck  StartupCheck
	StatsInterval time.Duration
}

// PropertyError names the property, the value given and what it accepts.
type PropertyError struct{ Property, Value, Accepts string }

func (e *PropertyError) Error() string {
	if e.Value == "" {
		return fmt.Sprintf("property %s is missing; use %s", e.Property, e.Accepts)
	}
	return fmt.Sprintf("property %s: %q is not accepted; use %s", e.Property, e.Value, e.Accepts)
}

// maxHostname is the syslog limit on HOSTNAME (RFC 5424 §6.2.4).
const maxHostname = 255

// maxTimeout keeps a dead SIEM from holding a flush, and Fluent Bit's engine with it, for long.
const maxTimeout = 5 * time.Minute

// facilityNames is indexed by the syslog facility number (RFC 5424 §6.2.1, names as rsyslog spells them).
var facilityNames = []string{
	"kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv", "ftp",
	"ntp", "security", "console", "solaris-cron",
	"local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
}

// properties in the order Load reads them and reports their errors. An empty value keeps the default;
// Address has none, so it is always parsed.
var properties = []struct {
	name string
	set  func(c *Config, v string) error
}{
	{"Integration", func(c *Config, v string) (err error) { c.Integration, err = parseIntegration(v); return err }},
	{"Address", func(c *Config, v string) (err error) { c.Addresses, err = parseAddresses(v); return err }},
	{"Protocol", func(c *Config, v string) (err error) { c.Protocol, err = parseProtocol(v); return err }},
	{"Vendor", func(c *Config, v string) (err error) {
		c.Vendor, err = parseHeaderText("Vendor", v, cef.MaxVendor)
		return err
	}},
	{"Product", func(c *Config, v string) (err error) {
		c.Product, err = parseHeaderText("Product", v, cef.MaxProduct)
		return err
	}},
	{"Product_Version", func(c *Config, v string) (err error) {
		c.Version, err = parseHeaderText("Product_Version", v, cef.MaxVersion)
		return err
	}},
	{"Hostname", func(c *Config, v string) (err error) { c.Hostname, err = parseHostname(v); return err }},
	{"Facility", func(c *Config, v string) (err error) { c.Facility, err = parseFacility(v); return err }},
	{"Connect_Timeout", func(c *Config, v string) (err error) {
		c.ConnectTimeout, err = parseTimeout("Connect_Timeout", v)
		return err
	}},
	{"Write_Timeout", func(c *Config, v string) (err error) {
		c.WriteTimeout, err = parseTimeout("Write_Timeout", v)
		return err
	}},
	{"Severity", func(c *Config, v string) (err error) { c.Severity, err = parseSeverity(v); return err }},
	{"Categories", func(c *Config, v string) (err error) { c.Categories, err = parseCategories(v); return err }},
	{"Agent_Groups", func(c *Config, v string) (err error) {
		c.AgentGroups, c.AllAgentGroups, err = parseAgentGroups(v)
		return err
	}},
	{"Runtime_Events", func(c *Config, v string) (err error) { c.RuntimeEvents, err = parseRuntimeEvents(v); return err }},
	{"Startup_Check", func(c *Config, v string) (err error) { c.StartupCheck, err = parseStartupCheck(v); return err }},
	{"Stats_Interval", func(c *Config, v string) (err error) { c.StatsInterval, err = parseStatsInterval(v); return err }},
	{"Schema", func(c *Config, v string) (err error) { c.Schema, err = parseSchema(v); return err }},
	{"Merge_Log_Key", func(c *Config, v string) (err error) { c.MergeLogKey, err = parseMergeLogKey(v); return err }},
	{"Framing", func(c *Config, v string) (err error) { c.Framing, err = parseFraming(v); return err }},
	{"Syslog_Format", func(c *Config, v string) (err error) { c.Format, err = parseSyslogFormat(v); return err }},
	{"Max_Message_Size", func(c *Config, v string) (err error) {
		c.MaxMessageSize, err = parseIntRange("Max_Message_Size", v, minMessageSize, maxStreamSize, "a message size in bytes")
		return err
	}},
	{"Failover_Hold_Down", func(c *Config, v string) (err error) { c.FailoverHoldDown, err = parseHoldDown(v); return err }},
	{"RELP_Window", func(c *Config, v string) (err error) {
		c.RELPWindow, err = parseIntRange("RELP_Window", v, 1, 1024, "a number of messages")
		return err
	}},
	{"Aggregate", func(c *Config, v string) (err error) { c.Aggregate, err = parseAggregate(v); return err }},
	{"Max_Events_Per_Second", func(c *Config, v string) (err error) {
		c.MaxEventsPerSecond, err = parseIntRange("Max_Events_Per_Second", v, 0, maxEventsPerSecond, "a number of events per second (0 for no ceiling)")
		return err
	}},
}

// Load reads every property over the defaults. It reports every bad property (errors.Join of
// *PropertyError, in property order) so that a user fixes them all in one go.
func Load(g Getter, defaultIntegration string) (*Config, error) {
	g = trimmed{g}
	c := defaults(defaultIntegration)
	var errs []error
	for _, p := range properties {
		v := g.Get(p.name)
		if v == "" && p.name != "Address" {
			continue
		}
		if err := p.set(c, v); err != nil {
			errs = append(errs, err)
		}
	}
	if !names(errs, "Hostname", "Syslog_Format") {
		if err := c.hostnameFitsFormat(g); err != nil {
			errs = append(errs, err)
		}
	}
	// The checks of several properties together need the two they all depend on; a property is
	// reported once.
	if !names(errs, "Address", "Protocol") {
		for _, err := range c.finish(g) {
			if pe, ok := err.(*PropertyError); !ok || !names(errs, pe.Property) {
				errs = append(errs, err)
			}
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return c, nil
}

// names reports an error of errs about one of the properties.
func names(errs []error, properties ...string) bool {
	for _, err := range errs {
		var pe *PropertyError
		if errors.As(err, &pe) && slices.Contains(properties, pe.Property) {
			return true
		}
	}
	return false
}

// Properties are the names of every property Load reads, in its order: the table's, Set.<field>
// and Map.<field> for each field included, then the TLS properties, which only a TLS protocol
// reads. Fluent Bit gives a Go plugin no list of its section's keys: this is how `siem-cef
// check-config` tells a siem_cef property from a key nobody reads.
func Properties() []string {
	names := make([]string, 0, len(properties)+len(tlsProperties))
	for _, p := range properties {
		names = append(names, p.name)
	}
	return append(names, tlsProperties...)
}

func defaults(integration string) *Config {
	return &Config{
		Integration: integration,
		Settings: deliver.Settings{
			Protocol:       deliver.ProtocolTCP,
			ConnectTimeout: 5 * time.Second,
			WriteTimeout:   10 * time.Second,
			// Framing's default depends on the protocol (finish).
			FailoverHoldDown: time.Minute,
			RELPWindow:       128,
		},
		Header: cef.Header{
			Vendor: "Kaspersky", Product: "Kaspersky Container Security", Version: "2.0",
			Hostname: defaultHostname(),
			Facility: 20, // local4
			Format:   cef.RFC3164,
		},
		Selection: filter.Selection{
			Categories:     slices.Clone(product.Categories),
			RuntimeEvents:  slices.Clone(product.RuntimePrefixes),
			AllAgentGroups: true,
		},
		StartupCheck:  CheckWarn,
		StatsInterval: time.Minute,
		// rsyslog's default maxMessageSize: what most collectors take. rsyslog cuts a longer message,
		// and on TCP makes the rest a second event that starts in the middle of a value.
		MaxMessageSize: 8096,
	}
}

// defaultHostname is the machine's host name, or localhost when it is not one every syslog header
// carries (a container runtime may set any text).
func defaultHostname() string {
	if h, err := os.Hostname(); err == nil && rfc3164Hostname(h) {
		return h
	}
	return "localhost"
}

// rfc3164Hostname reports a host name that receivers read as the HOSTNAME of an RFC 3164 header:
// letters, digits, '.', '_' and '-', ending in a letter or a digit. rsyslog's parser, in front of
// most SIEMs' collectors, takes any other word there for the program tag and the sender's address
// for the host (fe80::1, node.example.com., node-).
func rfc3164Hostname(h string) bool {
	if h == "" || len(h) > maxHostname || !isAlnum(h[len(h)-1]) {
		return false
	}
	for i := range len(h) {
		if c := h[i]; !isAlnum(c) && c != '.' && c != '_' && c != '-' {
			return false
		}
	}
	return true
}

// hostnameFitsFormat refuses, with Syslog_Format rfc3164 (the default), a Hostname receivers would
// not read as one; RFC 5424 carries any printable one.
func (c *Config) hostnameFitsFormat(g Getter) error {
	if c.Format != cef.RFC3164 || rfc3164Hostname(c.Hostname) {
		return nil
	}
	return &PropertyError{"Hostname", g.Get("Hostname"), "with Syslog_Format rfc3164 (the default), letters, digits, " +
		"'.', '_' and '-', ending in a letter or a digit, which receivers read as the host (an IPv6 address, or a name " +
		"ending in '.', is taken for the program tag); for another name use Syslog_Format rfc5424"}
}

// parseHeaderText checks a CEF header field: a raw control character would break the line.
func parseHeaderText(property, v string, maxLen int) (string, error) {
	if !utf8.ValidString(v) || utf8.RuneCountInString(v) > maxLen || strings.ContainsFunc(v, unicode.IsControl) {
		return "", &PropertyError{property, v, fmt.Sprintf("1 to %d characters without control characters", maxLen)}
	}
	return v, nil
}

// parseHostname keeps to printable ASCII without spaces: the syslog header ends the field at a space
// (RFC 3164 §4.1.2, RFC 5424 PRINTUSASCII).
func parseHostname(v string) (string, error) {
	if !hostWord(v) {
		return "", &PropertyError{"Hostname", v, fmt.Sprintf("a host name of at most %d printable ASCII characters without spaces", maxHostname)}
	}
	return v, nil
}

// hostWord reports a host name as a header or a TLS handshake carries it: at most maxHostname
// printable ASCII characters, no space.
func hostWord(v string) bool {
	return len(v) <= maxHostname && !strings.ContainsFunc(v, func(r rune) bool { return r <= ' ' || r > '~' })
}

// maxIntegration bounds an Integration name, which every log line and metric of the instance carries.
const maxIntegration = 128

// parseIntegration keeps the name to text a log line and a metric label carry as it is.
func parseIntegration(v string) (string, error) {
	if !utf8.ValidString(v) || utf8.RuneCountInString(v) > maxIntegration || strings.ContainsFunc(v, unicode.IsControl) {
		return "", &PropertyError{"Integration", v, fmt.Sprintf("a name of at most %d characters without control characters", maxIntegration)}
	}
	return v, nil
}

func parseFacility(v string) (int, error) {
	if isDigits(v) {
		if n, err := strconv.Atoi(v); err == nil && n < len(facilityNames) {
			return n, nil
		}
	} else if n := slices.Index(facilityNames, strings.ToLower(v)); n >= 0 {
		return n, nil
	}
	return 0, &PropertyError{"Facility", v, "a syslog facility name (kern, user, … local0 … local7) or a number from 0 to 23"}
}

// parseTimeout takes a Go duration or, as most SIEM documentation writes it, a whole number of seconds.
func parseTimeout(property, v string) (time.Duration, error) {
	return parseDuration(property, v, 1, maxTimeout, false, "a Go duration (500ms, 5s) or whole seconds, more than 0 and at most 5m")
}

// parseDuration takes a Go duration or a whole number of seconds from lo to hi; with offOK, off (or
// 0) is 0. hint says what is accepted.
func parseDuration(property, v string, lo, hi time.Duration, offOK bool, hint string) (time.Duration, error) {
	if offOK && (v == "0" || strings.EqualFold(v, "off")) {
		return 0, nil
	}
	s := v
	if isDigits(v) {
		s += "s"
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < lo || d > hi {
		return 0, &PropertyError{property, v, hint}
	}
	return d, nil
}

// The bounds of Aggregate: below a second aggregating saves little; above an hour the SIEM sees
// an hour of events at the time of the first.
const (
	minAggregate = time.Second
	maxAggregate = time.Hour
)

// maxEventsPerSecond is far above what one node sends; it keeps the token bucket's arithmetic exact.
const maxEventsPerSecond = 1_000_000

// parseAggregate takes a duration or whole seconds, or off (or 0) to send every event.
func parseAggregate(v string) (time.Duration, error) {
	return parseDuration("Aggregate", v, minAggregate, maxAggregate, true, "off, or a Go duration (10s, 1m) or whole seconds from 1s to 1h")
}

// parseStatsInterval takes a duration of at least a second, or 0 or off for no stats lines.
func parseStatsInterval(v string) (time.Duration, error) {
	return parseDuration("Stats_Interval", v, time.Second, math.MaxInt64, true, "a Go duration (30s, 5m) or whole seconds, at least 1s; 0 or off for none")
}

// isDigits reports whether s is a non-empty run of decimal digits (no sign, unlike strconv.Atoi).
func isDigits(s string) bool {
	return s != "" && !strings.ContainsFunc(s, func(r rune) bool { return r < '0' || r > '9' })
}

// shown is one property of the start-up line, as it is in effect.
type shown struct{ key, value string }

// String is the effective configuration on one line, for the start-up log.
func (c *Config) String() string {
	fields := []shown{
		{"Integration", c.Integration},
		{"Address", strings.Join(c.Endpoints(), ",")},
		{"Protocol", string(c.Protocol)},
		{"Vendor", c.Vendor},
		{"Product", c.Product},
		{"Product_Version", c.Version},
		{"Hostname", c.Hostname},
		{"Facility", facilityName(c.Facility)},
		{"Connect_Timeout", c.ConnectTimeout.String()},
		{"Write_Timeout", c.WriteTimeout.String()},
		{"Severity", severityString(c.Severity)},
		{"Startup_Check", string(c.StartupCheck)},
		{"Stats_Interval", c.StatsInterval.String()},
		{"Syslog_Format", syslogFormatNames[c.Format]},
	}
	if c.Protocol == deliver.ProtocolTCP || c.Protocol == deliver.ProtocolTLS {
		fields = append(fields, shown{"Framing", framingNames[c.Framing]})
	}
	fields = append(fields, shown{"Max_Message_Size", strconv.Itoa(c.MaxMessageSize)})
	// Volume control is shown only when set, so the line of a configuration without it is as it was.
	if c.Aggregate > 0 {
		fields = append(fields, shown{"Aggregate", c.Aggregate.String()})
	}
	if c.MaxEventsPerSecond > 0 {
		fields = append(fields, shown{"Max_Events_Per_Second", strconv.Itoa(c.MaxEventsPerSecond)})
	}
	if c.Protocol.UsesRELP() {
		fields = append(fields, shown{"RELP_Window", strconv.Itoa(c.RELPWindow)})
	}
	if len(c.Addresses) > 1 {
		fields = append(fields, shown{"Failover_Hold_Down", c.FailoverHoldDown.String()})
	}
	if c.TLS != nil {
		fields = append(fields,
			shown{"TLS_Verify", map[bool]string{true: "on", false: "off"}[c.TLS.Verify]},
			shown{"TLS_Server_Name", orDefault(c.TLS.ServerName, "address")},
			shown{"TLS_CA_File", orDefault(c.TLS.CAFile, "system")},
			shown{"TLS_Cert_File", orDefault(c.TLS.CertFile, "none")})
	}
	fields = append(fields, c.schemaFields()...)
	pairs := make([]string, len(fields))
	for i, f := range fields {
		v := f.value
		if strings.ContainsFunc(v, unicode.IsSpace) {
			v = strconv.Quote(v)
		}
		pairs[i] = f.key + "=" + v
	}
	return strings.Join(pairs, " ")
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// facilityName also serves a Config built by hand, whose facility may be out of range.
func facilityName(n int) string {
	if n >= 0 && n < len(facilityNames) {
		return facilityNames[n]
	}
	return strconv.Itoa(n)
}
