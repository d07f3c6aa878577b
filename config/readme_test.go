package config

import (
	"os"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The README shows the start-up line of its working configuration (on a node named node-1) and
// tells the user to compare theirs with it: it is the line Load's configuration prints.
func TestTheREADMEsStartedLineIsThePlugins(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	m := regexp.MustCompile(`\[info\] \[siem_cef:soc-siem\] started: (.*)`).FindSubmatch(readme)
	require.NotNil(t, m, "the README's started: line")
	c, err := Load(props(map[string]string{"Integration": "soc-siem", "Address": "siem.example.com:514",
		"Protocol": "tcp", "Hostname": "node-1"}), "siem_cef.0")
	require.NoError(t, err)
	assert.Equal(t, string(m[1]), c.String())
}
