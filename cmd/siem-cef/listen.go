package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/kcs-siem/siem-cef/cef"
	"github.com/kcs-siem/siem-cef/internal/logtext"
)

func init() {
	register(&command{
		name:     "listen",
		synopsis: "[--tcp ADDR] [--udp ADDR] [--tls ADDR --tls-cert FILE --tls-key FILE [--tls-client-ca FILE]] [--json] [--count N] [--timeout DUR] [--out FILE] [--max-conns N] [--idle-timeout DUR] [--handshake-timeout DUR]",
		summary:  "receive syslog CEF messages like a SIEM and validate each one strictly",
		doc: `
Listens on TCP (newline-framed or octet-counted messages, told apart by their first byte, many
connections at once) and/or UDP (one message per datagram) and checks every message with the strict decoder. A CR before the LF is part of the
message, so it makes the message invalid. Port 0 picks a free port; the bound addresses are printed
on stderr as "listening tcp ADDR" and "listening udp ADDR".

Prints one line per message: the message itself when it is valid, else
"INVALID (reason): <message quoted>"; with --json one JSON object per message. Nothing a terminal
or a line-based reader acts on is printed raw: a valid message that holds a C1 control, U+2028,
U+2029 or a format character (bidi control, zero-width character, BOM) is printed quoted like an
invalid one ("<message quoted>", which no message starts with), and --json escapes them.

It is safe to leave running facing senders it does not trust: at most --max-conns TCP and TLS
connections at once (those over it are closed at once, and counted at the end), a connection silent
for --idle-timeout is closed, a TLS handshake must end within --handshake-timeout, and a connection
holds memory for the bytes that came, at most 1 MiB of message (a longer one is reported invalid),
not for what an octet count claims. On stderr, per 10 s, at most one line about refused connections
and ten about connections that failed or went idle; the next line says how many were held back.

Stops after --count messages, after --timeout, or on SIGINT/SIGTERM. Exit status: 1 if any message
was invalid, or if it stopped before --count messages arrived; 0 otherwise; 2 for a bad command line.`,
		flags: func(fs *flag.FlagSet) func(*invocation) int {
			o := &listenOpts{}
			fs.StringVar(&o.tcp, "tcp", "", "listen for TCP on `ADDR` (host:port, port 0 for any)")
			fs.StringVar(&o.udp, "udp", "", "listen for UDP on `ADDR` (host:port, port 0 for any)")
			fs.StringVar(&o.tls, "tls", "", "listen for TLS on `ADDR` (host:port, port 0 for any), with --tls-cert and --tls-key")
			fs.StringVar(&o.tlsCert, "tls-cert", "", "the server certificate for --tls, a PEM `FILE`")
			fs.StringVar(&o.tlsKey, "tls-key", "", "the key of --tls-cert, a PEM `FILE`")
			fs.StringVar(&o.tlsClientCA, "tls-client-ca", "", "require client certificates signed by the CAs of this PEM `FILE`")
			fs.BoolVar(&o.json, "json", false, "print one JSON object per message")
			fs.IntVar(&o.count, "count", 0, "stop after `N` messages (0: no limit)")
			fs.DurationVar(&o.timeout, "timeout", 0, "stop after `DUR` (0: no limit)")
			fs.StringVar(&o.out, "out", "", "write the output to `FILE` instead of standard output")
			fs.IntVar(&o.maxConns, "max-conns", 256, "take at most `N` TCP and TLS connections at once")
			fs.DurationVar(&o.idleTimeout, "idle-timeout", time.Minute, "close a connection that sends nothing for `DUR`")
			fs.DurationVar(&o.handshakeTimeout, "handshake-timeout", 10*time.Second, "close a TLS connection whose handshake takes longer than `DUR`")
			return o.run
		},
	})
}

type listenOpts struct {
	tcp, udp string
	tls      string
	// the TLS listener's certificate and key, and the CAs of the client certificates it requires
	tlsCert, tlsKey, tlsClientCA string
	json                         bool
	count                        int
	timeout                      time.Duration
	out                          string
	// what a TCP or TLS sender may hold: connections at once, silence, and time to shake hands
	maxConns                      int
	idleTimeout, handshakeTimeout time.Duration
}

const (
	maxTCPMessage = 1 << 20 // longer TCP messages are reported invalid, cut to this length
	udpBufferSize = 65535
	// keptBuffer is the largest message buffer a connection keeps between messages: a longer message
	// is rare, and an idle connection should not hold it.
	keptBuffer = 64 << 10
	// lineWindow and the bursts below bound the diagnostics that senders cause: at most one line
	// about refused connections and ten about what went wrong on a connection per window.
	lineWindow       = 10 * time.Second
	refusalLineBurst = 1
	connLineBurst    = 10
)

// received is one message as it came off the wire.
type received struct {
	transport string // "tcp" or "udp"
	peer      string
	raw       string
	framing   error // a TCP message that was not properly framed; nil otherwise
}

// lockedWriter serializes the diagnostics the receiving goroutines write on stderr.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (o *listenOpts) run(inv *invocation) int {
	if problem := o.flagProblem(inv.args); problem != "" {
		return inv.usageError("%s", problem)
	}
	inv.stderr = &lockedWriter{w: inv.stderr}

	ctx, cancel := context.WithCancel(inv.ctx)
	defer cancel()
	r := &receivers{ctx: ctx, msgs: make(chan received, 64), logf: inv.logf,
		limit:     &connLimit{max: o.maxConns, lines: &throttle{burst: refusalLineBurst, logf: inv.logf}},
		connLines: &throttle{burst: connLineBurst, logf: inv.logf}}
	defer r.stop(cancel)
	if err := o.start(r, inv.stderr); err != nil {
		return inv.fail("%v", err)
	}
	out, closeOut, err := o.output(inv)
	if err != nil {
		return inv.fail("%v", err)
	}
	defer closeOut()
	n, invalid, stopped, err := o.receive(inv.ctx, r.msgs, out)
	if err != nil {
		return inv.fail("writing the output: %v", err)
	}
	return o.summary(inv, n, invalid, stopped)
}

// flagProblem is what is wrong with the command line, "" when nothing is.
func (o *listenOpts) flagProblem(args []string) string {
	switch {
	case len(args) > 0:
		return fmt.Sprintf("unexpected arguments %q", args)
	case o.tcp == "" && o.udp == "" && o.tls == "":
		return "give --tcp ADDR, --udp ADDR, --tls ADDR, or several"
	case o.tls != "" && (o.tlsCert == "" || o.tlsKey == ""):
		return "--tls needs --tls-cert and --tls-key"
	case o.count < 0:
		return "--count must not be negative"
	case o.timeout < 0:
		return "--timeout must not be negative"
	case o.maxConns < 1:
		return "--max-conns must be at least 1"
	case o.idleTimeout <= 0 || o.handshakeTimeout <= 0:
		return "--idle-timeout and --handshake-timeout must be positive"
	}
	return ""
}

// receivers are the servers of one run and what they share: the channel of received messages,
// the connection limit and the throttled lines about connections.
type receivers struct {
	ctx       context.Context
	msgs      chan received
	logf      func(string, ...any)
	limit     *connLimit
	connLines *throttle
	wg        sync.WaitGroup
	stops     []func()
}

// deliver hands a message to the writing loop; false once the run is over.
func (r *receivers) deliver(m received) bool {
	select {
	case r.msgs <- m:
		return true
	case <-r.ctx.Done():
		return false
	}
}

// stop ends every server, waits for them, and says what was refused or held back.
func (r *receivers) stop(cancel context.CancelFunc) {
	cancel()
	for _, stop := range r.stops {
		stop()
	}
	r.wg.Wait()
	if r.limit.refused > 0 {
		r.logf("refused %d connections over --max-conns %d", r.limit.refused, r.limit.max)
	}
	if r.connLines.held > 0 {
		r.logf("%d more lines about connections held back", r.connLines.held)
	}
}

// start opens the listeners the flags ask for and serves each on its own goroutine, saying on
// stderr where each listens.
func (o *listenOpts) start(r *receivers, stderr io.Writer) error {
	for _, l := range []struct{ transport, addr string }{{"tcp", o.tcp}, {"tls", o.tls}} {
		if l.addr == "" {
			continue
		}
		ln, err := o.streamListener(l.transport, l.addr)
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "listening %s %s\n", l.transport, ln.Addr())
		s := &tcpServer{transport: l.transport, ln: ln, limit: r.limit, idle: o.idleTimeout, handshake: o.handshakeTimeout,
			conns: map[net.Conn]struct{}{}, deliver: r.deliver, logf: r.logf, connLines: r.connLines}
		r.stops = append(r.stops, s.stop)
		r.wg.Go(func() { s.serve(r.ctx) })
	}
	if o.udp != "" {
		pc, err := net.ListenPacket("udp", o.udp)
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "listening udp %s\n", pc.LocalAddr())
		r.stops = append(r.stops, func() { pc.Close() })
		r.wg.Go(func() { serveUDP(r.ctx, pc, r.deliver, r.logf) })
	}
	return nil
}

// streamListener listens on addr for --tcp, or for --tls with the server's certificate.
func (o *listenOpts) streamListener(transport, addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil || transport != "tls" {
		return ln, err
	}
	cfg, err := o.serverTLS()
	if err != nil {
		ln.Close()
		return nil, err
	}
	return tls.NewListener(ln, cfg), nil
}

// output is where the messages are written: --out, or stdout; closeOut closes a file and says why
// that failed.
func (o *listenOpts) output(inv *invocation) (out io.Writer, closeOut func(), err error) {
	if o.out == "" {
		return inv.stdout, func() {}, nil
	}
	f, err := os.Create(o.out)
	if err != nil {
		return nil, nil, err
	}
	return f, func() {
		if err := f.Close(); err != nil {
			inv.logf("%v", err)
		}
	}, nil
}

// receive writes each message as it comes until --count messages, --timeout, or an interrupt
// (stopped says which of the last two). It is the only writer of the output, so lines never
// interleave.
func (o *listenOpts) receive(interrupt context.Context, msgs <-chan received, out io.Writer) (n, invalid int, stopped string, err error) {
	var timeout <-chan time.Time
	if o.timeout > 0 {
		t := time.NewTimer(o.timeout)
		defer t.Stop()
		timeout = t.C
	}
	w := bufio.NewWriter(out)
	for stopped == "" && (o.count == 0 || n < o.count) {
		select {
		case m := <-msgs:
			n++
			if !writeMessage(w, m, o.json) {
				invalid++
			}
			if err := w.Flush(); err != nil {
				return n, invalid, "", err
			}
		case <-timeout:
			stopped = "timeout"
		case <-interrupt.Done():
			stopped = "interrupted"
		}
	}
	return n, invalid, stopped, nil
}

// summary says how many messages came and which were invalid, and is the exit status: 1 for an
// invalid message or fewer than --count.
func (o *listenOpts) summary(inv *invocation, n, invalid int, stopped string) int {
	code := exitOK
	if invalid > 0 {
		code = exitFail
	}
	fmt.Fprintf(inv.stderr, "received %d messages, %d invalid\n", n, invalid)
	if o.count > 0 && n < o.count {
		inv.logf("%s: received %d of %d messages", stopped, n, o.count)
		code = exitFail
	}
	return code
}

// serverTLS is the TLS configuration of --tls: TLS 1.2 or newer, client certificates required when
// --tls-client-ca names their CAs.
func (o *listenOpts) serverTLS() (*tls.Config, error) {
	pair, err := tls.LoadX509KeyPair(o.tlsCert, o.tlsKey)
	if err != nil {
		return nil, fmt.Errorf("--tls-cert/--tls-key: %w", err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}
	if o.tlsClientCA != "" {
		pem, err := os.ReadFile(o.tlsClientCA)
		if err != nil {
			return nil, fmt.Errorf("--tls-client-ca: %w", err)
		}
		cfg.ClientCAs = x509.NewCertPool()
		if !cfg.ClientCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--tls-client-ca: no certificate in %s", o.tlsClientCA)
		}
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return cfg, nil
}

// writeMessage validates one message and writes its output line; it reports whether it was valid.
func writeMessage(w *bufio.Writer, m received, asJSON bool) bool {
	hdr, msg, err := cef.ParseSyslog(m.raw)
	if m.framing != nil {
		err = m.framing
	}
	if asJSON {
		j := jsonMessage{Transport: m.transport, Peer: m.peer, Valid: err == nil, Raw: m.raw}
		if err != nil {
			j.Error = err.Error()
		} else {
			j.Syslog = &jsonSyslog{Priority: hdr.Priority, Stamp: hdr.Stamp, Hostname: hdr.Hostname}
			j.CEF = &jsonCEF{Vendor: msg.Vendor, Product: msg.Product, Version: msg.Version,
				ClassID: msg.ClassID, Name: msg.Name, Severity: msg.Severity,
				Extension: make([][2]string, 0, len(msg.Extension))}
			for _, p := range msg.Extension {
				j.CEF.Extension = append(j.CEF.Extension, [2]string{p.Key, p.Value})
			}
		}
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		enc.Encode(j) // cannot fail: strings, ints and bools only
		w.Write(escapeJSON(bytes.TrimSuffix(b.Bytes(), []byte("\n"))))
		w.WriteByte('\n')
	} else if err != nil {
		fmt.Fprintf(w, "INVALID (%v): %q\n", err, m.raw)
	} else if strings.ContainsFunc(m.raw, actsOnReader) {
		w.WriteString(strconv.Quote(m.raw))
		w.WriteByte('\n')
	} else {
		w.WriteString(m.raw) // a valid message has no CR or LF
		w.WriteByte('\n')
	}
	return err == nil
}

// actsOnReader reports whether r, printed raw, lets a message act on whoever reads the output: C0
// and C1 controls and DEL (ESC starts terminal sequences), U+2028 and U+2029 (line ends to some
// parsers), and format characters (bidi controls reorder text, zero-width characters and BOM hide it).
func actsOnReader(r rune) bool {
	return unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || unicode.Is(unicode.Cf, r)
}

// escapeJSON writes as \uXXXX escapes the characters of actsOnReader that encoding/json leaves raw
// (DEL, C1 controls, format characters). JSON text is ASCII outside strings, so they are all in strings.
func escapeJSON(js []byte) []byte {
	if !bytes.ContainsFunc(js, actsOnReader) {
		return js
	}
	out := make([]byte, 0, len(js)+32)
	for len(js) > 0 {
		r, size := utf8.DecodeRune(js)
		switch {
		case !actsOnReader(r):
			out = append(out, js[:size]...)
		case r > 0xffff: // outside the BMP: a surrogate pair
			r1, r2 := utf16.EncodeRune(r)
			out = fmt.Appendf(out, `\u%04x\u%04x`, r1, r2)
		default:
			out = fmt.Appendf(out, `\u%04x`, r)
		}
		js = js[size:]
	}
	return out
}

// jsonMessage is the --json output of one message. Syslog and CEF are null when it is invalid.
type jsonMessage struct {
	Transport string      `json:"transport"`
	Peer      string      `json:"peer"`
	Valid     bool        `json:"valid"`
	Error     string      `json:"error"`
	Syslog    *jsonSyslog `json:"syslog"`
	CEF       *jsonCEF    `json:"cef"`
	Raw       string      `json:"raw"`
}

type jsonSyslog struct {
	Priority int    `json:"priority"`
	Stamp    string `json:"stamp"`
	Hostname string `json:"hostname"`
}

type jsonCEF struct {
	Vendor    string      `json:"vendor"`
	Product   string      `json:"product"`
	Version   string      `json:"version"`
	ClassID   string      `json:"class_id"`
	Name      string      `json:"name"`
	Severity  int         `json:"severity"`
	Extension [][2]string `json:"extension"` // [key, value] pairs in the order written
}

// throttle writes at most burst lines per lineWindow. A line held back is counted in the next one
// written; held is the count not yet written.
type throttle struct {
	burst int
	logf  func(string, ...any)

	mu      sync.Mutex
	start   time.Time // of the current window
	written int       // lines in it
	held    int
}

func (t *throttle) printf(format string, a ...any) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if now := time.Now(); now.Sub(t.start) >= lineWindow {
		t.start, t.written = now, 0
	}
	if t.written == t.burst {
		t.held++
		return
	}
	t.written++
	line := fmt.Sprintf(format, a...)
	if t.held > 0 {
		line += fmt.Sprintf(" (%d such lines held back before this one)", t.held)
		t.held = 0
	}
	t.logf("%s", line)
}

// connLimit admits at most max TCP and TLS connections at once, across the listeners.
type connLimit struct {
	max   int
	lines *throttle // about refusals

	mu      sync.Mutex
	open    int
	refused int // in all
}

// admit takes a place for a new connection, or refuses it and says so through lines.
func (l *connLimit) admit(transport, peer string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open < l.max {
		l.open++
		return true
	}
	l.refused++
	l.lines.printf("%s %s: refused, %d connections open (--max-conns)", transport, peer, l.open)
	return false
}

func (l *connLimit) release() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.open--
}

// idleConn fails a read that waits longer than idle, counting what the read writes (TLS answers a
// key update) so that a client that stops reading cannot hold it either.
type idleConn struct {
	net.Conn
	idle time.Duration
}

func (c idleConn) Read(p []byte) (int, error) {
	if err := c.SetDeadline(time.Now().Add(c.idle)); err != nil {
		return 0, err
	}
	return c.Conn.Read(p)
}

// tcpServer accepts TCP or TLS connections and reads the messages of each, in either framing.
type tcpServer struct {
	transport       string // "tcp" or "tls"
	ln              net.Listener
	limit           *connLimit
	idle, handshake time.Duration
	deliver         func(received) bool
	logf            func(string, ...any)
	connLines       *throttle // what went wrong on a connection

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup
}

func (s *tcpServer) serve(ctx context.Context) {
	defer s.wg.Wait()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			s.logf("%s: %v", s.transport, err)
			select { // e.g. out of file descriptors: do not spin
			case <-ctx.Done():
				return
			case <-time.After(100 * time.Millisecond):
			}
			continue
		}
		if !s.limit.admit(s.transport, c.RemoteAddr().String()) {
			c.Close()
			continue
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			c.Close()
			return
		}
		s.conns[c] = struct{}{}
		s.mu.Unlock()
		s.wg.Go(func() {
			defer func() {
				s.mu.Lock()
				delete(s.conns, c)
				s.mu.Unlock()
				c.Close()
				s.limit.release()
			}()
			s.read(ctx, c)
		})
	}
}

// read passes on the messages of a connection until it closes, goes idle, or fails.
func (s *tcpServer) read(ctx context.Context, c net.Conn) {
	peer := c.RemoteAddr().String()
	err := s.shakeHands(ctx, c)
	if err == nil {
		err = readFramed(idleConn{c, s.idle}, maxTCPMessage, func(raw []byte, framing error) bool {
			return s.deliver(received{transport: s.transport, peer: peer, raw: string(raw), framing: framing})
		})
		if errors.Is(err, os.ErrDeadlineExceeded) {
			err = fmt.Errorf("closed, nothing received for %v (--idle-timeout)", s.idle)
		}
	}
	if err != nil && ctx.Err() == nil {
		s.connLines.printf("%s %s: %v", s.transport, peer, err)
	}
}

// shakeHands completes the handshake of a TLS connection within s.handshake; a TCP one has none.
func (s *tcpServer) shakeHands(ctx context.Context, c net.Conn) error {
	tc, ok := c.(*tls.Conn)
	if !ok {
		return nil
	}
	hctx, cancel := context.WithTimeout(ctx, s.handshake)
	defer cancel()
	switch err := tc.HandshakeContext(hctx); {
	case err == nil:
		return nil
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("closed, TLS handshake not done within %v (--handshake-timeout)", s.handshake)
	default: // the error can carry names from the client's certificate
		return fmt.Errorf("TLS handshake: %s", logtext.Quote(err.Error()))
	}
}

// stop closes the listener and every open connection; serve then returns.
func (s *tcpServer) stop() {
	s.ln.Close()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	for c := range s.conns {
		c.Close()
	}
}

// readFramed reads messages in either framing of RFC 6587, decided for each message as rsyslog
// does: a leading digit means octet counting ("LEN SP MSG"), anything else a message ended by LF.
// Each message goes to emit, without its framing, until emit returns false. Only the LF is removed: a
// CR before it stays in the message. A message longer than max is passed cut to max bytes with a
// framing error, and a message that the end of the stream or a read error interrupts is passed with a
// framing error. A read error other than EOF is returned. Memory follows the bytes that arrived: a
// message buffer grows as they come, whatever an octet count says, and one that grew past keptBuffer
// is let go after its message.
func readFramed(r io.Reader, max int, emit func(raw []byte, framing error) bool) error {
	br := bufio.NewReader(r)
	var buf []byte
	for {
		first, err := br.Peek(1)
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		var framing error
		if first[0] >= '1' && first[0] <= '9' {
			buf, framing, err = readCounted(br, buf[:0], max)
		} else {
			buf, framing, err = readLine(br, buf[:0], max)
		}
		if err != nil {
			if len(buf) > 0 {
				how := "the connection closed"
				if errors.Is(err, os.ErrDeadlineExceeded) {
					how = "the connection went idle"
				} else if !errors.Is(err, io.EOF) {
					how = "a read error"
				}
				emit(buf, fmt.Errorf("tcp: %s before the end of the message", how))
			}
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		if !emit(buf, framing) {
			return nil
		}
		if cap(buf) > keptBuffer {
			buf = nil
		}
	}
}

// readLine reads up to LF, keeping at most max bytes.
func readLine(br *bufio.Reader, buf []byte, max int) ([]byte, error, error) {
	tooLong := false
	for {
		frag, err := br.ReadSlice('\n')
		ended := err == nil
		if ended {
			frag = frag[:len(frag)-1]
		}
		if !tooLong {
			if room := max - len(buf); len(frag) > room {
				buf, tooLong = append(buf, frag[:room]...), true
			} else {
				buf = append(buf, frag...)
			}
		}
		switch {
		case ended && tooLong:
			return buf, fmt.Errorf("tcp: message longer than %d bytes (cut here)", max), nil
		case ended:
			return buf, nil, nil
		case !errors.Is(err, bufio.ErrBufferFull):
			return buf, nil, err
		}
	}
}

// readCounted reads "LEN SP MSG", keeping at most max bytes of MSG. LEN is only a claim: MSG is
// appended as it arrives. Digits that fill the reader's buffer without a space are not a length.
func readCounted(br *bufio.Reader, buf []byte, max int) ([]byte, error, error) {
	lenText, err := br.ReadSlice(' ')
	if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
		return append(buf, lenText...), nil, err
	}
	n, convErr := strconv.Atoi(string(bytes.TrimSuffix(lenText, []byte(" "))))
	if err != nil || convErr != nil || n <= 0 {
		return append(buf, lenText...), fmt.Errorf("tcp: octet count %s is not a length", logtext.Quote(lenText)), nil
	}
	keep := min(n, max)
	for len(buf) < keep {
		arrived, err := br.Peek(min(keep-len(buf), br.Size()))
		buf = append(buf, arrived...)
		br.Discard(len(arrived))
		if err != nil {
			return buf, nil, err
		}
	}
	if n > keep {
		if _, err := br.Discard(n - keep); err != nil {
			return buf, nil, err
		}
		return buf, fmt.Errorf("tcp: message longer than %d bytes (cut here)", max), nil
	}
	return buf, nil, nil
}

// serveUDP reads one message per datagram until the connection is closed.
func serveUDP(ctx context.Context, pc net.PacketConn, deliver func(received) bool, logf func(string, ...any)) {
	buf := make([]byte, udpBufferSize)
	for {
		n, addr, err := pc.ReadFrom(buf)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			logf("udp: %v", err)
			continue
		}
		if !deliver(received{transport: "udp", peer: addr.String(), raw: string(buf[:n])}) {
			return
		}
	}
}
