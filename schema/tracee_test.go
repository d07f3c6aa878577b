package schema

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// Tracee's process numbers are taken as the decoder read them, but a string goes through scalar as
// before: "<NA>" is none, a decimal string is kept.
func TestTraceeProcessNumbersAsStrings(t *testing.T) {
	ev := traceeEvent("x", nil, map[string]any{
		"hostProcessId": "<NA>", "hostParentProcessId": "199", "userId": "<NA>",
	})
	assert.Equal(t,
		head+"PM-001|Process management|3|spid=199 dproc=sh filePath=/bin/sh outcome=Other msg=x /bin/sh",
		cefLine(t, &Mapper{}, ev))
}
