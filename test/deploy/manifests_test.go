package deploy

import (
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const k8sDir = "deploy/kubernetes"

// k8sObjects reads every manifest of deploy/kubernetes, by file.
func k8sObjects(t *testing.T) map[string][]object {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(root, k8sDir, "*.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	out := map[string][]object{}
	for _, f := range files {
		rel, err := filepath.Rel(root, f)
		require.NoError(t, err)
		objs := decodeAll(t, repoFile(t, rel))
		require.NotEmpty(t, objs, "%s: no document", rel)
		for _, o := range objs {
			require.NotEmpty(t, str(o, "apiVersion"), "%s: apiVersion", rel)
			require.NotEmpty(t, str(o, "kind"), "%s: kind", rel)
		}
		out[filepath.Base(f)] = objs
	}
	return out
}

// one is the only object of a kind; the test fails unless there is exactly one.
func one(t *testing.T, objs map[string][]object, kind string) object {
	t.Helper()
	var found []object
	for _, l := range objs {
		for _, o := range l {
			if str(o, "kind") == kind {
				found = append(found, o)
			}
		}
	}
	require.Len(t, found, 1, "objects of kind %s", kind)
	return found[0]
}

// TestKubernetesManifests checks deploy/kubernetes: the kustomization lists every manifest; a
// Namespace, ServiceAccount, ConfigMap and DaemonSet and no RBAC (no kubernetes filter); the
// DaemonSet runs the image with the ConfigMap's configuration, node name and IP from the downward
// API, the buffer on a hostPath at storage.path, probes on the health endpoint, resources, the
// forward input's key and certificate from Secrets (the Service and the NetworkPolicy:
// forward_test.go).
func TestKubernetesManifests(t *testing.T) {
	objs := k8sObjects(t)

	kust := objs["kustomization.yaml"]
	require.Len(t, kust, 1)
	assert.Equal(t, "Kustomization", str(kust[0], "kind"))
	ns := str(kust[0], "namespace")
	require.NotEmpty(t, ns)
	var resources, files []string
	for _, r := range list(kust[0], "resources") {
		resources = append(resources, r.(string))
	}
	for f := range objs {
		if f != "kustomization.yaml" {
			files = append(files, f)
		}
	}
	sort.Strings(resources)
	sort.Strings(files)
	assert.Equal(t, files, resources, "kustomization.yaml lists every manifest")

	var kinds []string
	for f, l := range objs {
		for _, o := range l {
			kind := str(o, "kind")
			kinds = append(kinds, kind)
			if f == "kustomization.yaml" || kind == "Namespace" {
				continue
			}
			assert.Equal(t, ns, str(o, "metadata", "namespace"), "%s: %s in namespace %s", f, kind, ns)
		}
	}
	assert.Equal(t, ns, str(one(t, objs, "Namespace"), "metadata", "name"))
	for _, k := range []string{"ServiceAccount", "ConfigMap", "DaemonSet"} {
		assert.Contains(t, kinds, k)
	}

	cm := one(t, objs, "ConfigMap")
	sa := one(t, objs, "ServiceAccount")
	ds := one(t, objs, "DaemonSet")
	assert.Equal(t, "apps/v1", str(ds, "apiVersion"))
	assert.Equal(t, "false", str(sa, "automountServiceAccountToken"), "the pods use no API: no token")

	pod := at(ds, "spec", "template", "spec")
	require.NotNil(t, pod)
	assert.Equal(t, str(sa, "metadata", "name"), str(pod, "serviceAccountName"))
	selector := at(ds, "spec", "selector", "matchLabels").(map[string]any)
	require.NotEmpty(t, selector)
	for k, v := range selector {
		assert.Equal(t, v, at(ds, "spec", "template", "metadata", "labels", k), "the selector matches the pod's labels")
	}

	containers := list(pod, "containers")
	require.Len(t, containers, 1)
	ctr := containers[0]
	assert.Equal(t, helmImage(t), str(ctr, "image"), "the DaemonSet and the Helm values run the same image")
	assert.Regexp(t, `^[^:@]+(:[^:@/]+)$`, str(ctr, "image"), "an image with an explicit tag")
	assert.NotRegexp(t, `:latest$`, str(ctr, "image"))

	argv := append(strList(list(ctr, "command")), strList(list(ctr, "args"))...)
	require.NotEmpty(t, argv)
	assert.Equal(t, "/fluent-bit/bin/fluent-bit", argv[0])
	noDaemonFlag(t, argv)
	confPath := flagValue(argv, "-c", "--config")
	require.NotEmpty(t, confPath, "fluent-bit -c FILE in %v", argv)

	// The configuration: the ConfigMap's key, mounted at the directory of -c.
	mounts := list(ctr, "volumeMounts")
	volumes := list(pod, "volumes")
	confMount := mountAt(mounts, path.Dir(confPath))
	require.NotNil(t, confMount, "a volume mounted at %s", path.Dir(confPath))
	assert.Equal(t, k8sConfigDir, path.Dir(confPath), "mounted beside, not over, the image's %s", configDir)
	confVol := byName(volumes, str(confMount, "name"))
	require.NotNil(t, confVol)
	assert.Equal(t, str(cm, "metadata", "name"), str(confVol, "configMap", "name"))
	text := str(cm, "data", path.Base(confPath))
	require.NotEmpty(t, text, "ConfigMap key %s", path.Base(confPath))
	c := readConfig(t, "configmap/"+path.Base(confPath), text)
	checkNodeDeployment(t, c, ctr, pod)
	checkWithProjectTools(t, text, "fluent-bit.conf", map[string]string{"NODE_NAME": "node-7", "NODE_IP": "10.0.0.7"})

	// RBAC only for the kubernetes filter, which reads pod metadata from the API.
	usesAPI := len(c.named("filter", "kubernetes")) > 0
	for _, k := range []string{"ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"} {
		assert.Equal(t, usesAPI, slices.Contains(kinds, k), "%s only with the kubernetes filter", k)
	}
}

// checkNodeDeployment checks a node configuration together with the container and pod that run it.
func checkNodeDeployment(t *testing.T, c config, ctr, pod any) {
	t.Helper()
	outs := checkNodeConfig(t, c)
	for _, o := range outs {
		assert.Equal(t, "${NODE_NAME}", o.get("Hostname"), "%s: the node's name in the syslog header", o)
	}
	// An event without node fields gets the node's (cs2, cs7).
	mod := c.named("filter", "modify")
	require.Len(t, mod, 1)
	assert.Equal(t, []string{"node     ${NODE_NAME}", "node_ip  ${NODE_IP}"}, mod[0].all("Add"))

	// The downward API.
	env := list(ctr, "env")
	for name, field := range map[string]string{"NODE_NAME": "spec.nodeName", "NODE_IP": "status.hostIP"} {
		e := byName(env, name)
		require.NotNil(t, e, "env %s", name)
		assert.Equal(t, field, str(e, "valueFrom", "fieldRef", "fieldPath"), "env %s", name)
	}

	// The HTTP server and the probes on its health endpoint.
	ports := list(ctr, "ports")
	httpP := byName(ports, "http")
	require.NotNil(t, httpP, "a port named http")
	assert.Equal(t, httpPort, str(httpP, "containerPort"))
	for _, probe := range []string{"livenessProbe", "readinessProbe"} {
		assert.Equal(t, healthPath, str(ctr, probe, "httpGet", "path"), probe)
		assert.Contains(t, []string{"http", httpPort}, str(ctr, probe, "httpGet", "port"), probe)
	}

	// On every node, the tainted ones too: the Service sends each sender to its own node's pod only.
	assert.Contains(t, list(pod, "tolerations"), map[string]any{"operator": "Exists"}, "a pod on every node, whatever its taints")

	checkResources(t, at(ctr, "resources"))
	checkBuffer(t, c, list(ctr, "volumeMounts"), list(pod, "volumes"))
	checkForwardSecrets(t, c, ctr, pod)
}

// checkResources: requests and limits of CPU and memory.
func checkResources(t *testing.T, res any) {
	t.Helper()
	for _, k := range []string{"requests", "limits"} {
		for _, r := range []string{"cpu", "memory"} {
			assert.NotEmpty(t, str(res, k, r), "resources.%s.%s", k, r)
		}
	}
}

// checkBuffer: storage.path is a hostPath, so the chunks survive the pod; the tail input's files
// are the node's.
func checkBuffer(t *testing.T, c config, mounts, volumes []any) {
	t.Helper()
	m := mountAt(mounts, storagePath)
	require.NotNil(t, m, "a volume mounted at storage.path %s", storagePath)
	assert.NotEqual(t, "true", str(m, "readOnly"))
	v := byName(volumes, str(m, "name"))
	require.NotNil(t, v)
	assert.NotEmpty(t, str(v, "hostPath", "path"), "storage.path on a hostPath")
	assert.Equal(t, "DirectoryOrCreate", str(v, "hostPath", "type"))
	for _, in := range c.named("input", "tail") {
		dir := path.Dir(in.get("Path"))
		tm := mountAt(mounts, dir)
		require.NotNil(t, tm, "the tail input's %s is mounted", dir)
		assert.NotEmpty(t, str(byName(volumes, str(tm, "name")), "hostPath", "path"))
	}
}

func mountAt(mounts []any, dir string) any {
	for _, m := range mounts {
		if path.Clean(str(m, "mountPath")) == path.Clean(dir) {
			return m
		}
	}
	return nil
}

func strList(l []any) []string {
	out := make([]string, len(l))
	for i, e := range l {
		out[i] = e.(string)
	}
	return out
}

// flagValue is the value of the first of names in argv ("-c FILE", "--config=FILE").
func flagValue(argv []string, names ...string) string {
	for i, a := range argv {
		for _, n := range names {
			if a == n && i+1 < len(argv) {
				return argv[i+1]
			}
			if v, ok := strings.CutPrefix(a, n+"="); ok {
				return v
			}
		}
	}
	return ""
}

// noDaemonFlag: fluent-bit -d / --daemon forks, which the Go runtime does not survive.
func noDaemonFlag(t *testing.T, argv []string) {
	t.Helper()
	for _, a := range argv {
		assert.NotContains(t, []string{"-d", "--daemon"}, a, "daemon mode in %v", argv)
	}
}

// helmValues is deploy/helm/values.yaml.
func helmValues(t *testing.T) object {
	t.Helper()
	docs := decodeAll(t, repoFile(t, "deploy/helm/values.yaml"))
	require.Len(t, docs, 1)
	return docs[0]
}

// helmImage is the image the Helm values run.
func helmImage(t *testing.T) string {
	t.Helper()
	v := helmValues(t)
	repo, tag := str(v, "image", "repository"), str(v, "image", "tag")
	require.NotEmpty(t, repo)
	require.NotEmpty(t, tag)
	return repo + ":" + tag
}

// TestHelmValues checks deploy/helm/values.yaml for the official chart (fluent/helm-charts,
// fluent-bit 0.58): the same image and configuration as deploy/kubernetes, in the chart's keys.
func TestHelmValues(t *testing.T) {
	v := helmValues(t)
	assert.Equal(t, "DaemonSet", str(v, "kind"))
	assert.Equal(t, "false", str(v, "rbac", "create"), "no kubernetes filter: no ClusterRole")
	assert.Equal(t, "true", str(v, "serviceAccount", "create"))

	argv := append(strList(list(v, "command")), strList(list(v, "args"))...)
	require.NotEmpty(t, argv)
	assert.Equal(t, "/fluent-bit/bin/fluent-bit", argv[0])
	noDaemonFlag(t, argv)
	// The chart mounts its ConfigMap (fluent-bit.conf from config.*) at /fluent-bit/etc/conf.
	assert.Equal(t, k8sConfigDir+"/fluent-bit.conf", flagValue(argv, "-c", "--config"))
	assert.Equal(t, httpPort, str(v, "metricsPort"), "the chart's container port named http")

	// The chart concatenates these parts, in this order, into fluent-bit.conf.
	var text strings.Builder
	for _, part := range []string{"service", "inputs", "filters", "outputs"} {
		s := str(v, "config", part)
		require.NotEmpty(t, s, "config.%s", part)
		assert.NotContains(t, s, "{{", "config.%s: the chart runs tpl on it; keep it literal", part)
		text.WriteString(s)
		text.WriteString("\n")
	}
	c := readConfig(t, "helm-values/fluent-bit.conf", text.String())

	// The container as the chart renders it from the values (templates/_pod.tpl).
	ctr := map[string]any{
		"env":            at(v, "env"),
		"livenessProbe":  at(v, "livenessProbe"),
		"readinessProbe": at(v, "readinessProbe"),
		"resources":      at(v, "resources"),
		"ports":          append([]any{map[string]any{"name": "http", "containerPort": at(v, "metricsPort")}}, list(v, "extraPorts")...),
		"volumeMounts":   append([]any{map[string]any{"name": "config", "mountPath": k8sConfigDir}}, list(v, "daemonSetVolumeMounts")...),
	}
	pod := map[string]any{"volumes": list(v, "daemonSetVolumes"), "tolerations": at(v, "tolerations")}
	checkNodeDeployment(t, c, ctr, pod)
	checkWithProjectTools(t, text.String(), "fluent-bit.conf", map[string]string{"NODE_NAME": "node-7", "NODE_IP": "10.0.0.7"})

	// The same configuration as the ConfigMap of deploy/kubernetes.
	cm := one(t, k8sObjects(t), "ConfigMap")
	k8s := readConfig(t, "configmap/fluent-bit.conf", str(cm, "data", "fluent-bit.conf"))
	assert.Equal(t, k8s.normalized(), c.normalized(), "deploy/helm and deploy/kubernetes configure Fluent Bit alike")
}

// TestManifestsNoPlaceholderLeft: every manifest is finished YAML (no template syntax outside the
// Helm values' documented parts, no tabs).
func TestManifestsNoPlaceholderLeft(t *testing.T) {
	err := filepath.WalkDir(filepath.Join(root, "deploy"), func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		assert.NotContains(t, string(data), "\t", "%s: a tab", rel)
		assert.False(t, regexp.MustCompile(`\{\{`).Match(data), "%s: template syntax", rel)
		return nil
	})
	require.NoError(t, err)
}
