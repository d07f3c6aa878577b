package deliver

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestEndpoints(t *testing.T) {
	tests := []struct {
		host string
		port int
		want string
	}{
		{"siem.example.com", 514, "siem.example.com:514"},
		{"10.0.0.1", 6514, "10.0.0.1:6514"},
		{"2001:db8::1", 514, "[2001:db8::1]:514"},
		{"fe80::1%eth0", 1, "[fe80::1%eth0]:1"},
	}
	for _, tt := range tests {
		s := Settings{Addresses: []HostPort{{Host: tt.host, Port: tt.port}, {Host: "second", Port: 1}}}
		assert.Equal(t, []string{tt.want, "second:1"}, s.Endpoints())
	}
}
