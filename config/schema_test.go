package config

import (
	"testing"

	"github.com/kcs-siem/siem-cef/record"
	"github.com/kcs-siem/siem-cef/schema"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every field of docs/events.md §6, and only those, can be set and mapped: the plugin asks Fluent Bit for
// Set.<field> and Map.<field> of each friendly name.
func TestSetAndMapEveryField(t *testing.T) {
	valid := map[string]string{"severity": "7", "src_ip": "10.0.0.1", "dst_ip": "2001:db8::1", "node_ip": "10.0.0.2",
		"src_port": "1", "dst_port": "65535", "pid": "1", "ppid": "0", "new_pid": "2", "euid": "0", "egid": "0",
		"direction": "outbound", "event_id": "FPM-001"}
	var asked []string
	for _, name := range schema.FieldNames() {
		v, ok := valid[name]
		if !ok {
			v = "some text"
		}
		m := map[string]string{"Address": "siem.example.com", "Set." + name: v, "Map." + name: "$a['" + name + "']"}
		c, err := Load(GetterFunc(func(k string) string {
			if k == "Set."+name || k == "Map."+name {
				asked = append(asked, k)
			}
			return m[k]
		}), "x")
		require.NoError(t, err, name)
		f, _ := schema.FieldByName(name)
		assert.Equal(t, []schema.Assignment{{Field: f, Value: v, Path: record.Path{{Key: "a"}, {Key: name}}}}, c.Assign, name)
	}
	assert.Len(t, asked, 2*len(schema.FieldNames()))
	assert.Len(t, schema.FieldNames(), 37)

	// other spellings are not asked for
	c, err := Load(GetterFunc(func(k string) string {
		return map[string]string{"Address": "siem.example.com", "Set.cs1": "x", "Set.Cluster_Name": "y"}[k]
	}), "x")
	require.NoError(t, err)
	assert.Empty(t, c.Assign)
}

func TestSchemaStartupLine(t *testing.T) {
	c, err := Load(GetterFunc(func(k string) string {
		return map[string]string{
			"Address": "siem.example.com", "Schema": "TRACEE", "Merge_Log_Key": "tracee",
			"Set.cluster": "prod eu", "Map.cluster": "$kubernetes['labels']['cluster']", "Map.node": "$kubernetes['host']",
		}[k]
	}), "x")
	require.NoError(t, err)
	assert.Equal(t, schema.SensorTracee, c.Schema)
	assert.Contains(t, c.String(), ` Schema=tracee Merge_Log_Key=tracee Map.cluster=$kubernetes['labels']['cluster'] Set.cluster="prod eu" Map.node=$kubernetes['host']`)
}

func TestSchemaPropertiesReportedTogether(t *testing.T) {
	_, err := Load(GetterFunc(func(k string) string {
		return map[string]string{"Address": "siem.example.com", "Schema": "x", "Set.pid": "-1", "Map.pid": "pid", "Set.direction": "up"}[k]
	}), "x")
	var joined interface{ Unwrap() []error }
	require.ErrorAs(t, err, &joined)
	var names []string
	for _, e := range joined.Unwrap() {
		var pe *PropertyError
		require.ErrorAs(t, e, &pe)
		names = append(names, pe.Property)
	}
	assert.Equal(t, []string{"Schema", "Set.pid", "Map.pid", "Set.direction"}, names)
}
