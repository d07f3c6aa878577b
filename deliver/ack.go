package deliver

import (
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"time"
	"unsafe"
)

// siocoutq is Linux's SIOCOUTQ (the same number as TIOCOUTQ): the bytes of a TCP socket's send
// queue that the peer has not acknowledged, sent or not.
const siocoutq = syscall.TIOCOUTQ

// The pauses between two looks at the send queue: short at first, because on a LAN the last
// acknowledgement comes within a round trip, then longer, so that a SIEM that reads slowly costs
// no CPU.
const (
	firstAckPause = 20 * time.Microsecond
	lastAckPause  = 5 * time.Millisecond
)

// awaitAcknowledged waits until the peer of conn (a TCP connection, or TLS over one) has
// acknowledged every byte written to it. Each new acknowledgement gives it timeout more; it ends by
// deadline (zero: none). Linux tells no waiter when a socket's send queue empties, so it looks at
// the queue, less often the longer it waits.
func awaitAcknowledged(conn net.Conn, timeout time.Duration, deadline time.Time) error {
	sc, ok := socket(conn).(syscall.Conn)
	if !ok {
		return nil // not a socket (a test's pipe): nothing to ask
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return err
	}
	pause, last, end := firstAckPause, -1, time.Time{}
	for {
		queued, err := unacknowledged(rc)
		if err != nil || queued == 0 {
			return err
		}
		if queued != last {
			last, end = queued, until(timeout, deadline)
		}
		if !time.Now().Before(end) {
			return fmt.Errorf("%d bytes written were not acknowledged: %w", queued, os.ErrDeadlineExceeded)
		}
		time.Sleep(min(pause, time.Until(end)))
		pause = min(2*pause, lastAckPause)
	}
}

// unacknowledged is the length of the send queue, or the error the connection failed with (a
// reset: the queue is lost).
func unacknowledged(rc syscall.RawConn) (int, error) {
	var queued int32
	var qerr error
	err := rc.Control(func(fd uintptr) {
		soErr, err := syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_ERROR)
		switch {
		case err != nil:
			qerr = err
		case soErr != 0:
			qerr = syscall.Errno(soErr)
		default:
			if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, fd, siocoutq, uintptr(unsafe.Pointer(&queued))); errno != 0 {
				qerr = errno
			}
		}
	})
	return int(queued), errors.Join(err, qerr)
}

// Linux's TCP states in which the peer has sent its FIN, or the connection is gone (tcp_states.h).
const (
	tcpClose     = 7
	tcpCloseWait = 8
	tcpLastAck   = 9
)

// finReceived reports a connection whose peer has closed its side (its FIN came in), whatever bytes
// it sent before: the first byte of Linux's tcp_info is the connection's state.
func finReceived(rc syscall.RawConn) bool {
	var info [8]byte
	size := uint32(len(info))
	var state byte
	rc.Control(func(fd uintptr) {
		_, _, errno := syscall.Syscall6(syscall.SYS_GETSOCKOPT, fd, syscall.IPPROTO_TCP, syscall.TCP_INFO,
			uintptr(unsafe.Pointer(&info[0])), uintptr(unsafe.Pointer(&size)), 0)
		if errno == 0 && size > 0 {
			state = info[0]
		}
	})
	return state == tcpCloseWait || state == tcpLastAck || state == tcpClose
}
