package cef_test

import (
	"math"
	"testing"

	"github.com/kcs-siem/siem-cef/cef"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// README "Event types": every row of the table, both severity columns.
func TestEventTypeTable(t *testing.T) {
	rows := []struct {
		prefix, name, category string
		runtime                bool
		notable, usual         int // Error (non-runtime) or Audit/Enforce (runtime); the other value
	}{
		{"ADM", "Administration", "Administration", false, 6, 3},
		{"CVE", "Vulnerability risk acceptance", "Administration", false, 6, 5},
		{"MLW", "Malware risk acceptance", "Administration", false, 6, 5},
		{"SD", "Sensitive data risk acceptance", "Administration", false, 6, 5},
		{"MS", "Misconfiguration risk acceptance", "Administration", false, 6, 5},
		{"NCMP", "Image non-compliance", "Policies", false, 6, 6},
		{"CMP", "Image compliance", "Policies", false, 6, 2},
		{"CI", "CI/CD", "CI/CD", false, 6, 3},
		{"PLC", "Security policy", "Policies", false, 6, 3},
		{"BNCH", "Cluster benchmark", "Resources", false, 6, 3},
		{"AG", "Agents", "Alert", false, 10, 5},
		{"SJ", "Scan", "Scanners", false, 6, 3},
		{"RT", "Best practice check", "Resources", false, 6, 3},
		{"API", "API", "API", false, 8, 3},
		{"PM", "Process management", "runtime", true, 7, 3},
		{"FM", "File management", "runtime", true, 7, 3},
		{"NT", "Networking", "runtime", true, 7, 3},
		{"FPM", "Process policy violation", "runtime", true, 8, 5},
		{"FNT", "Network policy violation", "runtime", true, 8, 5},
		{"FFM", "File policy violation", "runtime", true, 8, 5},
		{"FFTP", "File threat protection", "runtime", true, 9, 6},
	}
	for _, r := range rows {
		t.Run(r.prefix, func(t *testing.T) {
			for _, id := range []string{r.prefix + "-001", r.prefix + "-123", r.prefix} {
				ty := cef.LookupType([]byte(id))
				require.NotSame(t, cef.UnknownType, ty, id)
				assert.Equal(t, r.prefix, ty.Prefix, id)
			}
			ty := cef.LookupType([]byte(r.prefix + "-001"))
			assert.Equal(t, r.name, ty.Name)
			assert.Equal(t, r.category, ty.Category)
			assert.Equal(t, r.runtime, ty.Runtime)
			if r.runtime {
				// first value with Audit/Audited or Enforce/Enforced/Blocked, the second otherwise
				for _, st := range []string{"Audit", "audited", "AUDITED", "Enforce", "enforced", "Blocked", "BLOCKED"} {
					assert.Equal(t, r.notable, ty.Severity(cef.ClassifyOutcome([]byte(st))), "status %s", st)
				}
				for _, st := range []string{"Other", "Success", "Error", "", "allowed"} {
					assert.Equal(t, r.usual, ty.Severity(cef.ClassifyOutcome([]byte(st))), "status %s", st)
				}
			} else {
				// the Error value with an error status, the Success value with every other
				for _, st := range []string{"Error", "error", "ERROR", "Failure", "failure", "Failed", "FAILED", "Fail", "fail"} {
					assert.Equal(t, r.notable, ty.Severity(cef.ClassifyOutcome([]byte(st))), "status %s", st)
				}
				for _, st := range []string{"Success", "success", "Audit", "Enforce", "Blocked", "", "whatever"} {
					assert.Equal(t, r.usual, ty.Severity(cef.ClassifyOutcome([]byte(st))), "status %s", st)
				}
			}
		})
	}
}

// README: the prefix is the part before the first `-`; an unknown type is still sent, named
// "Unknown event", severity 5.
func TestLookupTypeUnknown(t *testing.T) {
	assert.Same(t, cef.LookupType([]byte("NCMP-001")), cef.LookupType([]byte("NCMP-002")))
	assert.Equal(t, "NCMP", cef.LookupType([]byte("NCMP-001")).Prefix)
	assert.Equal(t, "CMP", cef.LookupType([]byte("CMP-001")).Prefix)
	assert.Equal(t, "FFTP", cef.LookupType([]byte("FFTP-001")).Prefix)
	assert.Equal(t, "FM", cef.LookupType([]byte("FM-1-2")).Prefix)
	for _, id := range []string{"", "-", "XYZ-001", "PMX-001", "P-M", "ADMIN-1", "-PM", " PM-001"} {
		ty := cef.LookupType([]byte(id))
		assert.Same(t, cef.UnknownType, ty, "id %q", id)
	}
	u := cef.UnknownType
	assert.Equal(t, "Unknown event", u.Name)
	assert.False(t, u.Runtime)
	for _, o := range []cef.Outcome{cef.OutcomeOther, cef.OutcomeSuccess, cef.OutcomeError, cef.OutcomeAudit, cef.OutcomeEnforce} {
		assert.Equal(t, 5, u.Severity(o))
	}
}

func TestClassifyOutcome(t *testing.T) {
	cases := map[string]cef.Outcome{
		"Success": cef.OutcomeSuccess, "success": cef.OutcomeSuccess, "SUCCESS": cef.OutcomeSuccess,
		"Error": cef.OutcomeError, "Failure": cef.OutcomeError, "Failed": cef.OutcomeError, "fail": cef.OutcomeError,
		"Audit": cef.OutcomeAudit, "Audited": cef.OutcomeAudit, "audit": cef.OutcomeAudit,
		"Enforce": cef.OutcomeEnforce, "Enforced": cef.OutcomeEnforce, "Blocked": cef.OutcomeEnforce,
		"Other": cef.OutcomeOther, "": cef.OutcomeOther, "Errors": cef.OutcomeOther, "Err": cef.OutcomeOther,
		"Auditing": cef.OutcomeOther, "Block": cef.OutcomeOther,
	}
	for in, want := range cases {
		assert.Equal(t, want, cef.ClassifyOutcome([]byte(in)), "status %q", in)
	}
}

// README: the record's own severity is a number 0–10 (a float is rounded, a value out of range is
// clamped) or Unknown 0, Low 3, Medium 6, High 8, Very-High 10 in any case.
func TestParseSeverity(t *testing.T) {
	cases := []struct {
		name string
		v    cef.Value
		want int
		ok   bool
	}{
		{"int 0", cef.Int(0), 0, true},
		{"int 3", cef.Int(3), 3, true},
		{"int 7", cef.Int(7), 7, true},
		{"int 10", cef.Int(10), 10, true},
		{"int 11 clamped", cef.Int(11), 10, true},
		{"int 1000 clamped", cef.Int(1000), 10, true},
		{"int max clamped", cef.Int(math.MaxInt64), 10, true},
		{"int -1 clamped", cef.Int(-1), 0, true},
		{"int min clamped", cef.Int(math.MinInt64), 0, true},
		{"uint 4", uintV(4), 4, true},
		{"uint max clamped", uintV(math.MaxUint64), 10, true},
		{"float 7.0", floatV(7), 7, true},
		{"float 7.4 rounded", floatV(7.4), 7, true},
		{"float 7.5 rounded", floatV(7.5), 8, true},
		{"float 7.6 rounded", floatV(7.6), 8, true},
		{"float 0.4 rounded", floatV(0.4), 0, true},
		{"float 9.99 rounded", floatV(9.99), 10, true},
		{"float 10.4 rounded", floatV(10.4), 10, true},
		{"float 12.7 clamped", floatV(12.7), 10, true},
		{"float -3.2 clamped", floatV(-3.2), 0, true},
		{"float 1e300 clamped", floatV(1e300), 10, true},
		{"float -1e300 clamped", floatV(-1e300), 0, true},
		{"Unknown", str("Unknown"), 0, true},
		{"unknown", str("unknown"), 0, true},
		{"Low", str("Low"), 3, true},
		{"LOW", str("LOW"), 3, true},
		{"Medium", str("Medium"), 6, true},
		{"mEdIuM", str("mEdIuM"), 6, true},
		{"High", str("High"), 8, true},
		{"high", str("high"), 8, true},
		{"Very-High", str("Very-High"), 10, true},
		{"very-high", str("very-high"), 10, true},
		{"VERY-HIGH", str("VERY-HIGH"), 10, true},
		{"garbage word", str("urgent"), 0, false},
		{"empty string", str(""), 0, false},
		{"Highest", str("Highest"), 0, false},
		{"Hi", str("Hi"), 0, false},
		{"NaN", floatV(math.NaN()), 0, false},
		{"bool", boolV(true), 0, false},
		{"none", cef.Value{}, 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, ok := cef.ParseSeverity(c.v)
			assert.Equal(t, c.ok, ok)
			if c.ok {
				assert.Equal(t, c.want, got)
			}
		})
	}
}

// README: CEF 0–3 → syslog 6, 4–6 → 4, 7–8 → 3, 9–10 → 2.
func TestSyslogSeverity(t *testing.T) {
	want := []int{6, 6, 6, 6, 4, 4, 4, 3, 3, 2, 2}
	for sev, w := range want {
		assert.Equal(t, w, cef.SyslogSeverity(sev), "CEF severity %d", sev)
	}
}
