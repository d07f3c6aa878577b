package deliver

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kcs-siem/siem-cef/internal/loopback"
	"github.com/kcs-siem/siem-cef/internal/relptest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// relpServer is a small RELP server after rsyslog's imrelp: it answers open and close, and
// acknowledges syslog transactions unless told otherwise.
type relpServer struct {
	ln       net.Listener
	mu       sync.Mutex
	messages []string
	acked    int               // messages answered 200
	vanishAt int               // close the connection, unacknowledged, at this many messages (0: never)
	answers  map[string]string // the answer to a message instead of "200 OK"
	ackDelay time.Duration     // how long each answer takes
	mute     bool              // never answer a message
}

func newRELPServer(t *testing.T) *relpServer {
	s := &relpServer{ln: loopback.Listen(t)}
	loopback.Serve(s.ln, s.serve)
	return s
}

// serveRELP answers open and close on c as imrelp does, and hands each syslog transaction to
// message, until message returns an error or the connection ends.
func serveRELP(c net.Conn, message func(txnr int, data []byte) error) {
	defer c.Close()
	r := bufio.NewReader(c)
	for {
		txnr, cmd, data, err := relptest.ReadFrame(r)
		if err != nil {
			return
		}
		if cmd != "syslog" {
			if relptest.Reply(c, txnr, cmd, true) != nil || cmd == "close" {
				return
			}
			continue
		}
		if message(txnr, data) != nil {
			return
		}
	}
}

// errVanish ends a test server's connection.
var errVanish = errors.New("the server vanishes")

func (s *relpServer) serve(c net.Conn) {
	serveRELP(c, func(txnr int, data []byte) error {
		s.mu.Lock()
		s.messages = append(s.messages, string(data))
		vanish := s.vanishAt > 0 && len(s.messages) >= s.vanishAt
		answer, refused := s.answers[string(data)]
		s.mu.Unlock()
		switch {
		case vanish:
			return errVanish
		case s.mute:
			return nil
		}
		time.Sleep(s.ackDelay)
		if !refused {
			answer = "200 OK"
			s.mu.Lock()
			s.acked++
			s.mu.Unlock()
		}
		return relptest.Respond(c, txnr, answer)
	})
}

func (s *relpServer) received() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.messages...)
}

func (s *relpServer) acknowledged() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.acked
}

func rawBatch(msgs ...string) *Batch { return batchOf(FramingNone, msgs...) }

func TestRELPDeliversAndWaitsForEveryAcknowledgement(t *testing.T) {
	s := newRELPServer(t)
	r := NewRELP(opts(s.ln.Addr().String()), 4)
	var msgs []string
	for i := range 50 {
		msgs = append(msgs, fmt.Sprintf("<14>message %d with spaces\nand a line", i))
	}
	require.NoError(t, r.Send(rawBatch(msgs[:30]...)))
	require.NoError(t, r.Send(rawBatch(msgs[30:]...)))
	assert.Equal(t, msgs, s.received(), "every message, in order, once")
	assert.Equal(t, "127.0.0.1", strings.Split(r.Connected(), ":")[0])
	require.NoError(t, r.Close())
	assert.Empty(t, r.Connected())
}

func TestRELPConnectionLostBeforeTheAcknowledgementFails(t *testing.T) {
	s := newRELPServer(t)
	s.vanishAt = 3
	r := NewRELP(opts(s.ln.Addr().String()), 128)
	defer r.Close()
	err := r.Send(rawBatch("a", "b", "c", "d"))
	var de *Error
	require.ErrorAs(t, err, &de)
	assert.Equal(t, "acknowledgement", de.Op)
	assert.Contains(t, err.Error(), "messages unacknowledged")
}

func TestRELPMessageRefusedForGoodIsCountedAndNotSentAgain(t *testing.T) {
	s := newRELPServer(t)
	s.answers = map[string]string{"b": "500 not accepted"}
	r := NewRELP(opts(s.ln.Addr().String()), 8)
	defer r.Close()
	b := rawBatch("a", "b", "c")
	require.NoError(t, r.Send(b), "the chunk is not retried for a message no retry would deliver")
	assert.Equal(t, 1, b.Rejected)
	assert.Equal(t, []string{"a", "b", "c"}, s.received(), "each message sent once")
	assert.Equal(t, 2, s.acknowledged())
	b.Reset()
	assert.Zero(t, b.Rejected)
}

func TestRELPBusyAnswerFailsTheSend(t *testing.T) {
	s := newRELPServer(t)
	s.answers = map[string]string{"b": "421 busy, try again\x1b[2J"}
	r := NewRELP(opts(s.ln.Addr().String()), 8)
	defer r.Close()
	b := rawBatch("a", "b", "c")
	err := r.Send(b)
	var de *Error
	require.ErrorAs(t, err, &de, "Fluent Bit retries the chunk")
	assert.Equal(t, "acknowledgement", de.Op)
	assert.Contains(t, err.Error(), `status 421 "busy, try again\x1b[2J"`, "the server's text quoted")
	assert.NotContains(t, err.Error(), "\x1b")
	assert.Zero(t, b.Rejected)
}

func TestRELPConnectRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	err = NewRELP(opts(addr), 8).Send(rawBatch("a"))
	var de *Error
	require.ErrorAs(t, err, &de)
	assert.Equal(t, "connect", de.Op)
	assert.Equal(t, "relp", de.Net)
}

func TestRELPServerThatNeverAnswersTimesOut(t *testing.T) {
	o := opts(silentPeer(t))
	o.ConnectTimeout = 300 * time.Millisecond
	start := time.Now()
	err := NewRELP(o, 8).Send(rawBatch("a"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "opening the RELP session")
	assert.Less(t, time.Since(start), 3*time.Second, "bounded by Connect_Timeout")
}

// A SIEM that acknowledges each message after 3 ms takes a second per 330 messages: a flush of many
// sends, each well within Write_Timeout, must still end by the flush's deadline.
func TestRELPSlowAcknowledgementsEndAtTheFlushDeadline(t *testing.T) {
	s := newRELPServer(t)
	s.ackDelay = 3 * time.Millisecond
	o := opts(s.ln.Addr().String())
	o.ConnectTimeout, o.WriteTimeout = 50*time.Millisecond, 200*time.Millisecond
	r := NewRELP(o, 128)
	defer r.Close()
	const sends, perSend = 40, 10 // 1.2 s of acknowledgements, 30 ms a send
	b := &Batch{Deadline: time.Now().Add(o.ConnectTimeout + 2*o.WriteTimeout)}
	var err error
	for i := 0; i < sends && err == nil; i++ {
		b.Reset()
		for j := range perSend {
			start := len(b.Buf)
			b.Buf = fmt.Appendf(b.Buf, "<14>message %d.%d", i, j)
			b.End(start)
		}
		err = r.Send(b)
	}
	var de *Error
	require.ErrorAs(t, err, &de, "Fluent Bit retries the chunk")
	require.ErrorIs(t, err, ErrFlushDeadline)
	assert.Less(t, s.acknowledged(), sends*perSend)
}

func TestRELPServerThatNeverAcknowledgesEndsAtTheFlushDeadline(t *testing.T) {
	s := newRELPServer(t)
	s.mute = true
	o := opts(s.ln.Addr().String())
	o.WriteTimeout = time.Minute
	r := NewRELP(o, 8)
	defer r.Close()
	b := rawBatch("a", "b")
	b.Deadline = time.Now().Add(200 * time.Millisecond)
	err := r.Send(b)
	var de *Error
	require.ErrorAs(t, err, &de)
	assert.Equal(t, "acknowledgement", de.Op)
	require.ErrorIs(t, err, ErrFlushDeadline, "not Write_Timeout")
	assert.Equal(t, []string{"a", "b"}, s.received())
}

// README "Delivery", "A SIEM that restarted": "Before writing, the plugin checks without waiting
// whether the SIEM has closed the connection since the last flush, and reconnects". A RELP server
// that restarted between two flushes (here: it ends each session after one message) is found so,
// and the next flush goes to the new session instead of failing in the dead one.
func TestRELPReconnectsToAServerThatRestartedBetweenFlushes(t *testing.T) {
	addr := loopback.Start(t, func(c net.Conn) {
		defer c.Close()
		r := bufio.NewReader(c)
		for {
			txnr, cmd, _, err := relptest.ReadFrame(r)
			if err != nil || relptest.Reply(c, txnr, cmd, true) != nil || cmd != "open" {
				return // the server goes away after the message
			}
		}
	})
	tr := NewRELP(opts(addr), 8)
	defer tr.Close()
	require.NoError(t, tr.Send(rawBatch("first")))
	time.Sleep(100 * time.Millisecond) // the server has closed the session since
	require.NoError(t, tr.Send(rawBatch("second")), "the SIEM is up: the flush does not fail")
}

// A server that said serverclose between flushes has ended the session, too.
func TestRELPReconnectsAfterAServerclose(t *testing.T) {
	addr := loopback.Start(t, func(c net.Conn) {
		defer c.Close()
		r := bufio.NewReader(c)
		for {
			txnr, cmd, _, err := relptest.ReadFrame(r)
			if err != nil || relptest.Reply(c, txnr, cmd, true) != nil {
				return
			}
			if cmd == "syslog" {
				fmt.Fprint(c, "0 serverclose 0\n")
				time.Sleep(time.Second) // the connection stays open a while
				return
			}
		}
	})
	tr := NewRELP(opts(addr), 8)
	defer tr.Close()
	require.NoError(t, tr.Send(rawBatch("first")))
	time.Sleep(100 * time.Millisecond)
	require.NoError(t, tr.Send(rawBatch("second")))
}

// RELP transaction numbers run from 1 to 999,999,999, then wrap to 1.
func TestRELPTransactionNumbersWrapAfterNineNines(t *testing.T) {
	r := NewRELP(opts("127.0.0.1:1"), 8)
	r.txnr = 999999998
	assert.Equal(t, 999999999, r.nextTxnr())
	assert.Equal(t, 1, r.nextTxnr())
}

// Every 5xx is a refusal for good, 599 included: counted, not retried.
func TestRELPStatus599IsARefusalForGood(t *testing.T) {
	s := newRELPServer(t)
	s.answers = map[string]string{"b": "599 no"}
	r := NewRELP(opts(s.ln.Addr().String()), 8)
	defer r.Close()
	b := rawBatch("a", "b")
	require.NoError(t, r.Send(b))
	assert.Equal(t, 1, b.Rejected)
}

// rogueRELP answers open and close as imrelp does, and each message with answer(txnr).
func rogueRELP(t *testing.T, answer func(w net.Conn, txnr int) error) string {
	return loopback.Start(t, func(c net.Conn) {
		serveRELP(c, func(txnr int, _ []byte) error { return answer(c, txnr) })
	})
}

// A server that does not offer the syslog command at "open" (a relay with it disabled) would refuse
// every message with a 5xx, each event dropped for good: as librelp's client does, the session is
// refused instead, and the chunk sent again.
func TestRELPServerWithoutTheSyslogCommandIsNoSession(t *testing.T) {
	for _, offers := range []string{"200 OK\nrelp_version=0\ncommands=", "200 OK\nrelp_version=0", "200 OK"} {
		addr := loopback.Start(t, func(c net.Conn) {
			defer c.Close()
			r := bufio.NewReader(c)
			for {
				txnr, cmd, _, err := relptest.ReadFrame(r)
				if err != nil {
					return
				}
				answer := "500 command disabled"
				if cmd == "open" {
					answer = offers
				}
				if relptest.Respond(c, txnr, answer) != nil {
					return
				}
			}
		})
		r := NewRELP(opts(addr), 8)
		b := rawBatch("a", "b", "c")
		err := r.Send(b)
		r.Close()
		require.Error(t, err, "%q", offers)
		assert.Contains(t, err.Error(), "does not offer the syslog command", "%q", offers)
		assert.Zero(t, b.Rejected, "%q", offers)
	}
	assert.True(t, offersSyslog([]byte("relp_version=0\ncommands=open,syslog,close")))
}

// An answer to a transaction that is not open acknowledges nothing: the send fails (the chunk is
// sent again) rather than counting a message the SIEM never acknowledged.
func TestRELPAnswerToATransactionNotOpenFails(t *testing.T) {
	addr := rogueRELP(t, func(w net.Conn, txnr int) error { return relptest.Respond(w, txnr+1000, "200 OK") })
	r := NewRELP(opts(addr), 8)
	defer r.Close()
	err := r.Send(rawBatch("a"))
	var de *Error
	require.ErrorAs(t, err, &de)
	assert.Equal(t, "acknowledgement", de.Op)
	assert.Contains(t, err.Error(), "not open")
}

// A status is three digits (RFC-like RELP "rsp" data: "200 OK"): "+200" and "0200" are not one.
func TestRELPStatusIsThreeDigits(t *testing.T) {
	for _, status := range []string{"+200 OK", "0200 OK"} {
		addr := rogueRELP(t, func(w net.Conn, txnr int) error { return relptest.Respond(w, txnr, status) })
		r := NewRELP(opts(addr), 8)
		err := r.Send(rawBatch("a"))
		r.Close()
		require.Error(t, err, status)
		assert.Contains(t, err.Error(), "a response without a status", status)
	}
}
