package deliver

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"time"
)

// endpoints dials a SIEM's addresses in failover order. An address that fails is passed over for
// the hold-down, then tried again first; names are resolved again on every dial.
type endpoints struct {
	addrs    []string
	tls      []*tls.Config // per address, nil for plain TCP
	timeout  time.Duration
	holdDown time.Duration
	retryAt  []time.Time // zero: may be dialled now
	current  int         // the address of the last successful dial
	now      func() time.Time
}

func newEndpoints(opt Options) *endpoints {
	e := &endpoints{addrs: opt.Addresses, timeout: opt.ConnectTimeout, holdDown: opt.HoldDown,
		retryAt: make([]time.Time, len(opt.Addresses)), tls: make([]*tls.Config, len(opt.Addresses)), now: time.Now}
	for i, addr := range opt.Addresses {
		if opt.TLS == nil {
			continue
		}
		cfg := opt.TLS.Clone()
		if cfg.ServerName == "" { // each address is checked against its own host name
			cfg.ServerName, _, _ = net.SplitHostPort(addr)
		}
		e.tls[i] = cfg
	}
	return e
}

// network names the transport in messages.
func (e *endpoints) network() string {
	if e.tls[0] != nil {
		return "tls"
	}
	return "tcp"
}

// betterDue reports whether an address before the current one has served its hold-down: the
// connection should go back to it.
func (e *endpoints) betterDue() bool {
	now := e.now()
	for i := 0; i < e.current; i++ {
		if !now.Before(e.retryAt[i]) {
			return true
		}
	}
	return false
}

// dial connects to the first address that answers: those not held down first, in order, then the
// held-down ones, so that a SIEM that came back early is found. Each address is tried once.
func (e *endpoints) dial() (net.Conn, error) {
	now := e.now()
	order := make([]int, 0, len(e.addrs))
	for pass := 0; pass < 2; pass++ {
		for i := range e.addrs {
			if held := now.Before(e.retryAt[i]); held == (pass == 1) {
				order = append(order, i)
			}
		}
	}
	var errs []error
	for _, i := range order {
		conn, err := e.dialOne(i)
		if err == nil {
			e.current, e.retryAt[i] = i, time.Time{}
			return conn, nil
		}
		e.retryAt[i] = now.Add(e.holdDown)
		if len(e.addrs) > 1 {
			err = fmt.Errorf("%s: %w", e.addrs[i], err)
		}
		errs = append(errs, err)
	}
	return nil, errors.Join(errs...)
}

func (e *endpoints) dialOne(i int) (net.Conn, error) {
	d := &net.Dialer{Timeout: e.timeout}
	if e.tls[i] == nil {
		return d.Dial("tcp", e.addrs[i])
	}
	ctx, cancel := context.WithTimeout(context.Background(), e.timeout)
	defer cancel()
	return (&tls.Dialer{NetDialer: d, Config: e.tls[i]}).DialContext(ctx, "tcp", e.addrs[i])
}
