package deliver

import (
	"fmt"
	"net"
	"time"
)

// Probe is the result of a test connection, the product's "Test connection".
type Probe struct {
	Network  string
	Address  string
	Testable bool          // false for UDP: nothing answers a datagram
	Took     time.Duration // time to connect, or to fail
	Err      error         // nil when the SIEM accepted the connection
}

// String is the one line a person reads, in the log or on the terminal.
func (p Probe) String() string {
	switch {
	case !p.Testable:
		return fmt.Sprintf("%s %s: not testable (nothing answers a datagram); events will be sent without confirmation", p.Network, p.Address)
	case p.Err != nil:
		return fmt.Sprintf("%s %s: unreachable after %s: %v", p.Network, p.Address, p.Took.Round(time.Microsecond), p.Err)
	}
	return fmt.Sprintf("%s %s: reachable, connected in %s", p.Network, p.Address, p.Took.Round(time.Microsecond))
}

// TestConnection connects to the SIEM and closes the connection again. network is "tcp" or "udp".
func TestConnection(network, address string, timeout time.Duration) Probe {
	p := Probe{Network: network, Address: address, Testable: network != "udp"}
	if !p.Testable {
		return p
	}
	start := time.Now()
	conn, err := net.DialTimeout(network, address, timeout)
	p.Took = time.Since(start)
	if err != nil {
		p.Err = err
		return p
	}
	conn.Close()
	return p
}
