package ceftest

// Pair is one extension key and its value, as cef.Pair.
type Pair struct{ Key, Value string }

// EveryKey is every key the project writes with a plausible value that needs no escaping, each
// label after its key, in the order of the README table "Record fields and extension keys": what an
// event of every key is sent as, and what the strict decoder gives back for it. Written by hand.
var EveryKey = []Pair{
	{Key: "source", Value: "pod-1"},
	{Key: "src", Value: "10.0.0.1"},
	{Key: "c6a2", Value: "2001:db8::1"}, {Key: "c6a2Label", Value: "Source IPv6 address"},
	{Key: "reason", Value: "denied"},
	{Key: "fname", Value: "nginx:1.25"},
	{Key: "suser", Value: "alice"},
	{Key: "dpid", Value: "100"},
	{Key: "spid", Value: "1"},
	{Key: "flexString1", Value: "0"}, {Key: "flexString1Label", Value: "EGID"},
	{Key: "flexString2", Value: "abc123"}, {Key: "flexString2Label", Value: "Container ID"},
	{Key: "request", Value: "docker.io/nginx:1.25"},
	{Key: "fileHash", Value: "sha256:ff"},
	{Key: "act", Value: "exec"},
	{Key: "spt", Value: "40000"},
	{Key: "dst", Value: "10.0.0.2"},
	{Key: "c6a3", Value: "2001:db8::2"}, {Key: "c6a3Label", Value: "Destination IPv6 address"},
	{Key: "dpt", Value: "443"},
	{Key: "dproc", Value: "/bin/sh"},
	{Key: "duid", Value: "0"},
	{Key: "filePermission", Value: "0644"},
	{Key: "oldFilePath", Value: "/tmp/a"},
	{Key: "filePath", Value: "/tmp/b"},
	{Key: "deviceDirection", Value: "1"},
	{Key: "cn1", Value: "101"}, {Key: "cn1Label", Value: "New PID"},
	{Key: "cs1", Value: "prod"}, {Key: "cs1Label", Value: "Cluster name"},
	{Key: "cs2", Value: "node-1"}, {Key: "cs2Label", Value: "Node name"},
	{Key: "cs3", Value: "default"}, {Key: "cs3Label", Value: "Namespace"},
	{Key: "cs4", Value: "sh -c id"}, {Key: "cs4Label", Value: "Command"},
	{Key: "cs5", Value: "pod-1"}, {Key: "cs5Label", Value: "Pod name"},
	{Key: "cs6", Value: "app"}, {Key: "cs6Label", Value: "Container name"},
	{Key: "cs7", Value: "192.168.1.1"}, {Key: "cs7Label", Value: "Node IP"},
	{Key: "outcome", Value: "Error"},
	{Key: "cnt", Value: "3"},
	{Key: "start", Value: "1771409248000"},
	{Key: "end", Value: "1771409250500"},
	{Key: "msg", Value: "hello world"},
}
