package cef

import (
	"regexp"
	"testing"
)

// isLabelled takes what the regular expression it replaced took, and refuses what it refused.
func TestIsLabelled(t *testing.T) {
	replaced := regexp.MustCompile(`^(cs|cn|c6a|flexString|cfp|deviceCustomDate|flexDate|flexNumber)[0-9]+$`)
	for key, want := range map[string]bool{
		"cs1": true, "cs7": true, "cs10": true, "cs007": true, "cn1": true, "cn3": true, "c6a2": true,
		"c6a3": true, "flexString1": true, "flexString2": true, "cfp1": true, "deviceCustomDate1": true,
		"flexDate1": true, "flexNumber2": true, "cs1234567890": true,

		"": false, "cs": false, "cn": false, "c6a": false, "flexString": false, "cfp": false,
		"deviceCustomDate": false, "flexDate": false, "flexNumber": false, "cs1Label": false,
		"cs1a": false, "cs-1": false, "cs 1": false, "cs1\n": false, "xcs1": false, "Cs1": false,
		"CS1": false, "cs\uff11": false, "c6": false, "c61": false, "flexStringx1": false, "cs+1": false,
		"src": false, "msg": false, "c6a2Label": false, "1cs": false,
	} {
		if got := isLabelled(key); got != want {
			t.Errorf("isLabelled(%q) = %v, want %v", key, got, want)
		}
		if replaced.MatchString(key) != want {
			t.Errorf("the table is wrong about %q", key)
		}
	}
}
