package deploy

import (
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kcs-siem/siem-cef/cmd/siem-cef/fbconfig"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The sensors component: deploy/kubernetes/sensors, added to deploy/kubernetes by the operator
// (components: [sensors]).
const (
	sensorsDir     = k8sDir + "/sensors"
	containerLogs  = "/var/log/containers" // symlinks into podLogs
	podLogs        = "/var/log/pods"
	tetragonExport = "/var/run/cilium/tetragon/tetragon.log" // the Tetragon chart's exportDirectory/exportFilename
)

// sensorsComponent is the component's files, decoded.
type sensorsComponent struct {
	kustomization object
	configMap     object
	patch         object // the DaemonSet patch
}

func readSensorsComponent(t *testing.T) sensorsComponent {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(root, sensorsDir, "*.yaml"))
	require.NoError(t, err)
	var c sensorsComponent
	var listed []string
	byFile := map[string]object{}
	for _, f := range files {
		docs := decodeAll(t, repoFile(t, sensorsDir+"/"+filepath.Base(f)))
		require.Len(t, docs, 1, "%s: one document", f)
		byFile[filepath.Base(f)] = docs[0]
	}
	c.kustomization = byFile["kustomization.yaml"]
	require.NotNil(t, c.kustomization, "%s/kustomization.yaml", sensorsDir)
	for _, r := range list(c.kustomization, "resources") {
		listed = append(listed, r.(string))
		if str(byFile[r.(string)], "kind") == "ConfigMap" {
			c.configMap = byFile[r.(string)]
		}
	}
	for _, p := range list(c.kustomization, "patches") {
		f := str(p, "path")
		require.NotEmpty(t, f, "a patch from a file of the component")
		listed = append(listed, f)
		if str(byFile[f], "kind") == "DaemonSet" {
			c.patch = byFile[f]
		}
	}
	var all []string
	for f := range byFile {
		if f != "kustomization.yaml" {
			all = append(all, f)
		}
	}
	slices.Sort(all)
	slices.Sort(listed)
	assert.Equal(t, all, listed, "the component uses every file it has")
	require.NotNil(t, c.configMap, "a ConfigMap among the component's resources")
	require.NotNil(t, c.patch, "a DaemonSet patch among the component's patches")
	return c
}

// sensorsContainer is the patch's container of the shipped DaemonSet.
func (c sensorsComponent) container(t *testing.T) any {
	t.Helper()
	ds := one(t, k8sObjects(t), "DaemonSet")
	name := str(list(ds, "spec", "template", "spec", "containers")[0], "name")
	ctr := byName(list(c.patch, "spec", "template", "spec", "containers"), name)
	require.NotNil(t, ctr, "the patch's container is the DaemonSet's %s", name)
	return ctr
}

// TestSensorsComponent checks deploy/kubernetes/sensors: a kustomize Component that patches the
// shipped DaemonSet (same name and namespace) to start Fluent Bit on its own fluent-bit.conf, which
// includes the shipped configuration unchanged and then sensors.conf; every tail input of
// sensors.conf reads a directory the patch mounts read-only from the node, keeps its read position
// with the buffer and its chunks on disk, and reads container logs with the cri multiline parser.
func TestSensorsComponent(t *testing.T) {
	c := readSensorsComponent(t)
	assert.Equal(t, "kustomize.config.k8s.io/v1alpha1", str(c.kustomization, "apiVersion"))
	assert.Equal(t, "Component", str(c.kustomization, "kind"))
	assert.Empty(t, str(c.kustomization, "namespace"), "the namespace is the kustomization's that adds the component")

	objs := k8sObjects(t)
	ds := one(t, objs, "DaemonSet")
	shipped := one(t, objs, "ConfigMap")
	assert.Equal(t, str(ds, "metadata", "name"), str(c.patch, "metadata", "name"), "the patch is the shipped DaemonSet's")
	assert.Equal(t, str(ds, "metadata", "namespace"), str(c.patch, "metadata", "namespace"))
	assert.Equal(t, str(shipped, "metadata", "namespace"), str(c.configMap, "metadata", "namespace"))
	assert.NotEqual(t, str(shipped, "metadata", "name"), str(c.configMap, "metadata", "name"), "a ConfigMap of its own")

	// Fluent Bit's -c: the component's fluent-bit.conf, mounted from its ConfigMap.
	shippedCtr := list(ds, "spec", "template", "spec", "containers")[0]
	shippedConf := flagValue(append(strList(list(shippedCtr, "command")), strList(list(shippedCtr, "args"))...), "-c", "--config")
	require.NotEmpty(t, shippedConf)
	ctr := c.container(t)
	assert.Nil(t, at(ctr, "command"), "the shipped command stays")
	argv := strList(list(ctr, "args"))
	noDaemonFlag(t, argv)
	confPath := flagValue(argv, "-c", "--config")
	require.NotEmpty(t, confPath, "fluent-bit -c FILE in %v", argv)
	mounts := list(ctr, "volumeMounts")
	volumes := list(c.patch, "spec", "template", "spec", "volumes")
	confMount := mountAt(mounts, path.Dir(confPath))
	require.NotNil(t, confMount, "a volume mounted at %s", path.Dir(confPath))
	assert.Equal(t, "true", str(confMount, "readOnly"))
	assert.NotEqual(t, k8sConfigDir, path.Dir(confPath), "beside, not over, the shipped configuration")
	assert.False(t, strings.HasPrefix(path.Dir(confPath)+"/", k8sConfigDir+"/"), "not inside the shipped ConfigMap's mount")
	assert.Equal(t, str(c.configMap, "metadata", "name"), str(byName(volumes, str(confMount, "name")), "configMap", "name"))

	// fluent-bit.conf: the shipped file, then sensors.conf, each by its absolute path.
	sensorsConf := path.Join(path.Dir(confPath), "sensors.conf")
	main := str(c.configMap, "data", path.Base(confPath))
	assert.Equal(t, "@INCLUDE "+shippedConf+"\n@INCLUDE "+sensorsConf+"\n", main)
	text := str(c.configMap, "data", path.Base(sensorsConf))
	require.NotEmpty(t, text, "ConfigMap key %s", path.Base(sensorsConf))
	sensors := readConfig(t, "sensors/sensors.conf", text)
	assert.Empty(t, sensors.of("service"), "the shipped configuration has the [SERVICE]")
	assert.Empty(t, sensors.of("plugins"))

	// Every tail input of the sensors: its files are the node's, read-only.
	tails := sensors.named("input", "tail")
	require.Len(t, tails, 3, "Falco, Tetragon, Tracee")
	assert.Len(t, sensors.of("input"), 3, "only the tail inputs")
	var paths []string
	for _, in := range tails {
		p := in.get("Path")
		paths = append(paths, p)
		dir := path.Dir(p)
		dirs := []string{dir}
		if dir == containerLogs {
			dirs = append(dirs, podLogs) // the symlinks' targets
			assert.Equal(t, "cri", in.get("multiline.parser"), "%s: a container log is read with multiline.parser cri", in)
			assert.False(t, in.has("Parser"), "%s: Parser cri would put the line under message and leave split lines split", in)
			assert.Regexp(t, `^/var/log/containers/[^/_]+-\*_[^/_]+_[^/_*]+-\*\.log$`, p, "%s: POD-*_NAMESPACE_CONTAINER-*.log", in)
		}
		for _, d := range dirs {
			m := mountAt(mounts, d)
			require.NotNil(t, m, "%s: the node's %s is mounted", in, d)
			assert.Equal(t, "true", str(m, "readOnly"), "%s: %s read-only", in, d)
			v := byName(volumes, str(m, "name"))
			require.NotNil(t, v, "%s: volume %s", in, str(m, "name"))
			assert.Equal(t, d, str(v, "hostPath", "path"), "%s: the node's %s, at the same path", in, d)
		}
		assert.True(t, strings.EqualFold(in.get("Read_From_Head"), "on"), "%s: Read_From_Head On", in)
		assert.NotEmpty(t, in.get("DB"), "%s: DB", in)
		assert.Equal(t, storagePath, path.Dir(in.get("DB")), "%s: the tail database is kept with the buffer", in)
		assert.Equal(t, "filesystem", in.get("storage.type"), "%s: storage.type filesystem", in)
		// A line over Buffer_Max_Size otherwise stops the reading of its file for good.
		assert.True(t, strings.EqualFold(in.get("Skip_Long_Lines"), "on"), "%s: Skip_Long_Lines On", in)
		assert.True(t, strings.HasPrefix(in.get("Tag"), "sensors."), "%s: Tag sensors.*", in)
	}
	assert.Contains(t, paths, tetragonExport, "Tetragon's export file")
	for _, in := range tails {
		if in.get("Path") == tetragonExport {
			assert.False(t, in.has("multiline.parser"), "%s: the export file is JSON lines, not a container log", in)
			assert.NotEqual(t, "", in.get("Buffer_Max_Size"), "%s: Tetragon's lines can be longer than the default 32k", in)
		}
	}

	// A container log holds the sensor's own log lines too: only stdout lines that are JSON objects
	// pass, both conditions at once (grep's default keeps a record at the first rule that matches).
	for _, in := range tails {
		if path.Dir(in.get("Path")) != containerLogs {
			continue
		}
		var found bool
		for _, f := range sensors.named("filter", "grep") {
			if tagMatch(f.get("Match"), in.get("Tag")) {
				found = true
				assert.Equal(t, "and", strings.ToLower(f.get("Logical_Op")), "%s: Logical_Op and", f)
				assert.ElementsMatch(t, []string{`stream ^stdout$`, `log ^\{`}, f.all("Regex"), "%s", f)
			}
		}
		assert.True(t, found, "%s: a grep filter keeps the events only", in)
	}

	// The combined configuration, as Fluent Bit reads it.
	shippedText := str(shipped, "data", path.Base(shippedConf))
	all := readConfig(t, "sensors/combined.conf", shippedText+"\n"+text)
	checkNodeDeployment(t, all, map[string]any{
		"env":            at(shippedCtr, "env"),
		"livenessProbe":  at(shippedCtr, "livenessProbe"),
		"readinessProbe": at(shippedCtr, "readinessProbe"),
		"resources":      at(shippedCtr, "resources"),
		"ports":          at(shippedCtr, "ports"),
		"volumeMounts":   append(slices.Clone(mounts), list(shippedCtr, "volumeMounts")...),
	}, map[string]any{
		"volumes":     append(slices.Clone(volumes), list(ds, "spec", "template", "spec", "volumes")...),
		"tolerations": at(ds, "spec", "template", "spec", "tolerations"),
	})
	dbs := map[string]bool{}
	for _, in := range all.named("input", "tail") {
		assert.False(t, dbs[in.get("DB")], "%s: a tail database of its own", in)
		dbs[in.get("DB")] = true
	}

	// One output for the sensors' tags, the shipped outputs for none of them.
	outs := sensors.named("output", "siem_cef")
	require.Len(t, outs, 1)
	o := outs[0]
	shippedOut := readConfig(t, "configmap/fluent-bit.conf", shippedText).named("output", "siem_cef")[0]
	for _, in := range tails {
		assert.True(t, tagMatch(o.get("Match"), in.get("Tag")), "%s: %s sends %s", o, o.get("Match"), in.get("Tag"))
		for _, s := range all.of("output") {
			if s.get("Integration") != o.get("Integration") {
				assert.False(t, tagMatch(s.get("Match"), in.get("Tag")), "%s also takes %s", s, in.get("Tag"))
			}
		}
		for _, f := range all.named("filter", "modify") {
			assert.False(t, tagMatch(f.get("Match"), in.get("Tag")), "%s: the KCS events' node fields are not the sensors'", f)
		}
	}
	assert.Equal(t, "auto", strings.ToLower(o.get("Schema")), "%s: each record mapped by its fingerprint", o)
	assert.Equal(t, "${NODE_NAME}", o.get("Hostname"))
	assert.Equal(t, "${NODE_NAME}", o.get("Set.node"), "%s: Tracee names no node", o)
	assert.Equal(t, "${NODE_IP}", o.get("Set.node_ip"), "%s: no sensor gives the node's IP (README)", o)
	assert.NotEqual(t, shippedOut.get("Integration"), o.get("Integration"), "%s: an Integration of its own", o)
	for _, k := range []string{"Address", "Protocol", "Workers", "Retry_Limit"} {
		assert.Equal(t, shippedOut.get(k), o.get(k), "%s: %s as the shipped output's", o, k)
	}
}

// TestSensorsComponentCheckConfig runs siem-cef check-config on the component's fluent-bit.conf as
// the pod sees it (the shipped ConfigMap and the component's, each in its own directory): both
// outputs are accepted without a warning.
func TestSensorsComponentCheckConfig(t *testing.T) {
	c := readSensorsComponent(t)
	shipped := one(t, k8sObjects(t), "ConfigMap")
	confPath := flagValue(strList(list(c.container(t), "args")), "-c", "--config")
	require.NotEmpty(t, confPath)

	// The two mounts under a temporary root; the includes' absolute paths moved there.
	tmp := t.TempDir()
	write := func(dir string, data any) {
		m, ok := data.(map[string]any)
		require.True(t, ok)
		require.NoError(t, os.MkdirAll(filepath.Join(tmp, dir), 0o755))
		for k, v := range m {
			text := strings.ReplaceAll(v.(string), "@INCLUDE /", "@INCLUDE "+tmp+"/")
			require.NoError(t, os.WriteFile(filepath.Join(tmp, dir, k), []byte(text), 0o644))
		}
	}
	write(k8sConfigDir, at(shipped, "data"))
	write(path.Dir(confPath), at(c.configMap, "data"))
	main := filepath.Join(tmp, confPath)

	t.Setenv("NODE_NAME", "node-7")
	t.Setenv("NODE_IP", "10.0.0.7")
	f, err := fbconfig.Load(main)
	require.NoError(t, err)
	require.Empty(t, f.Warnings)
	outs := f.Outputs("siem_cef")
	require.Len(t, outs, 2, "the shipped output and the sensors'")
	assert.Equal(t, "10.0.0.7", outs[1].Raw("Set.node_ip"))

	out, err := exec.Command(siemCEF(t), "check-config", main).CombinedOutput()
	require.NoError(t, err, "siem-cef check-config:\n%s", out)
	assert.Contains(t, string(out), "siem_cef.0: OK")
	assert.Contains(t, string(out), "siem_cef.1: OK")
	assert.NotContains(t, strings.ToLower(string(out)), "warning", "%s", out)
}

// TestSensorsComponentKustomize builds deploy/kubernetes with the component, as an operator who opts
// in does, when kubectl is there: the DaemonSet keeps every shipped mount and gains the component's.
func TestSensorsComponentKustomize(t *testing.T) {
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Skip("kubectl not found: the component's files are checked by TestSensorsComponent")
	}
	tmp := t.TempDir()
	require.NoError(t, os.CopyFS(filepath.Join(tmp, "kubernetes"), os.DirFS(filepath.Join(root, k8sDir))))
	kust := filepath.Join(tmp, "kubernetes", "kustomization.yaml")
	data, err := os.ReadFile(kust)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(kust, append(data, "components:\n  - sensors\n"...), 0o644))
	out, err := exec.Command(kubectl, "kustomize", filepath.Join(tmp, "kubernetes")).Output()
	require.NoError(t, err, "kubectl kustomize")

	var ds object
	var cms []string
	for _, o := range decodeAll(t, string(out)) {
		switch str(o, "kind") {
		case "DaemonSet":
			ds = o
		case "ConfigMap":
			cms = append(cms, str(o, "metadata", "name"))
		}
	}
	require.NotNil(t, ds)
	c := readSensorsComponent(t)
	assert.Contains(t, cms, str(c.configMap, "metadata", "name"))
	shipped := one(t, k8sObjects(t), "DaemonSet")
	ctr := list(ds, "spec", "template", "spec", "containers")[0]
	assert.Equal(t, strList(list(c.container(t), "args")), strList(list(ctr, "args")))
	assert.Equal(t, strList(list(list(shipped, "spec", "template", "spec", "containers")[0], "command")), strList(list(ctr, "command")))
	var want, got []string
	for _, m := range append(list(list(shipped, "spec", "template", "spec", "containers")[0], "volumeMounts"), list(c.container(t), "volumeMounts")...) {
		want = append(want, str(m, "mountPath"))
	}
	for _, m := range list(ctr, "volumeMounts") {
		got = append(got, str(m, "mountPath"))
	}
	assert.ElementsMatch(t, want, got)
}

// tagMatch reports whether a Match pattern of Fluent Bit (* for any run of characters) takes tag.
func tagMatch(pattern, tag string) bool {
	if pattern == "*" {
		return true
	}
	head, rest, wild := strings.Cut(pattern, "*")
	if !wild {
		return pattern == tag
	}
	if !strings.HasPrefix(tag, head) {
		return false
	}
	tag = tag[len(head):]
	for i := 0; i <= len(tag); i++ {
		if tagMatch(rest, tag[i:]) {
			return true
		}
	}
	return false
}
