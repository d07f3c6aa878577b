package config

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// README: Integration is "any name of at most 128 characters without control characters": 128
// characters however many bytes they take, not 129.
func TestIntegrationIsAtMost128Characters(t *testing.T) {
	load := func(name string) (*Config, error) {
		props := map[string]string{"Address": "siem.example.com", "Integration": name}
		return Load(GetterFunc(func(k string) string { return props[k] }), "t")
	}
	for _, name := range []string{strings.Repeat("a", 128), strings.Repeat("é", 128), strings.Repeat("日", 128)} {
		c, err := load(name)
		require.NoError(t, err, "%d characters, %d bytes", 128, len(name))
		assert.Equal(t, name, c.Integration)
	}
	for _, name := range []string{strings.Repeat("a", 129), strings.Repeat("é", 129)} {
		_, err := load(name)
		assert.ErrorContains(t, err, "Integration", "129 characters")
	}
}
