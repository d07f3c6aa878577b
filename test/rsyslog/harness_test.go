// Package rsyslog sends the fixture events through the plugin, loaded by the host program of
// test/host, to a real rsyslogd from Debian (packages rsyslog, rsyslog-gnutls, rsyslog-relp) that the
// test starts on loopback with its own configuration, and checks what rsyslog wrote to its output
// files with the strict decoder.
//
// rsyslogd runs in the foreground (-n) with a configuration, a pid file and a work directory in the
// test's temporary directory. It loads no imuxsock and no imklog, so it creates no /dev/log and reads
// nothing of the system; its own messages go to a file of the temporary directory
// (processInternalMessages on), not to the system log. Each test starts its own rsyslogd and stops it
// in t.Cleanup.
package rsyslog

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kcs-siem/siem-cef/cef"
	"github.com/kcs-siem/siem-cef/internal/testpki"
	"github.com/kcs-siem/siem-cef/test/hosttest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	fixtures = "../fixtures/"
	// golden holds the RFC 3164 line the plugin writes for each fixture event with Hostname kcs-node.
	golden = "../e2e/testdata/events.cef"
	// clientName is the name in the client certificate, the one rsyslog permits with mutual TLS.
	clientName = "kcs-plugin"
)

// bins are the plugin and the host, built once for every test.
var bins *hosttest.Binaries

func TestMain(m *testing.M) { hosttest.Main(m, "../..", &bins) }

func runHost(t *testing.T, script string) ([]string, string) {
	t.Helper()
	return bins.Run(t, script)
}

var chunkOf = hosttest.ChunkFile

func fixtureChunk(t *testing.T) (string, int) {
	t.Helper()
	b, err := os.ReadFile(fixtures + "events.jsonl")
	require.NoError(t, err)
	return chunkOf(t, b)
}

// send runs one plugin instance with the given properties that flushes the chunk once to addr, and
// checks that it started and that the flush returned FLB_OK. Startup_Check fail makes the product's
// Test connection (with the TLS handshake) part of the test against the real receiver.
func send(t *testing.T, addr, props, chunk string) string {
	t.Helper()
	results, log := runHost(t, fmt.Sprintf("register\ninstance a Address=%s Hostname=kcs-node Startup_Check=fail %s\nflush a %s\nexit a\nunregister\n",
		addr, props, chunk))
	require.Equal(t, []string{"register rc=0 name=siem_cef", "init a rc=1", "flush a rc=1", "exit a rc=1", "unregister"}, results, "host log:\n%s", log)
	return log
}

// listener is one input of rsyslogd; everything it receives goes to its own output files.
type listener struct {
	Name string // the ruleset and the file names
	Addr string // 127.0.0.1:port
	UDP  bool
	// Raw has "%rawmsg%\n" per message: the message as it came off the wire, PRI and header
	// included, without the framing (the LF or the octet count, RELP's frame) and with a trailing LF
	// of a datagram dropped.
	Raw string
	// Parsed has what rsyslog's own parser made of each message: PRI, HOSTNAME, APP-NAME, MSGID,
	// MSG, separated by tabs.
	Parsed string
	input  string // the input() statement, without the ruleset
	rules  string // the actions of its ruleset, when not the two files
	queue  string // the parameters of its ruleset's own queue; none: the main queue
}

// rsyslogd is a running rsyslogd and its listeners.
type rsyslogd struct {
	Dir      string
	Conf     string
	Internal string // rsyslogd's own messages
	CA       *testpki.CA
	Client   *testpki.Pair // a client certificate named clientName, for mutual TLS

	TCP, TLS, MutualTLS, UDP, RELP, RELPTLS, MutualRELPTLS *listener
	// Relay is the README's RELP relay in front of a SIEM that speaks only TCP: what it takes goes
	// into a disk queue before it is acknowledged, and is forwarded as it came (%rawmsg%,
	// octet-counted, retried for ever) to TCP. DeadRelay is the same relay in front of a SIEM that
	// is down (a port nothing listens on): what it acknowledged stays in its queue, in files named
	// deadrelay.* in Dir.
	Relay, DeadRelay *listener
	listeners        []*listener
	proc             *os.Process // rsyslogd, once started
	exited           chan struct{}
	conf             string // the configuration's text
	output           string // rsyslogd's standard output and error
}

// rsyslogdPath finds rsyslogd: on PATH, or in /usr/sbin (not on a user's PATH). Missing, the test
// fails: CI installs the packages.
func rsyslogdPath(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("rsyslogd"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/sbin/rsyslogd"); err == nil {
		return "/usr/sbin/rsyslogd"
	}
	t.Fatal("rsyslogd is not installed: apt-get install -y rsyslog rsyslog-gnutls rsyslog-relp")
	return ""
}

// rsyslogOptions change the configuration of startRsyslog.
type rsyslogOptions struct {
	// MaxMessageSize is rsyslog's global maxMessageSize; empty leaves rsyslog's default (8096 bytes).
	MaxMessageSize string
	// RELPTLSLib is imrelp's tls.tlslib: "" for librelp's default (gnutls), or "openssl".
	RELPTLSLib string
}

// startRsyslog starts an rsyslogd with every listener and waits until each is bound; rsyslogd is
// stopped at the end of the test. A port chosen free can be taken before rsyslogd binds it (by
// another process, or by a connection's ephemeral port): rsyslogd then says so at start, and it is
// started again on other ports, three times at most.
func startRsyslog(t *testing.T, opt rsyslogOptions) *rsyslogd {
	t.Helper()
	bin := rsyslogdPath(t)
	pki := t.TempDir()
	ca, err := testpki.NewCA(pki, "rsyslog-test")
	require.NoError(t, err)
	now := time.Now()
	server, err := ca.Issue("server", []string{"localhost", "127.0.0.1"}, now.Add(-time.Hour), now.Add(time.Hour), false)
	require.NoError(t, err)
	client, err := ca.Issue("client", []string{clientName}, now.Add(-time.Hour), now.Add(time.Hour), true)
	require.NoError(t, err)
	for attempt := 1; ; attempt++ {
		r := &rsyslogd{CA: ca, Client: client}
		r.configure(t, bin, opt, server)
		err := r.start(t, bin)
		if err == nil {
			return r
		}
		if attempt == 3 {
			t.Fatalf("rsyslogd did not start: %v\nconfiguration:\n%s", err, r.conf)
		}
		t.Logf("rsyslogd did not start, trying other ports: %v", err)
	}
}

// configure chooses the ports and writes the configuration, checked by rsyslogd -N1, in a new
// directory.
func (r *rsyslogd) configure(t *testing.T, bin string, opt rsyslogOptions, server *testpki.Pair) {
	t.Helper()
	dir := t.TempDir()
	r.Dir, r.Conf, r.Internal, r.output = dir, filepath.Join(dir, "rsyslog.conf"), filepath.Join(dir, "rsyslogd.log"), filepath.Join(dir, "rsyslogd.out")
	ports := map[int]bool{}
	add := func(name string, udp bool, input string) *listener {
		port := freePort(t, udp, ports)
		l := &listener{Name: name, Addr: "127.0.0.1:" + strconv.Itoa(port), UDP: udp,
			Raw: filepath.Join(dir, name+".raw"), Parsed: filepath.Join(dir, name+".parsed"),
			input: fmt.Sprintf(input, port)}
		r.listeners = append(r.listeners, l)
		return l
	}
	ca := r.CA
	// imtcp with the gtls driver: mode 1 is TLS only; anon does not ask the client for a certificate
	// (the server still presents its own), x509/name wants a client certificate from the CA whose
	// name is permitted.
	gtls := fmt.Sprintf(`streamDriver.name="gtls" streamDriver.mode="1" streamDriver.CAFile=%q streamDriver.CertFile=%q streamDriver.KeyFile=%q`,
		ca.CertPEM, server.CertFile, server.KeyFile)
	// imrelp with tls on. imrelp refuses tls.authMode "anon" (and an invalid authMode passes
	// rsyslogd -N1: it only shows when the listener fails to start). Without tls.authMode, librelp's
	// default TLS library (gnutls) refuses every client, with or without a certificate ("non-permited
	// fingerprint"); with tls.tlslib "openssl" the client needs no certificate. tls.authMode "name"
	// (or "certvalid") wants a client certificate from the CA, with either library.
	relpTLS := fmt.Sprintf(`tls="on" tls.caCert=%q tls.myCert=%q tls.myPrivKey=%q`, ca.CertPEM, server.CertFile, server.KeyFile)
	r.TCP = add("tcp", false, `input(type="imtcp" address="127.0.0.1" port="%d"`)
	r.TLS = add("tls", false, `input(type="imtcp" address="127.0.0.1" port="%d" `+gtls+` streamDriver.authMode="anon"`)
	r.MutualTLS = add("mtls", false, `input(type="imtcp" address="127.0.0.1" port="%d" `+gtls+
		` streamDriver.authMode="x509/name" permittedPeer=["`+clientName+`"]`)
	r.UDP = add("udp", true, `input(type="imudp" address="127.0.0.1" port="%d"`)
	r.RELP = add("relp", false, `input(type="imrelp" address="127.0.0.1" port="%d"`)
	r.RELPTLS = add("relptls", false, `input(type="imrelp" address="127.0.0.1" port="%d" `+relpTLS)
	r.MutualRELPTLS = add("mrelptls", false, `input(type="imrelp" address="127.0.0.1" port="%d" `+relpTLS+
		` tls.authMode="name" tls.permittedPeer=["`+clientName+`"]`)
	relay := func(name string, siemPort int) *listener {
		l := add(name, false, `input(type="imrelp" address="127.0.0.1" port="%d"`)
		l.queue = fmt.Sprintf(`queue.type="Disk" queue.filename=%q queue.syncQueueFiles="on" queue.checkpointInterval="1"`, name)
		l.rules = fmt.Sprintf(`action(type="omfwd" target="127.0.0.1" port="%d" protocol="tcp" tcp_framing="octet-counted" template="forward-raw" action.resumeRetryCount="-1")`, siemPort)
		return l
	}
	tcpPort, _ := strconv.Atoi(r.TCP.Addr[len("127.0.0.1:"):])
	r.Relay = relay("relay", tcpPort)
	r.DeadRelay = relay("deadrelay", freePort(t, false, ports)) // free, and never bound

	var conf strings.Builder
	relpModule := ""
	if opt.RELPTLSLib != "" {
		relpModule = fmt.Sprintf(" tls.tlslib=%q", opt.RELPTLSLib)
	}
	global := fmt.Sprintf(`workDirectory=%q processInternalMessages="on" net.enableDNS="off"`, dir)
	if opt.MaxMessageSize != "" {
		global += fmt.Sprintf(" maxMessageSize=%q", opt.MaxMessageSize)
	}
	fmt.Fprintf(&conf, `# written by test/rsyslog: no imuxsock, no imklog; nothing of the system is read or written
global(%s)
module(load="imtcp")
module(load="imudp")
module(load="imrelp"%s)
template(name="raw" type="string" string="%%rawmsg%%\n")
template(name="forward-raw" type="string" string="%%rawmsg%%")
template(name="parsed" type="string" string="%%pri%%\t%%hostname%%\t%%app-name%%\t%%msgid%%\t%%msg%%\n")
`, global, relpModule)
	for _, l := range r.listeners {
		rules := l.rules
		if rules == "" {
			rules = fmt.Sprintf("action(type=\"omfile\" file=%q template=\"raw\")\n\taction(type=\"omfile\" file=%q template=\"parsed\")", l.Raw, l.Parsed)
		}
		fmt.Fprintf(&conf, "ruleset(name=%q %s) {\n\t%s\n}\n%s ruleset=%q)\n", l.Name, l.queue, rules, l.input, l.Name)
	}
	// rsyslogd's own messages (the default ruleset: nothing else reaches it)
	fmt.Fprintf(&conf, "action(type=\"omfile\" file=%q)\n", r.Internal)
	r.conf = conf.String()
	require.NoError(t, os.WriteFile(r.Conf, []byte(r.conf), 0o644))

	check, err := exec.Command(bin, "-N1", "-f", r.Conf).CombinedOutput()
	require.NoError(t, err, "rsyslogd -N1 rejects the configuration:\n%s\n%s", check, r.conf)
}

// start starts rsyslogd and waits until it has bound every listener (read from /proc, so that no
// probe connection shows in rsyslog's log) and logged its start, without a problem. On success
// rsyslogd is stopped at the end of the test; on failure at once.
func (r *rsyslogd) start(t *testing.T, bin string) error {
	t.Helper()
	cmd := exec.Command(bin, "-n", "-f", r.Conf, "-i", filepath.Join(r.Dir, "rsyslogd.pid"))
	out, err := os.Create(r.output)
	require.NoError(t, err)
	defer out.Close() // rsyslogd has its own copy
	cmd.Stdout, cmd.Stderr = out, out
	require.NoError(t, cmd.Start())
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	r.proc, r.exited = cmd.Process, exited
	stop := func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case <-exited:
			return fmt.Errorf("rsyslogd exited at start: %s\n%s\n%s", cmd.ProcessState, r.stderr(), r.internalLog())
		default:
		}
		log := r.internalLog()
		// rsyslog numbers its errors and warnings ("rsyslogd-2353: imrelp[PORT]: error while binding
		// relp tcp socket"); at start there must be none.
		if strings.Contains(log, "rsyslogd-") {
			stop()
			return fmt.Errorf("rsyslogd reported a problem at start:\n%s%s", r.stderr(), log)
		}
		missing := r.unbound(cmd.Process.Pid)
		started := strings.Contains(log, `[origin software="rsyslogd"`)
		if len(missing) == 0 && started {
			break
		}
		if time.Now().After(deadline) {
			stop()
			return fmt.Errorf("rsyslogd does not listen on %v after 10s (start logged: %v)\n%s%s", missing, started, r.stderr(), log)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Cleanup(func() {
		stop()
		if t.Failed() {
			t.Logf("rsyslogd configuration:\n%s\nrsyslogd output:\n%s\nrsyslogd messages:\n%s", r.conf, r.stderr(), r.internalLog())
		}
	})
	return nil
}

// crash kills rsyslogd as a crash, an OOM kill or the loss of its node would: nothing is flushed.
func (r *rsyslogd) crash() {
	r.proc.Kill()
	<-r.exited
}

func (r *rsyslogd) internalLog() string {
	b, _ := os.ReadFile(r.Internal)
	return string(b)
}

func (r *rsyslogd) stderr() string {
	b, _ := os.ReadFile(r.output)
	return string(b)
}

// freePort returns a loopback port, for tcp or udp, that is free now and not in taken. It is chosen
// below the ephemeral range when there is room there, so that no outgoing connection takes it before
// rsyslogd binds it.
func freePort(t *testing.T, udp bool, taken map[int]bool) int {
	t.Helper()
	low := 0
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			low, _ = strconv.Atoi(f[0])
		}
	}
	for range 1000 {
		port := 0
		if low > 12000 {
			port = 10000 + rand.IntN(low-10000)
		}
		if taken[port] {
			continue
		}
		var got int
		if udp {
			pc, err := net.ListenPacket("udp", "127.0.0.1:"+strconv.Itoa(port))
			if err != nil {
				continue
			}
			got = pc.LocalAddr().(*net.UDPAddr).Port
			pc.Close()
		} else {
			ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
			if err != nil {
				continue
			}
			got = ln.Addr().(*net.TCPAddr).Port
			ln.Close()
		}
		if !taken[got] {
			taken[got] = true
			return got
		}
	}
	t.Fatal("no free loopback port")
	return 0
}

// unbound lists the listeners whose socket rsyslogd (process pid) does not hold yet: TCP in LISTEN
// state, UDP bound.
func (r *rsyslogd) unbound(pid int) []string {
	// the inodes of the process's sockets
	mine := map[string]bool{}
	fds, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	for _, fd := range fds {
		if link, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name())); err == nil {
			if inode, ok := strings.CutPrefix(link, "socket:["); ok {
				mine[strings.TrimSuffix(inode, "]")] = true
			}
		}
	}
	bound := map[string]bool{}
	for _, f := range []string{"/proc/net/tcp", "/proc/net/udp"} {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		udp := strings.HasSuffix(f, "udp")
		for _, line := range strings.Split(string(b), "\n")[1:] {
			fields := strings.Fields(line)
			if len(fields) < 10 || !mine[fields[9]] {
				continue
			}
			local, state := fields[1], fields[3]
			if !udp && state != "0A" { // TCP_LISTEN
				continue
			}
			if ip, port, ok := strings.Cut(local, ":"); ok && ip == "0100007F" { // 127.0.0.1
				p, _ := strconv.ParseUint(port, 16, 16)
				bound[fmt.Sprintf("%v/%d", udp, p)] = true
			}
		}
	}
	var missing []string
	for _, l := range r.listeners {
		_, port, _ := net.SplitHostPort(l.Addr)
		if !bound[fmt.Sprintf("%v/%s", l.UDP, port)] {
			missing = append(missing, l.Name+" "+l.Addr)
		}
	}
	return missing
}

// readLines returns the lines of a file so far (none while rsyslog has not created it).
func readLines(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	require.NoError(t, err)
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	require.NoError(t, sc.Err())
	return lines
}

// waitLines waits up to ten seconds for n lines in a file rsyslog writes, then a moment more so that
// an extra line would show, and returns what is there.
func waitLines(t *testing.T, path string, n int) []string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for len(readLines(t, path)) < n && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	return readLines(t, path)
}

// parsedLine is what rsyslog's parser made of one message.
type parsedLine struct{ PRI, Hostname, AppName, MsgID, Msg string }

func readParsed(t *testing.T, l *listener, n int) []parsedLine {
	t.Helper()
	var out []parsedLine
	for _, line := range waitLines(t, l.Parsed, n) {
		f := strings.SplitN(line, "\t", 5)
		require.Len(t, f, 5, line)
		out = append(out, parsedLine{f[0], f[1], f[2], f[3], f[4]})
	}
	return out
}

// checkEvents reads what the listener received and checks that each of the 30 fixture events arrived
// exactly once, decoded by the strict decoder, with the expected syslog header version (0 for RFC
// 3164, 1 for RFC 5424). It returns the raw lines and the decoded messages.
func checkEvents(t *testing.T, l *listener, n, version int) ([]string, []*cef.Message) {
	t.Helper()
	lines := waitLines(t, l.Raw, n)
	require.Len(t, lines, n, "%s: every event exactly once in rsyslog's output", l.Name)
	perClass := map[string]int{}
	var msgs []*cef.Message
	for _, line := range lines {
		s, m, err := cef.ParseSyslog(line)
		require.NoError(t, err, "%s: the strict decoder rejects what rsyslog received: %q", l.Name, line)
		assert.Equal(t, version, s.Version, line)
		assert.Equal(t, "kcs-node", s.Hostname, line)
		perClass[m.ClassID]++
		msgs = append(msgs, m)
	}
	assert.Len(t, perClass, n, "%s: %d distinct class IDs", l.Name, n)
	for class, count := range perClass {
		assert.Equal(t, 1, count, "%s: class %s", l.Name, class)
	}
	return lines, msgs
}

// checkGolden checks that the RFC 3164 lines rsyslog received are byte for byte those of the golden
// file (in any order: UDP does not keep it), and that rsyslog's own parser read PRI and host name.
func checkGolden(t *testing.T, l *listener, lines []string) {
	t.Helper()
	b, err := os.ReadFile(golden)
	require.NoError(t, err)
	want := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	got := append([]string(nil), lines...)
	sort.Strings(want)
	sort.Strings(got)
	assert.Equal(t, want, got, "%s: what rsyslog received is what the plugin writes", l.Name)

	// RFC 3164 has no program tag before "CEF:", so rsyslog's parser takes "CEF:" for the tag (APP-NAME
	// "CEF") and the message starts after it: a relay must forward %rawmsg%, not the tag and %msg%.
	var wantParsed []string
	for _, line := range lines {
		s, _, err := cef.ParseSyslog(line)
		require.NoError(t, err)
		_, msg, _ := strings.Cut(line, " CEF:")
		wantParsed = append(wantParsed, strings.Join([]string{strconv.Itoa(s.Priority), "kcs-node", "CEF", "-", msg}, "\t"))
	}
	gotParsed := waitLines(t, l.Parsed, len(lines))
	sort.Strings(wantParsed)
	sort.Strings(gotParsed)
	assert.Equal(t, wantParsed, gotParsed, "%s: rsyslog's parser reads PRI and host name", l.Name)
}
