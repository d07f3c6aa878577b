package product_test

import (
	"math"
	"testing"

	"github.com/kcs-siem/siem-cef/product"
	"github.com/kcs-siem/siem-cef/record"
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
				ty := product.LookupType([]byte(id))
				require.NotSame(t, product.UnknownType, ty, id)
				assert.Equal(t, r.prefix, ty.Prefix, id)
			}
			ty := product.LookupType([]byte(r.prefix + "-001"))
			assert.Equal(t, r.name, ty.Name)
			assert.Equal(t, r.category, ty.Category)
			assert.Equal(t, r.runtime, ty.Runtime)
			if r.runtime {
				// first value with Audit/Audited or Enforce/Enforced/Blocked, the second otherwise
				for _, st := range []string{"Audit", "audited", "AUDITED", "Enforce", "enforced", "Blocked", "BLOCKED"} {
					assert.Equal(t, r.notable, ty.Severity(product.ClassifyOutcome([]byte(st))), "status %s", st)
				}
				for _, st := range []string{"Other", "Success", "Error", "", "allowed"} {
					assert.Equal(t, r.usual, ty.Severity(product.ClassifyOutcome([]byte(st))), "status %s", st)
				}
			} else {
				// the Error value with an error status, the Success value with every other
				for _, st := range []string{"Error", "error", "ERROR", "Failure", "failure", "Failed", "FAILED", "Fail", "fail"} {
					assert.Equal(t, r.notable, ty.Severity(product.ClassifyOutcome([]byte(st))), "status %s", st)
				}
				for _, st := range []string{"Success", "success", "Audit", "Enforce", "Blocked", "", "whatever"} {
					assert.Equal(t, r.usual, ty.Severity(product.ClassifyOutcome([]byte(st))), "status %s", st)
				}
			}
		})
	}
}

// README: the prefix is the part before the first `-`; an unknown type is still sent, named
// "Unknown event", severity 5.
func TestLookupTypeUnknown(t *testing.T) {
	assert.Same(t, product.LookupType([]byte("NCMP-001")), product.LookupType([]byte("NCMP-002")))
	assert.Equal(t, "NCMP", product.LookupType([]byte("NCMP-001")).Prefix)
	assert.Equal(t, "CMP", product.LookupType([]byte("CMP-001")).Prefix)
	assert.Equal(t, "FFTP", product.LookupType([]byte("FFTP-001")).Prefix)
	assert.Equal(t, "FM", product.LookupType([]byte("FM-1-2")).Prefix)
	for _, id := range []string{"", "-", "XYZ-001", "PMX-001", "P-M", "ADMIN-1", "-PM", " PM-001", "PM\x00-001",
		"P\x00-001", "NCMPNCMP-001", "pm-001", "SIEMCEF-001"} {
		ty := product.LookupType([]byte(id))
		assert.Same(t, product.UnknownType, ty, "id %q", id)
	}
	u := product.UnknownType
	assert.Equal(t, "Unknown event", u.Name)
	assert.False(t, u.Runtime)
	for _, o := range []product.Outcome{product.OutcomeOther, product.OutcomeSuccess, product.OutcomeError, product.OutcomeAudit, product.OutcomeEnforce} {
		assert.Equal(t, 5, u.Severity(o))
	}
}

// Every prefix of the table finds its own type, which says so (TypeByPrefix packs prefixes into
// words: none may be lost or meet another).
func TestPrefixCodes(t *testing.T) {
	for _, p := range product.Prefixes() {
		ty, ok := product.TypeByPrefix(p)
		require.True(t, ok, p)
		assert.Equal(t, p, ty.Prefix)
	}
	// Codes the table lacks land on empty slots or on another prefix's: neither is a type.
	for _, p := range []string{"", "P", "pm", "PMM", "FFTPX", "SIEMCEF", "ADMINIST", "PM\x00"} {
		_, ok := product.TypeByPrefix(p)
		assert.False(t, ok, "%q", p)
	}
	assert.Same(t, product.UnknownType, product.LookupType([]byte("QQ-001")))
}

func TestClassifyOutcome(t *testing.T) {
	cases := map[string]product.Outcome{
		"Success": product.OutcomeSuccess, "success": product.OutcomeSuccess, "SUCCESS": product.OutcomeSuccess,
		"Error": product.OutcomeError, "Failure": product.OutcomeError, "Failed": product.OutcomeError, "fail": product.OutcomeError,
		"Audit": product.OutcomeAudit, "Audited": product.OutcomeAudit, "audit": product.OutcomeAudit,
		"Enforce": product.OutcomeEnforce, "Enforced": product.OutcomeEnforce, "Blocked": product.OutcomeEnforce,
		"Other": product.OutcomeOther, "": product.OutcomeOther, "Errors": product.OutcomeOther, "Err": product.OutcomeOther,
		"Auditing": product.OutcomeOther, "Block": product.OutcomeOther,
	}
	for in, want := range cases {
		assert.Equal(t, want, product.ClassifyOutcome([]byte(in)), "status %q", in)
	}
}

// ClassifyOutcome trims a status as the message carries it (whitespace, Unicode's too, control and
// format characters at its ends: the SIEM sees the status the severity came from), and folds the
// case of ASCII letters only: a letter's fold outside ASCII (K, ſ) makes a status longer than its word.
func TestClassifyOutcomeTrimsAndFolds(t *testing.T) {
	cases := map[string]product.Outcome{
		"Blocked\x00": product.OutcomeEnforce, "Audited\u200b": product.OutcomeAudit, "\x7fenforced": product.OutcomeEnforce,
		"audit\u2028": product.OutcomeAudit, "\x1bsuccess\x1b": product.OutcomeSuccess, "Au\x00dit": product.OutcomeOther,
		"\tAudit": product.OutcomeAudit, "Audit\n": product.OutcomeAudit, " aUdIt ": product.OutcomeAudit,
		"\u00a0Audit": product.OutcomeAudit, "Audit\u2003": product.OutcomeAudit, "\u0085error": product.OutcomeError,
		"BLOCKED\u00a0": product.OutcomeEnforce, "OK": product.OutcomeSuccess, "oK": product.OutcomeSuccess,
		"o\u212a": product.OutcomeOther, "\u017fuccess": product.OutcomeOther, "!udit": product.OutcomeOther,
		"Audit\u00e9": product.OutcomeOther, "\u00e9rror": product.OutcomeOther, " ": product.OutcomeOther,
	}
	for in, want := range cases {
		assert.Equal(t, want, product.ClassifyOutcome([]byte(in)), "status %q", in)
	}
}

// docs/events.md §4, "Outcome vocabulary": the outcomes that change a severity are written in the
// product's spelling, whatever synonym the record used; Success and Other have none and keep the
// record's word.
func TestOutcomeSpelling(t *testing.T) {
	cases := map[string]string{
		"Audited": "Audit", "audited": "Audit", "AUDIT": "Audit", " Audit ": "Audit",
		"Enforced": "Enforce", "Blocked": "Enforce", "BLOCKED": "Enforce", "enforce": "Enforce",
		"Failure": "Error", "failed": "Error", "FAIL": "Error", "error": "Error",
		"Success": "", "ok": "", "Succeeded": "", "Other": "", "allowed": "", "": "",
	}
	for in, want := range cases {
		assert.Equal(t, want, string(product.ClassifyOutcome([]byte(in)).Spelling()), "status %q", in)
	}
}

// README: the record's own severity is a number 0–10 (a float is rounded, a value out of range is
// clamped) or Unknown 0, Low 3, Medium 6, High 8, Very-High 10 in any case.
func TestParseSeverity(t *testing.T) {
	cases := []struct {
		name string
		v    record.Value
		want int
		ok   bool
	}{
		{"int 0", record.Int(0), 0, true},
		{"int 3", record.Int(3), 3, true},
		{"int 7", record.Int(7), 7, true},
		{"int 10", record.Int(10), 10, true},
		{"int 11 clamped", record.Int(11), 10, true},
		{"int 1000 clamped", record.Int(1000), 10, true},
		{"int max clamped", record.Int(math.MaxInt64), 10, true},
		{"int -1 clamped", record.Int(-1), 0, true},
		{"int min clamped", record.Int(math.MinInt64), 0, true},
		{"uint 4", record.Uint(4), 4, true},
		{"uint max clamped", record.Uint(math.MaxUint64), 10, true},
		{"float 7.0", record.Float(7), 7, true},
		{"float 7.4 rounded", record.Float(7.4), 7, true},
		{"float 7.5 rounded", record.Float(7.5), 8, true},
		{"float 7.6 rounded", record.Float(7.6), 8, true},
		{"float 0.4 rounded", record.Float(0.4), 0, true},
		{"float 9.99 rounded", record.Float(9.99), 10, true},
		{"float 10.4 rounded", record.Float(10.4), 10, true},
		{"float 12.7 clamped", record.Float(12.7), 10, true},
		{"float -3.2 clamped", record.Float(-3.2), 0, true},
		{"float 1e300 clamped", record.Float(1e300), 10, true},
		{"float -1e300 clamped", record.Float(-1e300), 0, true},
		{"Unknown", record.String([]byte("Unknown")), 0, true},
		{"unknown", record.String([]byte("unknown")), 0, true},
		{"Low", record.String([]byte("Low")), 3, true},
		{"LOW", record.String([]byte("LOW")), 3, true},
		{"Medium", record.String([]byte("Medium")), 6, true},
		{"mEdIuM", record.String([]byte("mEdIuM")), 6, true},
		{"High", record.String([]byte("High")), 8, true},
		{"high", record.String([]byte("high")), 8, true},
		{"Very-High", record.String([]byte("Very-High")), 10, true},
		{"very-high", record.String([]byte("very-high")), 10, true},
		{"VERY-HIGH", record.String([]byte("VERY-HIGH")), 10, true},
		{"decimal string", record.String([]byte(" 7 ")), 7, true},
		{"decimal string past int64 clamped", record.String([]byte("18446744073709551615")), 10, true},
		{"negative decimal string past int64 clamped", record.String([]byte("-99999999999999999999")), 0, true},
		{"sign alone", record.String([]byte("+")), 0, false},
		{"digits and a letter", record.String([]byte("99999999999999999999x")), 0, false},
		{"garbage word", record.String([]byte("urgent")), 0, false},
		{"empty string", record.String([]byte("")), 0, false},
		{"Highest", record.String([]byte("Highest")), 0, false},
		{"Hi", record.String([]byte("Hi")), 0, false},
		{"NaN", record.Float(math.NaN()), 0, false},
		{"bool", record.Bool(true), 0, false},
		{"none", record.Value{}, 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, ok := product.ParseSeverity(c.v)
			assert.Equal(t, c.ok, ok)
			if c.ok {
				assert.Equal(t, c.want, got)
			}
		})
	}
}

// docs/events.md §4: a severity name in any case, `Very-High` (or `Very High`) 10; the value is
// read without the blanks around it, names as numbers.
func TestParseSeverityNamesSpacedAndPadded(t *testing.T) {
	for v, want := range map[string]int{"Very High": 10, "very high": 10, " High ": 8, "\tlow\n": 3, " Very-High ": 10} {
		got, ok := product.ParseSeverity(record.String([]byte(v)))
		assert.True(t, ok, "%q", v)
		assert.Equal(t, want, got, "%q", v)
	}
}
