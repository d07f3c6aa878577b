package config

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/kcs-siem/siem-cef/product"
	"github.com/kcs-siem/siem-cef/record"
	"github.com/kcs-siem/siem-cef/schema"
)

// Mapping is the part of an integration's configuration that the record decoder and the schema
// mapper take: the pipeline hands MergeLogKey to the one, the rest to the other.
type Mapping struct {
	// Schema is the sensor of the records (auto: each record's fingerprint).
	Schema schema.Sensor
	// MergeLogKey is the key the kubernetes filter's Merge_Log_Key names.
	MergeLogKey string
	// Assign are the Set.<field> and Map.<field> settings, in field order.
	Assign []schema.Assignment
	// Severity replaces the severity rules of the event types it names; empty keeps them all.
	Severity product.Overrides
}

// The properties of the record schema: Schema and Merge_Log_Key are in the properties table;
// Set.<field> and Map.<field> are added here, one pair per field of docs/events.md §6. Fluent Bit gives a
// Go plugin no way to list the properties of its section, so only these names can be read: a
// Set.<anything else> is ignored, as any unknown property is.
func init() {
	for _, name := range schema.FieldNames() {
		f, _ := schema.FieldByName(name)
		properties = append(properties,
			struct {
				name string
				set  func(c *Config, v string) error
			}{"Set." + name, func(c *Config, v string) error { return c.setField(f, v) }},
			struct {
				name string
				set  func(c *Config, v string) error
			}{"Map." + name, func(c *Config, v string) error { return c.mapField(f, v) }},
		)
	}
}

func parseSchema(v string) (schema.Sensor, error) {
	if s, ok := schema.ParseSensor(v); ok {
		return s, nil
	}
	return 0, &PropertyError{"Schema", v, "auto (the source of each record by its fingerprint, else KCS-native), kcs, falco, tetragon or tracee"}
}

func parseMergeLogKey(v string) (string, error) {
	if !utf8.ValidString(v) || len(v) > 255 || strings.ContainsFunc(v, func(r rune) bool { return unicode.IsControl(r) || unicode.IsSpace(r) }) {
		return "", &PropertyError{"Merge_Log_Key", v, "the key the kubernetes filter's Merge_Log_Key names: at most 255 characters, no spaces or control characters"}
	}
	return v, nil
}

// assignment is the Set/Map setting of a field, made on first use; Assign stays in field order.
func (c *Config) assignment(f schema.Field) *schema.Assignment {
	for i := range c.Assign {
		if c.Assign[i].Field == f {
			return &c.Assign[i]
		}
	}
	c.Assign = append(c.Assign, schema.Assignment{Field: f})
	return &c.Assign[len(c.Assign)-1]
}

func (c *Config) setField(f schema.Field, v string) error {
	if accepts, ok := schema.CheckValue(f, v); !ok {
		return &PropertyError{"Set." + f.Name(), v, accepts}
	}
	c.assignment(f).Value = v
	return nil
}

func (c *Config) mapField(f schema.Field, v string) error {
	p, err := record.ParsePath(v)
	if err != nil {
		return &PropertyError{"Map." + f.Name(), v, err.Error()}
	}
	c.assignment(f).Path = p
	return nil
}

// schemaFields are the schema settings in the start-up line: Schema always, the others when set.
func (c *Config) schemaFields() []shown {
	fields := []shown{{"Schema", c.Schema.String()}}
	if c.MergeLogKey != "" {
		fields = append(fields, shown{"Merge_Log_Key", c.MergeLogKey})
	}
	for _, a := range c.Assign {
		if a.Path != nil {
			fields = append(fields, shown{"Map." + a.Field.Name(), a.Path.String()})
		}
		if a.Value != "" {
			fields = append(fields, shown{"Set." + a.Field.Name(), a.Value})
		}
	}
	return fields
}
