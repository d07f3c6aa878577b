package deliver

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kcs-siem/siem-cef/internal/relptest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// relpServer is a small RELP server after rsyslog's imrelp: it answers open and close, and
// acknowledges syslog transactions unless told to vanish after some messages or to refuse them.
type relpServer struct {
	ln       net.Listener
	mu       sync.Mutex
	messages []string
	vanishAt int // close the connection, unacknowledged, at this many messages (0: never)
	refuse   bool
}

func newRELPServer(t *testing.T) *relpServer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	s := &relpServer{ln: ln}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	return s
}

func (s *relpServer) serve(c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	for {
		txnr, cmd, data, err := relptest.ReadFrame(r)
		if err != nil {
			return
		}
		if cmd == "syslog" {
			s.mu.Lock()
			s.messages = append(s.messages, string(data))
			vanish := s.vanishAt > 0 && len(s.messages) >= s.vanishAt
			s.mu.Unlock()
			if vanish {
				return
			}
		}
		if relptest.Reply(c, txnr, cmd, !s.refuse) != nil || cmd == "close" {
			return
		}
	}
}

func (s *relpServer) received() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.messages...)
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

func TestRELPRefusedMessageFails(t *testing.T) {
	s := newRELPServer(t)
	s.refuse = true
	r := NewRELP(opts(s.ln.Addr().String()), 8)
	defer r.Close()
	err := r.Send(rawBatch("a"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "refused transaction 2 with status 500")
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
