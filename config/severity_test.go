package config

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// isEventID accepts what the pattern ^[A-Za-z0-9]+-[A-Za-z0-9_.:-]+$ accepted, and nothing else.
func TestIsEventID(t *testing.T) {
	for id, want := range map[string]bool{
		"PM-001": true, "API-002": true, "fnt-shell.spawn": true, "X-a:b_c.d-e": true, "Z9-0": true,
		"A--": true, "FPM-": false, "-001": false, "PM001": false, "": false, "-": false,
		"PM 1-001": false, "PM-00 1": false, "PM-001\n": false, "PÉ-001": false, "PM-0é1": false,
		"PM-0/1": false, "P@-001": false, "P[-001": false, "P`-001": false, "P{-001": false,
		"PM-0@1": false, "PM-a|b": false,
	} {
		assert.Equal(t, want, isEventID(id), "%q", id)
	}
}
