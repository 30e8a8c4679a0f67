package io.streamrag.cluster;

import org.apache.flink.kubernetes.operator.api.FlinkDeployment;
import org.apache.flink.kubernetes.operator.api.spec.FlinkDeploymentSpec;
import org.apache.flink.kubernetes.operator.api.spec.JobSpec;
import org.apache.flink.kubernetes.operator.api.spec.KubernetesDeploymentMode;
import org.apache.flink.kubernetes.operator.api.spec.UpgradeMode;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Validates deploy/k8s offline: every {@code FlinkDeployment} deserialises into the Flink Kubernetes Operator's own CRD
 * model (unknown fields fail) and says what running these jobs in production needs: application mode with the image's
 * job jar, a stateful upgrade mode with HA, checkpoints and savepoints on S3, secrets by reference, Prometheus.
 */
class KubernetesManifestsTest {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private static Path root;
    private static Path k8s;
    private static Map<String, List<JsonNode>> documents;

    @BeforeAll
    static void load() throws IOException {
        Path dir = Path.of("").toAbsolutePath();
        while (!Files.exists(dir.resolve("deploy/k8s/kustomization.yaml"))) {
            dir = dir.getParent();
            assertThat(dir).as("repository root above the module").isNotNull();
        }
        root = dir;
        k8s = root.resolve("deploy/k8s");
        documents = new LinkedHashMap<>();
        try (Stream<Path> files = Files.list(k8s)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
                List<JsonNode> docs = new ArrayList<>();
                var it = YAML.readerFor(JsonNode.class).<JsonNode>readValues(f.toFile());
                while (it.hasNext()) {
                    JsonNode n = it.next();
                    if (n != null && !n.isEmpty()) {
                        docs.add(n);
                    }
                }
                documents.put(f.getFileName().toString(), docs);
            }
        }
    }

    @Test
    void kustomizationListsEveryManifestButTheSecretTemplate() throws IOException {
        JsonNode kustomization = kustomization();
        Set<String> listed = new HashSet<>();
        kustomization.path("resources").forEach(r -> listed.add(r.asText()));
        Set<String> expected = new HashSet<>(documents.keySet());
        expected.removeAll(Set.of("kustomization.yaml", "secrets.example.yaml"));
        assertThat(listed).isEqualTo(expected);
        assertThat(kustomization.path("namespace").asText()).isNotBlank();
        // Every job options file goes into the generated ConfigMap.
        Set<String> generated = new HashSet<>();
        kustomization.at("/configMapGenerator/0/files").forEach(f -> generated.add(f.asText()));
        try (Stream<Path> files = Files.list(k8s)) {
            assertThat(generated).isEqualTo(files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".properties"))
                    .collect(Collectors.toSet()));
        }
    }

    @Test
    void kustomizeRewritesTheFlinkDeploymentsImageAndTheirConfigMapName() throws IOException {
        JsonNode kustomization = kustomization();
        // A fixed-name ConfigMap never changes a FlinkDeployment's spec, so the operator would never roll a job onto
        // edited options: it is generated (name + content hash) and no manifest declares one.
        assertThat(kustomization.at("/configMapGenerator/0/name").asText()).isEqualTo("streamrag-jobs");
        assertThat(documents.values().stream().flatMap(List::stream).map(d -> d.path("kind").asText())).doesNotContain("ConfigMap");
        assertThat(kustomization.path("configurations")).hasSize(1);
        JsonNode config = YAML.readTree(k8s.resolve(kustomization.at("/configurations/0").asText()).toFile());

        // kustomize's `images:` knows only the built-in kinds' containers; spec.image is declared.
        assertThat(fieldSpecs(config.path("images"))).contains("FlinkDeployment spec/image");
        String imageName = kustomization.at("/images/0/name").asText();
        for (JsonNode d : docs("FlinkDeployment")) {
            assertThat(d.at("/spec/image").asText()).startsWith(imageName + ":");
        }
        JsonNode localModel = docs("Deployment").get(0).at("/spec/template/spec/containers/0");
        assertThat(localModel.path("image").asText()).startsWith(imageName + ":");
        // Like the jobs' jarURI, the jar path names the version: an image of another version comes with its manifests.
        assertThat(localModel.path("command").toString()).contains("/opt/streamrag/streamrag-local-model-" + pomVersion() + ".jar");

        // Every place a FlinkDeployment names a ConfigMap volume is declared, so the generated name reaches it.
        Set<String> referenced = new HashSet<>();
        for (JsonNode ref : config.path("nameReference")) {
            if ("ConfigMap".equals(ref.path("kind").asText())) {
                referenced.addAll(fieldSpecs(ref.path("fieldSpecs")));
            }
        }
        List<String> templates = List.of("spec/podTemplate", "spec/jobManager/podTemplate", "spec/taskManager/podTemplate");
        int volumes = 0;
        for (String template : templates) {
            assertThat(referenced).contains("FlinkDeployment " + template + "/spec/volumes/configMap/name");
            for (JsonNode d : docs("FlinkDeployment")) {
                for (JsonNode volume : d.at("/" + template + "/spec/volumes")) {
                    if (volume.has("configMap")) {
                        assertThat(volume.at("/configMap/name").asText()).isEqualTo("streamrag-jobs");
                        volumes++;
                    }
                }
            }
        }
        assertThat(volumes).as("the job options volume of each job").isEqualTo(2);
    }

    @Test
    void oneFlinkDeploymentPerJobMatchingTheOperatorModel() throws Exception {
        Map<String, FlinkDeployment> deployments = flinkDeployments();
        assertThat(deployments.keySet()).containsExactlyInAnyOrder("streamrag-ingest", "streamrag-query");
        String flinkVersion = pomProperty("flink.version");
        String version = pomVersion();
        for (var e : deployments.entrySet()) {
            FlinkDeployment d = e.getValue();
            FlinkDeploymentSpec spec = d.getSpec();
            String job = e.getKey().substring("streamrag-".length());
            assertThat(spec.getImage()).as(e.getKey()).startsWith("streamrag/flink:");
            assertThat(spec.getMode()).isEqualTo(KubernetesDeploymentMode.NATIVE);
            assertThat(spec.getJobManager().getResource().getMemory()).isNotBlank();
            assertThat(spec.getTaskManager().getResource().getMemory()).isNotBlank();
            assertThat(spec.getServiceAccount()).isEqualTo("flink");

            // Application mode: the job jar baked into the image, the one the module builds and the Dockerfile copies.
            JobSpec jobSpec = spec.getJob();
            String jar = "streamrag-" + job + "-job-" + version + "-job.jar";
            assertThat(jobSpec.getJarURI()).isEqualTo("local:///opt/flink/usrlib/" + jar);
            assertThat(Files.readString(root.resolve("deploy/docker/Dockerfile")))
                    .contains(job + "-job/target/streamrag-" + job + "-job-${STREAMRAG_VERSION}-job.jar").contains("/opt/flink/usrlib/");
            assertThat(root.resolve(job + "-job/src/main/java/" + jobSpec.getEntryClass().replace('.', '/') + ".java")).exists();
            assertThat(jobSpec.getParallelism()).isGreaterThanOrEqualTo(2);

            // State survives upgrades and failures.
            assertThat(jobSpec.getUpgradeMode()).isIn(UpgradeMode.LAST_STATE, UpgradeMode.SAVEPOINT);
            Map<String, String> conf = spec.getFlinkConfiguration();
            assertThat(conf.get("high-availability.type")).isEqualTo("kubernetes");
            assertThat(conf.get("high-availability.storageDir")).startsWith("s3://");
            assertThat(conf.get("execution.checkpointing.dir")).startsWith("s3://");
            assertThat(conf.get("execution.checkpointing.savepoint-dir")).startsWith("s3://");
            assertThat(conf.get("execution.checkpointing.externalized-checkpoint-retention")).isEqualTo("RETAIN_ON_CANCELLATION");
            assertThat(conf.get("classloader.parent-first-patterns.additional")).contains("ai.onnxruntime.").contains("ai.djl.");
            // Failed checkpoints tolerated are stated (each job checks its sink transactions outlive them: its options tests);
            // the rescale limit is stated, at what savepoints hold.
            assertThat(Integer.parseInt(conf.get("execution.checkpointing.tolerable-failed-checkpoints"))).isNotNegative();
            assertThat(conf.get("pipeline.max-parallelism")).isEqualTo("128");
            assertThat(conf).doesNotContainKey("state.backend.incremental"); // deprecated for execution.checkpointing.incremental

            // Prometheus on every pod, through this module's reporter.
            assertThat(conf.get("metrics.reporter.prom.factory.class"))
                    .isEqualTo(io.streamrag.cluster.metrics.LoopbackPrometheusReporterFactory.class.getName());
            assertThat(conf.get("metrics.reporter.prom.port")).isEqualTo("9249");
            JsonNode pod = YAML.valueToTree(spec.getPodTemplate());
            assertThat(pod.at("/metadata/annotations/prometheus.io~1port").asText()).isEqualTo("9249");

            // Secrets by reference only; the job options come from the ConfigMap file passed with --config.
            JsonNode container = pod.at("/spec/containers/0");
            assertThat(container.path("name").asText()).isEqualTo("flink-main-container");
            assertThat(container.at("/envFrom/0/secretRef/name").asText()).isEqualTo("streamrag-secrets");
            // Not root, no privileges to gain.
            assertThat(pod.at("/spec/securityContext/runAsNonRoot").asBoolean()).isTrue();
            assertThat(container.at("/securityContext/allowPrivilegeEscalation").asBoolean(true)).isFalse();
            assertThat(container.at("/securityContext/capabilities/drop/0").asText()).isEqualTo("ALL");
            assertThat(List.of(jobSpec.getArgs())).containsExactly("--config", "/opt/streamrag/conf/" + job + ".properties");
            assertThat(configMap().get(job + ".properties")).contains("kafka.bootstrap-servers=")
                    .contains("opensearch.url=").doesNotContainIgnoringCase("password=")
                    // spec.job.parallelism is the one parallelism: a job option would override it (env.setParallelism).
                    .doesNotContain(job + ".parallelism=");
        }
        assertThat(flinkVersion).startsWith("2.2.");
        // Producers may not name object stores the TaskManagers' checkpoint credentials reach; file:// only in
        // each tenant's folder of the read-only documents volume.
        String ingest = configMap().get("ingest.properties");
        // A Flink list option: ';' separates (KubernetesIngestOptionsTest in ingest-job reads it as the job does).
        assertThat(ingest).contains("ingest.fetch.allowed-schemes=file;http;https\n").contains("ingest.allowed-roots=/data/{tenant}\n");
        JsonNode ingestPod = YAML.valueToTree(deployments.get("streamrag-ingest").getSpec().getPodTemplate());
        assertThat(ingestPod.at("/spec/containers/0/volumeMounts/1/mountPath").asText()).isEqualTo("/data");
        assertThat(ingestPod.at("/spec/containers/0/volumeMounts/1/readOnly").asBoolean()).isTrue();
    }

    @Test
    void everyPodTemplateMeetsTheRestrictedPodSecurityLevelAndIsBounded() {
        Map<String, JsonNode> templates = new LinkedHashMap<>();
        for (List<JsonNode> docs : documents.values()) {
            for (JsonNode d : docs) {
                String name = d.path("kind").asText() + " " + d.at("/metadata/name").asText();
                switch (d.path("kind").asText()) {
                    case "FlinkDeployment" -> {
                        // The operator and Flink build the JobManager and TaskManager pods from these.
                        for (String t : List.of("/spec/podTemplate", "/spec/jobManager/podTemplate", "/spec/taskManager/podTemplate")) {
                            if (!d.at(t).isMissingNode()) {
                                templates.put(name + t, d.at(t));
                            }
                        }
                        // Memory limits: Flink sets the containers' from these.
                        assertThat(d.at("/spec/jobManager/resource/memory").asText()).as(name).isNotBlank();
                        assertThat(d.at("/spec/taskManager/resource/memory").asText()).as(name).isNotBlank();
                    }
                    case "Deployment", "StatefulSet", "DaemonSet", "Job" -> templates.put(name, d.at("/spec/template"));
                    case "CronJob" -> templates.put(name, d.at("/spec/jobTemplate/spec/template"));
                    case "Pod" -> templates.put(name, d);
                    default -> { }
                }
            }
        }
        assertThat(templates).hasSize(3);
        for (var e : templates.entrySet()) {
            JsonNode spec = e.getValue().path("spec");
            String pod = e.getKey();
            assertThat(spec.at("/securityContext/runAsNonRoot").asBoolean()).as(pod + " runAsNonRoot").isTrue();
            assertThat(spec.at("/securityContext/runAsUser").asInt(1)).as(pod + " runAsUser").isNotZero();
            assertThat(spec.at("/securityContext/seccompProfile/type").asText()).as(pod + " seccompProfile").isEqualTo("RuntimeDefault");
            for (String host : List.of("hostNetwork", "hostPID", "hostIPC")) {
                assertThat(spec.path(host).asBoolean(false)).as(pod + " " + host).isFalse();
            }
            for (JsonNode volume : spec.path("volumes")) {
                assertThat(volume.has("hostPath")).as(pod + " hostPath volume").isFalse();
            }
            List<JsonNode> containers = new ArrayList<>();
            spec.path("initContainers").forEach(containers::add);
            spec.path("containers").forEach(containers::add);
            assertThat(containers).as(pod).isNotEmpty();
            for (JsonNode c : containers) {
                String container = pod + " " + c.path("name").asText();
                JsonNode sc = c.path("securityContext");
                assertThat(sc.path("allowPrivilegeEscalation").asBoolean(true)).as(container + " allowPrivilegeEscalation").isFalse();
                assertThat(sc.path("privileged").asBoolean(false)).as(container + " privileged").isFalse();
                assertThat(sc.at("/capabilities/drop").toString()).as(container + " drops").contains("\"ALL\"");
                sc.at("/capabilities/add").forEach(cap -> assertThat(cap.asText()).as(container).isEqualTo("NET_BIND_SERVICE"));
                assertThat(sc.path("runAsNonRoot").asBoolean(true)).as(container + " runAsNonRoot").isTrue();
                if (!pod.startsWith("FlinkDeployment")) {
                    // Flink's containers get their limits and restarts from the operator; others state their own.
                    assertThat(c.at("/resources/limits/memory").asText()).as(container + " memory limit").isNotBlank();
                    assertThat(c.has("livenessProbe")).as(container + " livenessProbe").isTrue();
                    assertThat(c.has("readinessProbe")).as(container + " readinessProbe").isTrue();
                }
            }
        }
        // Warned and audited at that level (enforcing is the operator's step once the running pods pass).
        JsonNode labels = documents.get("namespace.yaml").get(0).at("/metadata/labels");
        assertThat(labels.path("pod-security.kubernetes.io/warn").asText()).isEqualTo("restricted");
        assertThat(labels.path("pod-security.kubernetes.io/audit").asText()).isEqualTo("restricted");
    }

    @Test
    void everySecretEnvironmentVariableTheJobOptionsNameIsInTheSecretTemplate() throws Exception {
        Set<String> named = new HashSet<>();
        Pattern envOption = Pattern.compile("(?m)^[\\w.-]+-env=(\\w+)$");
        for (String file : configMap().values()) {
            Matcher m = envOption.matcher(file);
            while (m.find()) {
                named.add(m.group(1));
            }
        }
        assertThat(named).isNotEmpty();
        JsonNode secret = documents.get("secrets.example.yaml").get(0);
        assertThat(secret.path("kind").asText()).isEqualTo("Secret");
        Set<String> keys = new HashSet<>();
        secret.path("stringData").fieldNames().forEachRemaining(keys::add);
        assertThat(keys).containsAll(named).contains("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY");
    }

    /** The FlinkDeployments by name, read into the operator's model. */
    private static Map<String, FlinkDeployment> flinkDeployments() throws IOException {
        Map<String, FlinkDeployment> out = new LinkedHashMap<>();
        String expectedVersion = "v" + pomProperty("flink.version").replaceAll("^(\\d+)\\.(\\d+).*", "$1_$2");
        for (List<JsonNode> docs : documents.values()) {
            for (JsonNode doc : docs) {
                if (!"FlinkDeployment".equals(doc.path("kind").asText())) {
                    continue;
                }
                assertThat(doc.path("apiVersion").asText()).isEqualTo("flink.apache.org/v1beta1");
                ObjectNode copy = doc.deepCopy();
                ObjectNode spec = (ObjectNode) copy.path("spec");
                // The Flink of the image; checked here because the operator model served here (1.10.0) predates v2_x.
                assertThat(spec.path("flinkVersion").asText()).isEqualTo(expectedVersion);
                spec.remove("flinkVersion");
                FlinkDeployment d = YAML.treeToValue(copy, FlinkDeployment.class);
                out.put(d.getMetadata().getName(), d);
            }
        }
        return out;
    }

    private static JsonNode kustomization() {
        return documents.get("kustomization.yaml").get(0);
    }

    /** The job options files the generated ConfigMap holds, by file name. */
    private static Map<String, String> configMap() throws IOException {
        Map<String, String> out = new LinkedHashMap<>();
        for (JsonNode f : kustomization().at("/configMapGenerator/0/files")) {
            out.put(f.asText(), Files.readString(k8s.resolve(f.asText())));
        }
        return out;
    }

    /** Every manifest of one kind. */
    private static List<JsonNode> docs(String kind) {
        return documents.values().stream().flatMap(List::stream).filter(d -> kind.equals(d.path("kind").asText())).toList();
    }

    /** A kustomize field spec list as "Kind path" entries. */
    private static Set<String> fieldSpecs(JsonNode specs) {
        Set<String> out = new HashSet<>();
        specs.forEach(s -> out.add(s.path("kind").asText() + " " + s.path("path").asText()));
        return out;
    }

    private static String pomProperty(String name) throws IOException {
        Matcher m = Pattern.compile("<" + Pattern.quote(name) + ">([^<]+)</").matcher(Files.readString(root.resolve("pom.xml")));
        assertThat(m.find()).as(name).isTrue();
        return m.group(1);
    }

    private static String pomVersion() throws IOException {
        Matcher m = Pattern.compile("<artifactId>streamrag-parent</artifactId>\\s*<version>([^<]+)</version>")
                .matcher(Files.readString(root.resolve("pom.xml")));
        assertThat(m.find()).isTrue();
        return m.group(1);
    }
}
