// Package deliver sends encoded messages to a SIEM over TCP or UDP.
package deliver

// Framing is how messages are delimited on the wire.
type Framing uint8

const (
	// FramingNone: each message is a datagram of its own (UDP).
	FramingNone Framing = iota
	// FramingNewline: each message ends with LF (RFC 6587 non-transparent framing); safe because
	// the encoder never leaves a raw LF inside a message.
	FramingNewline
)

// Batch holds framed messages back to back, so a stream transport writes them in one call.
type Batch struct {
	Framing Framing
	Buf     []byte
	ends    []int
}

// Reset empties the batch, keeping its memory.
func (b *Batch) Reset() {
	b.Buf = b.Buf[:0]
	b.ends = b.ends[:0]
}

// Len is the number of messages.
func (b *Batch) Len() int { return len(b.ends) }

// End frames the message written at Buf[start:] and records where it ends.
func (b *Batch) End(start int) {
	if b.Framing == FramingNewline {
		b.Buf = append(b.Buf, '\n')
	}
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

// start returns the offset of the first message not wholly inside the first n bytes.
func (b *Batch) start(n int) int {
	prev := 0
	for _, end := range b.ends {
		if end > n {
			return prev
		}
		prev = end
	}
	return prev
}
