package deliver

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strconv"
	"time"

	"github.com/kcs-siem/siem-cef/internal/logtext"
)

// RELP is rsyslog's Reliable Event Logging Protocol: every message is a numbered transaction the
// server answers. Send returns nil only when the server has answered every message of the batch,
// so a chunk is reported delivered only once the SIEM side has it; anything unanswered when the
// connection breaks or the flush's time is up fails the send and Fluent Bit retries the chunk.
//
// What an answer's status means. RELP defines two: 200 (OK) and 500 (error). rsyslog's imrelp
// (librelp) answers 200 to every message it takes; when its queue is full it does not answer a
// status but answers later (flow control), which the flush deadline bounds. It answers 500 only
// when it refuses the message itself ("500 command disabled"), and librelp's own client then drops
// that message rather than send it again. So:
//   - 200: delivered.
//   - 5xx: the server refused this message for good. It is counted in Batch.Rejected and not sent
//     again; the other messages go on. Sending it again would change nothing, and with Retry_Limit
//     no_limits would send the whole chunk again forever.
//   - any other status (4xx and the like, which a server or relay may use for "busy, try later"):
//     the send fails and Fluent Bit retries the chunk.
//
// Frames are "TXNR SP COMMAND SP DATALEN [SP DATA] LF" (https://www.rsyslog.com/doc/relp.html).
type RELP struct {
	opt      Options
	window   int
	ends     *endpoints
	conn     net.Conn
	r        *bufio.Reader
	txnr     int       // the last transaction number used
	out      []byte    // frames being written
	data     []byte    // the data of the response being read
	deadline time.Time // of the Send under way
	// pending are the transactions of the Send under way that await their answer; kept between
	// Sends so that a Send allocates nothing once the window has been full.
	pending map[int]bool
	// served: a Send succeeded on conn. A session that breaks before fails its address over.
	served bool
	// tried holds the addresses open has dialled in this flush.
	tried []bool
}

// relpOffers is what the client offers when it opens a session.
const relpOffers = "relp_version=0\nrelp_software=siem_cef\ncommands=syslog"

// maxRELPFrame bounds a server frame the client reads (a response is a status and a short text).
const maxRELPFrame = 64 << 10

// NewRELP makes a RELP transport (over TLS when opt.TLS is set) with at most window messages
// awaiting their acknowledgement; it connects on the first Send.
func NewRELP(opt Options, window int) *RELP {
	return &RELP{opt: opt, window: window, ends: newEndpoints(opt), pending: map[int]bool{}}
}

func (t *RELP) Framing() Framing { return FramingNone }

// Confirm has nothing to wait for: Send returns once the server has answered every message.
func (t *RELP) Confirm(time.Time) error { return nil }

// Connected is the address of the session in use, or "".
func (t *RELP) Connected() string {
	if t.conn == nil {
		return ""
	}
	return t.ends.addrs[t.ends.current]
}

func (t *RELP) network() string {
	if t.opt.TLS != nil {
		return "relp+tls"
	}
	return "relp"
}

func (t *RELP) err(op string, err error) *Error {
	addr := t.ends.addrs[t.ends.current]
	if op == "connect" && len(t.ends.addrs) > 1 {
		addr = fmt.Sprint(t.ends.addrs)
	}
	return &Error{Op: op, Addr: addr, Net: t.network(), Err: blame(err, t.deadline)}
}

// Send writes the batch's messages as syslog transactions, keeping at most the window
// unanswered, and waits for every answer. Each write and each wait for an answer takes at most
// Write_Timeout, and all of them end by the batch's Deadline.
func (t *RELP) Send(b *Batch) error {
	t.deadline = b.Deadline
	if err := t.open(); err != nil {
		return err
	}
	pending := t.pending
	clear(pending) // what a failed Send left
	for next := 0; next < b.Len() || len(pending) > 0; {
		t.out = t.out[:0]
		for ; next < b.Len() && len(pending) < t.window; next++ {
			txnr := t.nextTxnr()
			t.out = appendFrame(t.out, txnr, "syslog", b.Payload(next))
			pending[txnr] = true
		}
		if len(t.out) > 0 {
			if _, err := write(t.conn, t.out, t.opt.WriteTimeout, b.Deadline); err != nil {
				t.drop()
				return t.err("write", fmt.Errorf("%w (%d messages unacknowledged)", err, len(pending)))
			}
		}
		// Read at least one answer, and every one already waiting, before writing more.
		if err := t.conn.SetReadDeadline(until(t.opt.WriteTimeout, b.Deadline)); err != nil {
			t.drop()
			return t.err("acknowledgement", err)
		}
		for first := true; first || t.r.Buffered() > 0; first = false {
			txnr, status, text, _, err := t.readResponse()
			if err != nil {
				t.drop()
				return t.err("acknowledgement", fmt.Errorf("%w (%d messages unacknowledged)", err, len(pending)))
			}
			if !pending[txnr] {
				t.drop()
				return t.err("acknowledgement", fmt.Errorf("response to transaction %d, which is not open", txnr))
			}
			switch {
			case status == 200:
			case status >= 500 && status <= 599:
				b.Rejected++
			default:
				t.drop()
				return t.err("acknowledgement", fmt.Errorf("the server answered transaction %d with status %d %s, not a refusal for good (5xx): the chunk is sent again",
					txnr, status, logtext.Quote(text)))
			}
			delete(pending, txnr)
			if len(pending) == 0 {
				break
			}
		}
	}
	t.served = true
	return nil
}

// open connects and opens a session when there is none, when the server has ended the one there
// is since the last flush (restarted: writing into it would only fail), or when a preferred address
// has served its hold-down.
func (t *RELP) open() error {
	if t.conn != nil && (t.r.Buffered() > 0 || peerClosed(t.conn, true)) {
		t.drop()
	}
	if t.conn != nil && t.ends.betterDue() {
		t.close()
	}
	if t.conn != nil {
		return nil
	}
	// An address whose session does not open is held down (drop), and the next is tried in the
	// same flush, as dial passes over one that refuses the connection; each address once.
	if len(t.tried) != len(t.ends.addrs) {
		t.tried = make([]bool, len(t.ends.addrs))
	}
	clear(t.tried)
	for {
		dialed, err := t.session()
		if !dialed || err == nil || expired(t.deadline) || !slices.Contains(t.tried, false) {
			return err
		}
	}
}

// session dials an address (dialed: one took the connection) and opens a RELP session on it.
func (t *RELP) session() (dialed bool, _ error) {
	conn, err := t.ends.dial(t.deadline, t.tried)
	if err != nil {
		return false, t.err("connect", err)
	}
	t.conn, t.r, t.txnr, t.served = conn, bufio.NewReader(conn), 0, false
	if err := conn.SetDeadline(until(t.opt.ConnectTimeout, t.deadline)); err != nil {
		t.drop()
		return true, t.err("connect", err)
	}
	txnr := t.nextTxnr()
	if _, err := conn.Write(appendFrame(nil, txnr, "open", []byte(relpOffers))); err != nil {
		t.drop()
		return true, t.err("connect", err)
	}
	got, status, text, offers, err := t.readResponse()
	switch {
	case err != nil:
		err = fmt.Errorf("opening the RELP session: %w", err)
	case got != txnr || status != 200:
		err = fmt.Errorf("the server did not accept the RELP session (transaction %d, status %d %s)", got, status, logtext.Quote(text))
	case !offersSyslog(offers):
		// Its answer to every message would be a 5xx, each event refused for good.
		err = fmt.Errorf("the server does not offer the syslog command (its offers: %s)", logtext.Quote(offers))
	}
	if err != nil {
		t.drop()
		return true, t.err("connect", err)
	}
	return true, nil
}

func (t *RELP) nextTxnr() int {
	t.txnr++
	if t.txnr > 999999999 { // RELP numbers wrap to 1
		t.txnr = 1
	}
	return t.txnr
}

func appendFrame(dst []byte, txnr int, command string, data []byte) []byte {
	dst = strconv.AppendInt(dst, int64(txnr), 10)
	dst = append(dst, ' ')
	dst = append(dst, command...)
	dst = append(dst, ' ')
	dst = strconv.AppendInt(dst, int64(len(data)), 10)
	if len(data) > 0 {
		dst = append(dst, ' ')
		dst = append(dst, data...)
	}
	return append(dst, '\n')
}

var errServerClose = errors.New("the server closed the RELP session (serverclose)")

// readResponse reads one "TXNR rsp DATALEN STATUS [SP text] [LF data]" frame and returns its
// status, text and data (the offers of an answer to "open"), valid until the next read. A
// serverclose hint from the server ends the session.
func (t *RELP) readResponse() (txnr, status int, text, offers []byte, err error) {
	head, err := t.r.ReadSlice(' ')
	if err != nil {
		return 0, 0, nil, nil, err
	}
	if txnr, err = strconv.Atoi(string(bytes.TrimSuffix(head, []byte(" ")))); err != nil {
		return 0, 0, nil, nil, fmt.Errorf("a frame with transaction number %s", logtext.Quote(head))
	}
	cmd, err := t.r.ReadSlice(' ')
	if err != nil {
		return 0, 0, nil, nil, err
	}
	command := string(bytes.TrimSuffix(cmd, []byte(" ")))
	data, err := t.readData()
	switch {
	case err != nil:
		return 0, 0, nil, nil, err
	case command == "serverclose":
		return 0, 0, nil, nil, errServerClose
	case command != "rsp":
		return 0, 0, nil, nil, fmt.Errorf("an unexpected %s frame", logtext.Quote(command))
	}
	header, offers, _ := bytes.Cut(data, []byte("\n"))
	code, text, _ := bytes.Cut(header, []byte(" "))
	if status, err = strconv.Atoi(string(code)); err != nil || len(code) != 3 {
		return 0, 0, nil, nil, fmt.Errorf("a response without a status: %s", logtext.Quote(data))
	}
	return txnr, status, text, offers, nil
}

// offersSyslog reports whether the offers of a server's answer to "open" (lines "name=value")
// include the syslog command: librelp's client refuses a server without it.
func offersSyslog(offers []byte) bool {
	for line := range bytes.SplitSeq(offers, []byte("\n")) {
		if cmds, ok := bytes.CutPrefix(line, []byte("commands=")); ok {
			for cmd := range bytes.SplitSeq(cmds, []byte(",")) {
				if string(bytes.TrimSpace(cmd)) == "syslog" {
					return true
				}
			}
		}
	}
	return false
}

// readData reads a frame's DATALEN and DATA, and its trailing LF, into t.data, at most
// maxRELPFrame bytes whatever DATALEN says.
func (t *RELP) readData() ([]byte, error) {
	// DATALEN ends with SP before the data, or with the trailing LF when there is none.
	n, end := 0, byte(0)
	for digits := 0; ; digits++ {
		c, err := t.r.ReadByte()
		if err != nil {
			return nil, err
		}
		if c == ' ' || c == '\n' {
			if digits == 0 {
				return nil, errors.New("a frame without a data length")
			}
			end = c
			break
		}
		if c < '0' || c > '9' {
			return nil, fmt.Errorf("a frame with a bad data length (byte %q)", c)
		}
		if n = n*10 + int(c-'0'); n > maxRELPFrame {
			return nil, fmt.Errorf("a frame of more than %d bytes of data", maxRELPFrame)
		}
	}
	if cap(t.data) < n {
		t.data = make([]byte, n)
	}
	data := t.data[:n]
	if end == '\n' {
		if n != 0 {
			return nil, errors.New("a frame that announces data but has none")
		}
		return data, nil
	}
	if _, err := io.ReadFull(t.r, data); err != nil {
		return nil, err
	}
	if c, err := t.r.ReadByte(); err != nil || c != '\n' {
		return nil, errors.New("a frame without its trailing LF")
	}
	return data, nil
}

// close ends the session politely: a close transaction, whose response it waits for briefly (a
// second, and not past the flush deadline), then a TLS close_notify if the server answered.
func (t *RELP) close() {
	if t.conn == nil {
		return
	}
	t.conn.SetDeadline(until(time.Second, t.deadline))
	if _, err := t.conn.Write(appendFrame(nil, t.nextTxnr(), "close", nil)); err == nil {
		if _, _, _, _, err := t.readResponse(); err == nil {
			t.conn.Close()
			t.conn = nil
		}
	}
	t.drop()
}

// drop closes a session that failed, or may have (abort).
func (t *RELP) drop() {
	if t.conn != nil && !t.served {
		t.ends.failed(t.deadline)
	}
	if t.conn != nil {
		abort(t.conn)
	}
	t.conn, t.r = nil, nil
}

// Close ends the session.
func (t *RELP) Close() error {
	t.deadline = time.Time{} // no flush is under way
	t.served = true          // closing is no failure of the address
	t.close()
	return nil
}
