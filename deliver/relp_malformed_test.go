package deliver

import (
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A rogue or broken RELP peer's malformed "rsp" frames acknowledge nothing (relp.go readData).
// The open's answer ("200 OK\nrelp_version=...") has filled the reader's buffer first, so a frame
// that announces 6 bytes and has none would, read from that buffer, be a stale "200 OK". Nor does
// one without its trailing LF, or one longer than the 64 KiB a frame may carry.
func TestRELPMalformedResponsesAcknowledgeNothing(t *testing.T) {
	for _, c := range []struct{ name, frame, want string }{
		{"no data", "%d rsp 6\n", "announces data but has none"},
		{"no trailing LF", "%d rsp 6 200 OKX", "trailing LF"},
		{"over 64 KiB", "%d rsp 70000 200 OK\n" + strings.Repeat("x", 70000-7) + "\n", "bytes of data"},
	} {
		addr := rogueRELP(t, func(w net.Conn, txnr int) error {
			_, err := fmt.Fprintf(w, c.frame, txnr)
			return err
		})
		r := NewRELP(opts(addr), 8)
		err := r.Send(rawBatch("a"))
		r.Close()
		require.Error(t, err, c.name)
		assert.Contains(t, err.Error(), c.want, c.name)
	}
}
