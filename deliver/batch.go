// Package deliver sends encoded messages to a SIEM over TCP, TLS, UDP or RELP.
package deliver

import (
	"strconv"
	"time"
)

// Framing is how messages are delimited on the wire.
type Framing uint8

const (
	// FramingNone: each message is a datagram, or the transport frames it itself (RELP).
	FramingNone Framing = iota
	// FramingNewline: each message ends with LF (RFC 6587 non-transparent framing); safe because
	// the encoder never leaves a raw LF inside a message.
	FramingNewline
	// FramingOctet: each message is preceded by its length and a space (RFC 6587 octet counting,
	// RFC 5425).
	FramingOctet
)

// Batch holds framed messages back to back, so a stream transport writes them in a few calls.
type Batch struct {
	Framing Framing
	Buf     []byte
	// Deadline is when the flush the batch belongs to must be over: every connect, write and
	// acknowledgement wait of a Send ends by then, whatever its own time-out. Zero: no flush
	// deadline. Reset keeps it; a flush moves it on with each batch it writes (FlushBudget).
	Deadline time.Time
	// Rejected counts the messages the SIEM refused for good (RELP status 5xx): they are not sent
	// again. Send adds to it, Reset clears it. Only a Send that returned nil makes them final: after
	// an error the chunk is sent again, and refused again.
	Rejected int
	// PeerClosed reports that the Send found the connection closed by the SIEM since the last flush,
	// which had left nothing unacknowledged, and replaced it. A SIEM's restart or idle time-out does
	// that; so does one that cannot read the Framing, after each flush: what it was sent is lost,
	// though its host acknowledged it. Reset clears it.
	PeerClosed bool
	ends       []int
	starts     []int // where each message's payload starts, after any length prefix
}

// Reset empties the batch, keeping its memory and its Deadline.
func (b *Batch) Reset() {
	b.Buf = b.Buf[:0]
	b.Rejected = 0
	b.PeerClosed = false
	b.ends = b.ends[:0]
	b.starts = b.starts[:0]
}

// Len is the number of messages.
func (b *Batch) Len() int { return len(b.ends) }

// End frames the message written at Buf[start:] and records where it ends.
func (b *Batch) End(start int) {
	payload := start
	switch b.Framing {
	case FramingNewline:
		b.Buf = append(b.Buf, '\n')
	case FramingOctet:
		var digits [24]byte
		prefix := append(strconv.AppendInt(digits[:0], int64(len(b.Buf)-start), 10), ' ')
		n := len(b.Buf) - start
		b.Buf = append(b.Buf, prefix...) // room for the prefix
		copy(b.Buf[start+len(prefix):], b.Buf[start:start+n])
		copy(b.Buf[start:], prefix)
		payload = start + len(prefix)
	}
	b.starts = append(b.starts, payload)
	b.ends = append(b.ends, len(b.Buf))
}

// Message returns message i with its framing.
func (b *Batch) Message(i int) []byte {
	start := 0
	if i > 0 {
		start = b.ends[i-1]
	}
	return b.Buf[start:b.ends[i]]
}

// Payload returns message i without its framing.
func (b *Batch) Payload(i int) []byte {
	end := b.ends[i]
	if b.Framing == FramingNewline {
		end--
	}
	return b.Buf[b.starts[i]:end]
}
