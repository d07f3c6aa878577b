package config

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/kcs-siem/siem-cef/deliver"
)

// parseAddresses takes a comma list: a failover order. A missing port is 0 until the protocol's
// default is known.
func parseAddresses(v string) ([]deliver.HostPort, error) {
	var out []deliver.HostPort
	for _, item := range strings.Split(v, ",") {
		if strings.TrimSpace(item) == "" && v != "" {
			return nil, &PropertyError{"Address", v, "a comma list of addresses in failover order without empty items, e.g. siem-a:514,siem-b:514"}
		}
		host, port, err := parseAddress(strings.TrimSpace(item))
		if err != nil {
			if item != v { // name the list, and the item at fault
				err.(*PropertyError).Value = v
				err.(*PropertyError).Accepts += " (in " + strings.TrimSpace(item) + ")"
			}
			return nil, err
		}
		out = append(out, deliver.HostPort{Host: host, Port: port})
	}
	return out, nil
}

// What Address accepts, for the errors that are not about one part of it.
const (
	addressMissing = "Address host:port, e.g. Address siem.example.com:514 (Fluent Bit keeps Host and Port for itself)"
	addressForms   = "host, host:port or [ipv6]:port, where host is an IPv4 or IPv6 address or a host name of " +
		"letters, digits, hyphens and dots, e.g. siem.example.com:514"
	addressPort = "a port from 1 to 65535 after the host, e.g. siem.example.com:514"
)

// parseAddress takes host, host:port, [ipv6]:port, [ipv6] or a bare IPv6 address.
func parseAddress(v string) (string, int, error) {
	bad := func(accepts string) (string, int, error) {
		return "", 0, &PropertyError{"Address", v, accepts}
	}
	if v == "" {
		return bad(addressMissing)
	}

	var host, portText string
	var hasPort bool
	switch {
	case strings.HasPrefix(v, "["):
		inner, rest, closed := strings.Cut(v[1:], "]")
		addr, err := netip.ParseAddr(inner)
		if !closed || err != nil || !addr.Is6() || (rest != "" && rest[0] != ':') {
			return bad(addressForms)
		}
		host = inner
		portText, hasPort = strings.CutPrefix(rest, ":")
	case strings.Count(v, ":") > 1:
		if advice := bareIPv6Advice(v); advice != "" {
			return bad(advice)
		}
		return v, 0, nil
	default:
		host, portText, hasPort = strings.Cut(v, ":")
		if _, err := netip.ParseAddr(host); err != nil && !validHostName(host) {
			return bad(addressForms)
		}
	}

	if !hasPort {
		return host, 0, nil
	}
	port, err := strconv.Atoi(portText)
	if !isDigits(portText) || err != nil || port < 1 || port > 65535 {
		return bad(addressPort)
	}
	return host, port, nil
}

// bareIPv6Advice returns what to write instead of an unbracketed IPv6 address, or "" when it is fine.
// Without brackets there is no port, so a port written that way has to be caught here.
func bareIPv6Advice(v string) string {
	addr, err := netip.ParseAddr(v)
	// A zone holds no colon: fe80::1%eth0:514 is a port without brackets, like 2001:db8:0:0:0:0:0:1:514.
	if err != nil || strings.Contains(addr.Zone(), ":") {
		i := strings.LastIndexByte(v, ':')
		if a, err := netip.ParseAddr(v[:i]); err == nil && isDigits(v[i+1:]) {
			return fmt.Sprintf("[%s]:%s, as an IPv6 address with a port needs brackets", a, v[i+1:])
		}
		return addressForms
	}

	// 2001:db8::1:514 is a valid address, but a last group of decimal digits is more likely a port.
	ip, zone := v, ""
	if k := strings.IndexByte(v, '%'); k >= 0 {
		ip, zone = v[:k], v[k:]
	}
	j := strings.LastIndexByte(ip, ':')
	group, rest := ip[j+1:], ip[:j]
	if len(group) < 2 || !isDigits(group) {
		return ""
	}
	if strings.HasSuffix(rest, ":") { // the group followed "::", which must stay whole
		rest += ":"
	}
	return fmt.Sprintf("[%s%s]:%s for a port, or [%s] for the address alone", rest, zone, group, v)
}

// validHostName checks an FQDN as DNS takes it (RFC 1123 §2.1), with an optional trailing dot.
func validHostName(h string) bool {
	h = strings.TrimSuffix(h, ".")
	if h == "" || len(h) > 253 {
		return false
	}
	labels := strings.Split(h, ".")
	for _, l := range labels {
		if !validLabel(l) {
			return false
		}
	}
	// An all-digit top label is a mistyped IPv4 address such as 10.0.0.256, not a name (RFC 3696 §2).
	return !isDigits(labels[len(labels)-1])
}

func validLabel(l string) bool {
	if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
		return false
	}
	return !strings.ContainsFunc(l, func(r rune) bool {
		return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '-')
	})
}
