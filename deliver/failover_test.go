package deliver

import (
	"fmt"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kcs-siem/siem-cef/internal/loopback"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// acceptAndClose is an address whose TCP port answers but which serves nothing: a load balancer
// whose back end is down, an imrelp that is stuck, a plain syslog port given by mistake.
func acceptAndClose(t *testing.T) string {
	ln := loopback.Listen(t)
	loopback.Serve(ln, func(c net.Conn) { c.Close() })
	return ln.Addr().String()
}

// relpFailover is a RELP transport to Address bad,good, closed at the test's end, and its connect
// failures by address.
func relpFailover(t *testing.T, bad string, good *relpServer) (*RELP, map[string]int) {
	o := opts(bad)
	o.Addresses = append(o.Addresses, good.ln.Addr().String())
	failed := map[string]int{}
	r := NewRELP(o, 128)
	OnConnectFailure(r, func(a string) { failed[a]++ })
	t.Cleanup(func() { r.Close() })
	return r, failed
}

// Address a,b with relp, b a healthy RELP server and a one that serves no flush: it accepts TCP and
// opens no session, or opens sessions and drops the connection at the first message. a is failed
// over and counted (README, Failover); Fluent Bit retries the chunk, so several flushes are given.
func TestRELPFailsOverAPrimaryThatServesNothing(t *testing.T) {
	vanishing := newRELPServer(t)
	vanishing.vanishAt = 1 // the first message: unacknowledged
	for name, bad := range map[string]string{"no session": acceptAndClose(t), "broken at the first message": vanishing.ln.Addr().String()} {
		t.Run(name, func(t *testing.T) {
			good := newRELPServer(t)
			r, failed := relpFailover(t, bad, good)
			var errs []error
			for range 5 {
				err := r.Send(rawBatch("one event"))
				if err == nil {
					break
				}
				errs = append(errs, err)
			}
			assert.Equal(t, []string{"one event"}, good.received(), "5 flushes failed, never trying b: %v", errs)
			assert.NotZero(t, failed[bad], "connect_failures counts a")
		})
	}
}

// The same with tcp: a's port accepts and closes at once (an nginx or HAProxy stream proxy in front
// of a SIEM that is down does that). Every event of a flush reported delivered reached a SIEM.
func TestTCPFailsOverWhenThePrimaryClosesEveryConnection(t *testing.T) {
	defer func(g time.Duration) { firstFlushGrace = g }(firstFlushGrace)
	firstFlushGrace = 2 * time.Second // the server's goroutine closes within it, even under -race
	bad := acceptAndClose(t)
	ln, lines, _ := tcpReceiver(t)
	o := opts(bad)
	o.Addresses = append(o.Addresses, ln.Addr().String())
	s := NewStream(o)
	defer s.Close()
	var ok []string
	var errs []error
	for i := range 5 {
		ev := fmt.Sprintf("event %d", i)
		err := s.Send(batchOf(FramingNewline, ev))
		if err == nil {
			err = s.Confirm(time.Time{})
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		ok = append(ok, ev)
		time.Sleep(50 * time.Millisecond) // the next flush
	}
	var got []string
	for len(got) < len(ok) {
		select {
		case l := <-lines:
			got = append(got, l)
			continue
		case <-time.After(2 * time.Second):
		}
		break
	}
	t.Logf("flushes OK: %q; failed: %v; connected to %s", ok, errs, s.Connected())
	assert.Equal(t, ok, got, "events of flushes reported delivered that no SIEM received")
}

// A stuck primary (it accepts and opens no RELP session) does not fail a flush while the next
// address is healthy: each flush after the primary's hold-down goes back to it, and on to the next
// address in the same flush, as a primary that refuses the connection does.
func TestRELPTriesTheNextAddressInTheFlushItsSessionFailed(t *testing.T) {
	bad := acceptAndClose(t)
	good := newRELPServer(t)
	o := opts(bad)
	o.HoldDown = time.Second
	o.Addresses = append(o.Addresses, good.ln.Addr().String())
	r := NewRELP(o, 128)
	now := time.Now()
	r.ends.now = func() time.Time { return now }
	defer r.Close()
	for i := range 4 {
		now = now.Add(2 * time.Second) // the next flush, or the chunk's retry, after the hold-down
		require.NoError(t, r.Send(rawBatch(fmt.Sprint("event ", i))))
	}
	assert.Equal(t, []string{"event 0", "event 1", "event 2", "event 3"}, good.received())
}

// Address a,b with relp. Both failed a moment ago (a proxy whose SIEM is down accepts and closes:
// a; b dropped its session at the first message), so both are held down. b comes back, a stays
// stuck. The held-down addresses are dialled by the end of their hold-down, so that b, which came
// back early, is found: in index order, a, which accepts TCP, was dialled again and again, and every
// flush failed until b's hold-down ended.
func TestRELPStuckPrimaryDoesNotHideASecondaryThatCameBack(t *testing.T) {
	bad := acceptAndClose(t)
	good := newRELPServer(t)
	good.vanishAt = 1 // b is down for the first flush
	r, dials := relpFailover(t, bad, good)
	require.Error(t, r.Send(rawBatch("lost on b")), "flush 1: a opens no session, b vanishes")
	good.mu.Lock()
	good.vanishAt = 0 // b is back
	good.mu.Unlock()
	var errs []error
	for i := range 3 {
		if err := r.Send(rawBatch(fmt.Sprint("event ", i))); err != nil {
			errs = append(errs, err)
		}
	}
	t.Logf("connect failures: %v", dials)
	assert.Empty(t, errs, "b is healthy, but the flushes fail on a")
	assert.Equal(t, 3, good.acknowledged(), "b never got the flushes")
}

// The same with tcp: a accepts and closes, b is back after a failure; both held down.
func TestTCPStuckPrimaryDoesNotHideASecondaryThatCameBack(t *testing.T) {
	bad := acceptAndClose(t)
	ln, lines, _ := tcpReceiver(t)
	o := opts(bad)
	o.Addresses = append(o.Addresses, ln.Addr().String())
	s := NewStream(o)
	defer s.Close()
	s.ends.retryAt[1] = time.Now().Add(30 * time.Second) // b failed a moment ago (as above) and is back
	var errs []error
	for i := range 3 {
		err := s.Send(batchOf(FramingNewline, fmt.Sprint("event ", i)))
		if err == nil {
			err = s.Confirm(time.Now().Add(5 * time.Second))
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	assert.LessOrEqual(t, len(errs), 1, "b is healthy, but every flush goes to a: %v", errs)
	assert.Len(t, receive(t, lines, 3-len(errs)), 3-len(errs))
}

// The plugin closes a lane's transport whose flush panicked (instance.discard) with bytes
// unconfirmed: no connect failure is counted, and the healthy address is not held down.
func TestClosingAStreamIsNoConnectFailure(t *testing.T) {
	ln, lines, _ := tcpReceiver(t)
	s := NewStream(opts(ln.Addr().String()))
	failed := 0
	OnConnectFailure(s, func(string) { failed++ })
	b := batchOf(FramingNewline, "event")
	b.Deadline = time.Now().Add(5 * time.Second)
	require.NoError(t, s.Send(b)) // the flush panics before its Confirm
	receive(t, lines, 1)
	s.Close()
	assert.Zero(t, failed, "a healthy SIEM counted in connect_failures because the plugin closed the connection")
	assert.True(t, s.ends.retryAt[0].IsZero(), "a healthy SIEM held down because the plugin closed the connection")
}

// Address a,b with relp: a accepts and opens no session (a proxy whose SIEM is down), b refuses.
// One flush dials each address once, and counts each once.
func TestRELPDialsEachAddressOnceInAFlush(t *testing.T) {
	var dials atomic.Int64
	ln := loopback.Listen(t)
	loopback.Serve(ln, func(c net.Conn) { dials.Add(1); c.Close() })
	refused := loopback.Listen(t)
	refusedAddr := refused.Addr().String()
	refused.Close()
	o := opts(ln.Addr().String())
	o.Addresses = append(o.Addresses, refusedAddr)
	r := NewRELP(o, 128)
	defer r.Close()
	failed := map[string]int{}
	OnConnectFailure(r, func(a string) { failed[a]++ })
	b := rawBatch("event")
	b.Deadline = time.Now().Add(2*o.ConnectTimeout + 2*o.WriteTimeout)
	require.Error(t, r.Send(b))
	assert.Equal(t, map[string]int{ln.Addr().String(): 1, refusedAddr: 1}, failed)
	assert.Eventually(t, func() bool { return dials.Load() == 1 }, time.Second, 10*time.Millisecond)
	assert.Never(t, func() bool { return dials.Load() > 1 }, 100*time.Millisecond, 10*time.Millisecond)
}
