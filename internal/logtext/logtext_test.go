package logtext

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestQuoteEscapesWhatCouldForgeOrHide(t *testing.T) {
	for in, want := range map[string]string{
		"PM-002":                           `"PM-002"`,
		"x\n[2026/01/01 00:00:00] [ info]": `"x\n[2026/01/01 00:00:00] [ info]"`,
		"\x1b[2Jclear":                     `"\x1b[2Jclear"`,
		"a\u2028b\u2029c":                  `"a\u2028b\u2029c"`,
		"\u202egnp.exe":                    `"\u202egnp.exe"`,
		"zero\u200bwidth\ufeff":            `"zero\u200bwidth\ufeff"`,
		"bad\xffutf8":                      `"bad\xffutf8"`,
		"é€":                               `"é€"`,
	} {
		assert.Equal(t, want, Quote(in), "%q", in)
		assert.Equal(t, want, Quote([]byte(in)), "%q as bytes", in)
	}
}

func TestQuoteCutsLongValues(t *testing.T) {
	long := strings.Repeat("€", 10000)
	q := Quote(long)
	assert.Equal(t, `"`+strings.Repeat("€", MaxChars)+`"…(30000 bytes)`, q)
	assert.Equal(t, `"`+strings.Repeat("a", MaxChars)+`"`, Quote(strings.Repeat("a", MaxChars)))
}
