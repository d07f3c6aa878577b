package deploy

import (
	"cmp"
	"maps"
	"net"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/kcs-siem/siem-cef/cmd/siem-cef/fbconfig"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Whoever gets an event into the forward input speaks for the platform to the SIEM. These are the
// namespaces the shipped NetworkPolicy admits, and nothing else.
const (
	platformNamespace   = "kcs"        // the senders of the forward input
	monitoringNamespace = "monitoring" // what scrapes the HTTP server's metrics
	namespaceLabel      = "kubernetes.io/metadata.name"
)

// envReference is a value that is one variable of the environment, with no default: a key written
// in a file is known to whoever reads the file, and ${VAR:-} would make it empty.
var envReference = regexp.MustCompile(`^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$`)

// forwardOnNetwork are the forward inputs of c that others than the pod's own processes can reach:
// neither on a unix socket (Unix_Path makes Fluent Bit ignore Listen) nor on the loopback. Listen
// defaults to 0.0.0.0.
func forwardOnNetwork(c config) []section {
	var out []section
	for _, in := range c.named("input", "forward") {
		if in.has("Unix_Path") {
			continue
		}
		listen := cmp.Or(in.get("Listen"), "0.0.0.0")
		if ip := net.ParseIP(listen); (ip != nil && ip.IsLoopback()) || strings.EqualFold(listen, "localhost") {
			continue
		}
		out = append(out, in)
	}
	return out
}

// checkForwardClosed: a forward input on the network admits only senders that know a shared key
// taken from the environment, over TLS with a certificate of its own.
func checkForwardClosed(t *testing.T, c config) {
	t.Helper()
	for _, in := range forwardOnNetwork(c) {
		assert.Regexp(t, envReference, in.get("Shared_Key"), "%s on %s: Shared_Key ${VAR}", in, in.get("Listen"))
		assert.False(t, fbconfig.IsTrue(in.get("Empty_Shared_Key")), "%s: Empty_Shared_Key lets anyone in", in)
		assert.True(t, fbconfig.IsTrue(in.get("tls")), "%s on %s: tls On", in, in.get("Listen"))
		assert.NotEmpty(t, in.get("tls.crt_file"), "%s: tls.crt_file", in)
		assert.NotEmpty(t, in.get("tls.key_file"), "%s: tls.key_file", in)
	}
}

// checkForwardSecrets: in a pod, the shared key of every forward input on the network comes from a
// Secret that must exist, its certificate and key from a mounted Secret, and its port is a port of
// the container. Every ${VAR} of the configuration is in the container's environment.
func checkForwardSecrets(t *testing.T, c config, ctr, pod any) {
	t.Helper()
	env := list(ctr, "env")
	for _, s := range c {
		for _, p := range s.Props {
			for _, m := range regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)`).FindAllStringSubmatch(p.Value, -1) {
				assert.NotNil(t, byName(env, m[1]), "%s: %s uses ${%s}, which the container's env lacks", s, p.Key, m[1])
			}
		}
	}
	mounts, volumes := list(ctr, "volumeMounts"), list(pod, "volumes")
	for _, in := range forwardOnNetwork(c) {
		if m := envReference.FindStringSubmatch(in.get("Shared_Key")); m != nil {
			ref := at(byName(env, m[1]), "valueFrom", "secretKeyRef")
			require.NotNil(t, ref, "%s: %s from a Secret", in, m[1])
			assert.NotEmpty(t, str(ref, "name"), "%s: %s", in, m[1])
			assert.NotEmpty(t, str(ref, "key"), "%s: %s", in, m[1])
			assert.NotEqual(t, "true", str(ref, "optional"), "%s: without the Secret the key would be empty", in)
		}
		for _, k := range []string{"tls.crt_file", "tls.key_file"} {
			file := in.get(k)
			m := mountAt(mounts, path.Dir(file))
			require.NotNil(t, m, "%s: %s %s is in a mounted volume", in, k, file)
			assert.NotEmpty(t, str(byName(volumes, str(m, "name")), "secret", "secretName"), "%s: %s from a Secret", in, k)
		}
		var ports []string
		for _, p := range list(ctr, "ports") {
			ports = append(ports, str(p, "containerPort"))
		}
		assert.Contains(t, ports, in.get("Port"), "%s: its port is a port of the container", in)
	}
}

// selects: a podSelector that picks a pod with these labels, by labels only.
func selects(t *testing.T, selector any, labels map[string]any) {
	t.Helper()
	match, _ := at(selector, "matchLabels").(map[string]any)
	require.NotEmpty(t, match, "podSelector.matchLabels: an empty selector picks every pod of the namespace")
	assert.Nil(t, at(selector, "matchExpressions"))
	for k, v := range match {
		assert.Equal(t, v, labels[k], "podSelector %s", k)
	}
}

// admitted reads NetworkPolicy ingress rules: which namespace may reach which ports. A rule that
// admits more than whole namespaces by name (no from, an ipBlock, a podSelector, an expression) or
// every port fails the test.
func admitted(t *testing.T, from []any, ports []string, into map[string][]string) {
	t.Helper()
	require.NotEmpty(t, from, "an ingress rule without from admits everyone")
	require.NotEmpty(t, ports, "an ingress rule without ports admits every port")
	for _, peer := range from {
		p, _ := peer.(map[string]any)
		assert.Equal(t, []string{"namespaceSelector"}, slices.Collect(maps.Keys(p)), "a peer is a namespace: %v", peer)
		match, _ := at(peer, "namespaceSelector", "matchLabels").(map[string]any)
		require.Len(t, match, 1, "a namespace by its name: %v", peer)
		assert.Nil(t, at(peer, "namespaceSelector", "matchExpressions"))
		ns := str(match, namespaceLabel)
		require.NotEmpty(t, ns, "a namespace by %s: %v", namespaceLabel, peer)
		into[ns] = append(into[ns], ports...)
		slices.Sort(into[ns])
	}
}

// rulePorts are the ports of one ingress rule: numbers, TCP, no ranges.
func rulePorts(t *testing.T, rule any) []string {
	t.Helper()
	var out []string
	for _, p := range list(rule, "ports") {
		assert.Contains(t, []string{"", "TCP"}, str(p, "protocol"))
		assert.Nil(t, at(p, "endPort"), "a port, not a range")
		assert.Regexp(t, `^\d+$`, str(p, "port"), "a port by number")
		out = append(out, str(p, "port"))
	}
	return out
}

// k8sNetworkPolicy is the NetworkPolicy of deploy/kubernetes and what it admits.
func k8sNetworkPolicy(t *testing.T, objs map[string][]object) (object, map[string][]string) {
	t.Helper()
	np := one(t, objs, "NetworkPolicy")
	assert.Equal(t, "networking.k8s.io/v1", str(np, "apiVersion"))
	assert.Contains(t, list(np, "spec", "policyTypes"), "Ingress")
	got := map[string][]string{}
	for _, rule := range list(np, "spec", "ingress") {
		admitted(t, list(rule, "from"), rulePorts(t, rule), got)
	}
	return np, got
}

// TestImageForwardOnLoopback: the image has no Secret to take a shared key from, and an unset
// variable would make the key empty: its forward input listens on the loopback (or a socket) only.
func TestImageForwardOnLoopback(t *testing.T) {
	for _, name := range []string{"fluent-bit.conf", "fluent-bit.yaml"} {
		c := readRepoConfig(t, name)
		require.NotEmpty(t, c.named("input", "forward"), name)
		assert.Empty(t, forwardOnNetwork(c), "%s: the forward input on the loopback", name)
	}
}

// TestNetworkPolicy: deploy/kubernetes has a NetworkPolicy that selects the DaemonSet's pods and
// admits the platform's namespace to the forward input and the monitoring namespace to the HTTP
// server, nothing else.
func TestNetworkPolicy(t *testing.T) {
	objs := k8sObjects(t)
	np, got := k8sNetworkPolicy(t, objs)
	ds := one(t, objs, "DaemonSet")
	labels, _ := at(ds, "spec", "template", "metadata", "labels").(map[string]any)
	selects(t, at(np, "spec", "podSelector"), labels)
	assert.Equal(t, map[string][]string{platformNamespace: {forwardPort}, monitoringNamespace: {httpPort}}, got)
}

// TestForwardService: senders reach the forward input through a ClusterIP Service (never from
// outside the cluster), each the Fluent Bit of its own node.
func TestForwardService(t *testing.T) {
	objs := k8sObjects(t)
	svc := one(t, objs, "Service")
	ds := one(t, objs, "DaemonSet")
	assert.Equal(t, "ClusterIP", str(svc, "spec", "type"))
	assert.Equal(t, "Local", str(svc, "spec", "internalTrafficPolicy"))
	labels, _ := at(ds, "spec", "template", "metadata", "labels").(map[string]any)
	selector, _ := at(svc, "spec", "selector").(map[string]any)
	require.NotEmpty(t, selector)
	for k, v := range selector {
		assert.Equal(t, v, labels[k], "the Service selects the DaemonSet's pods (%s)", k)
	}
	p := byName(list(svc, "spec", "ports"), "forward")
	require.NotNil(t, p, "a port named forward")
	assert.Equal(t, forwardPort, str(p, "port"))
	ctrPort := byName(list(ds, "spec", "template", "spec", "containers", 0, "ports"), str(p, "targetPort"))
	require.NotNil(t, ctrPort, "targetPort names a container port")
	assert.Equal(t, forwardPort, str(ctrPort, "containerPort"))
}

// TestHelmClosed: the Helm values are closed by default: the chart's NetworkPolicy on, admitting
// only the monitoring namespace to the metrics port; the pods carry the label deploy/kubernetes'
// NetworkPolicy selects, which admits the platform to the forward input; the Service in the cluster.
func TestHelmClosed(t *testing.T) {
	v := helmValues(t)
	assert.Equal(t, "true", str(v, "networkPolicy", "enabled"), "the chart's NetworkPolicy")
	// The chart's one rule: from networkPolicy.ingress.from to service.port.
	assert.Equal(t, str(v, "metricsPort"), str(v, "service", "port"), "the chart's rule admits to service.port")
	got := map[string][]string{}
	admitted(t, list(v, "networkPolicy", "ingress", "from"), []string{str(v, "service", "port")}, got)
	assert.Equal(t, map[string][]string{monitoringNamespace: {httpPort}}, got)
	// networkpolicy.yaml is applied beside the chart's NetworkPolicy: under its name, it would
	// replace it, and the next helm upgrade would put the chart's back, shutting the forward port.
	np, _ := k8sNetworkPolicy(t, k8sObjects(t))
	assert.NotEqual(t, str(v, "fullnameOverride"), str(np, "metadata", "name"), "the chart's NetworkPolicy is named after the release's full name")
	assert.Equal(t, "ClusterIP", str(v, "service", "type"))
	assert.Equal(t, "Local", str(v, "service", "internalTrafficPolicy"))

	// The chart's pod labels (fluent-bit.selectorLabels), for any release name.
	labels := map[string]any{
		"app.kubernetes.io/name":     cmp.Or(str(v, "nameOverride"), "fluent-bit"),
		"app.kubernetes.io/instance": "any-release",
	}
	np, forward := k8sNetworkPolicy(t, k8sObjects(t))
	selects(t, at(np, "spec", "podSelector"), labels)
	assert.Equal(t, []string{forwardPort}, forward[platformNamespace], "the platform to the forward input")
}
