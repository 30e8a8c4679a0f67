package io.streamrag.cli;

import io.streamrag.common.json.Json;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A small client of the Flink REST API: jar upload and run (how jobs reach the cluster), stop with a savepoint,
 * cancel, the cluster and job overviews, and operator metrics for progress and status.
 */
public final class FlinkRest {

    /** One row of {@code /jobs/overview}. */
    public record JobInfo(String id, String name, String state, long startTime, long duration) {

        static JobInfo of(JsonNode n) {
            return new JobInfo(n.path("jid").asText(), n.path("name").asText(), n.path("state").asText(),
                    n.path("start-time").asLong(), n.path("duration").asLong());
        }

        public boolean isRunning() {
            return "RUNNING".equals(state) || "CREATED".equals(state) || "INITIALIZING".equals(state)
                    || "RESTARTING".equals(state);
        }
    }

    private final String base;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    /**
     * How long a short request (a read, a cancel, a savepoint's trigger, a jar's removal) waits for its answer: a
     * JobManager that takes connections but does not answer would otherwise hold backfill and down forever.
     */
    private final Duration requestTimeout;

    public FlinkRest(String base) {
        this(base, Duration.ofSeconds(10));
    }

    FlinkRest(String base, Duration requestTimeout) {
        this.base = base;
        this.requestTimeout = requestTimeout;
    }

    /** The REST port of the local cluster (deploy/local/flink/config.yaml). */
    public static final int LOCAL_PORT = 8081;

    public static FlinkRest local() {
        return new FlinkRest("http://127.0.0.1:" + LOCAL_PORT);
    }

    /** The local cluster's client, or null after saying on stderr that the cluster is not running. */
    public static FlinkRest localRunning() {
        FlinkRest rest = local();
        if (rest.isUp()) {
            return rest;
        }
        System.err.println("The local Flink cluster is not running: bin/rag up");
        return null;
    }

    public boolean isUp() {
        try {
            return get("/overview") != null;
        } catch (IOException e) {
            return false;
        }
    }

    public List<JobInfo> jobs() throws IOException {
        return list("/jobs/overview", "jobs", JobInfo::of);
    }

    /** The elements of the array {@code field} of {@code GET path}, each read by {@code read}. */
    private <T> List<T> list(String path, String field, java.util.function.Function<JsonNode, T> read) throws IOException {
        List<T> items = new ArrayList<>();
        for (JsonNode n : get(path).path(field)) {
            items.add(read.apply(n));
        }
        return items;
    }

    /** The running job with this name, if any. */
    public JobInfo running(String name) throws IOException {
        for (JobInfo job : jobs()) {
            if (job.name().equals(name) && job.isRunning()) {
                return job;
            }
        }
        return null;
    }

    public JobInfo job(String id) throws IOException {
        for (JobInfo job : jobs()) {
            if (job.id().equals(id)) {
                return job;
            }
        }
        return null;
    }

    public void cancel(String jobId) throws IOException {
        send(HttpRequest.newBuilder(URI.create(base + "/jobs/" + jobId + "?mode=cancel")).timeout(requestTimeout)
                .method("PATCH", HttpRequest.BodyPublishers.noBody()).build());
    }

    /**
     * Sums the named metrics over every operator (vertex) of a job. Flink exposes operator metrics per vertex as
     * {@code <index>.<operator name>.<metric>}; the suffix after the last dot is matched.
     */
    public Map<String, Double> sumMetrics(String jobId, List<String> names) throws IOException {
        Map<String, Double> sums = new LinkedHashMap<>();
        names.forEach(n -> sums.put(n, 0.0));
        for (JsonNode vertex : get("/jobs/" + jobId).path("vertices")) {
            String vid = vertex.path("id").asText();
            JsonNode available = get("/jobs/" + jobId + "/vertices/" + vid + "/subtasks/metrics");
            List<String> wanted = new ArrayList<>();
            for (JsonNode m : available) {
                String id = m.path("id").asText();
                String suffix = id.substring(id.lastIndexOf('.') + 1);
                if (names.contains(suffix)) {
                    wanted.add(id);
                }
            }
            if (wanted.isEmpty()) {
                continue;
            }
            JsonNode values = get("/jobs/" + jobId + "/vertices/" + vid + "/subtasks/metrics?get="
                    + String.join(",", wanted) + "&agg=sum");
            for (JsonNode v : values) {
                String id = v.path("id").asText();
                String suffix = id.substring(id.lastIndexOf('.') + 1);
                sums.merge(suffix, v.path("sum").asDouble(), Double::sum);
            }
        }
        return sums;
    }

    /** User accumulators of a job by name; unlike metrics they are still there after the job finished. */
    public Map<String, String> accumulators(String jobId) throws IOException {
        Map<String, String> values = new LinkedHashMap<>();
        for (JsonNode a : get("/jobs/" + jobId + "/accumulators").path("user-task-accumulators")) {
            values.put(a.path("name").asText(), a.path("value").asText());
        }
        return values;
    }

    /** Operator (vertex) names of a job, in topological order. */
    public List<String> vertexNames(String jobId) throws IOException {
        List<String> names = new ArrayList<>();
        for (JsonNode vertex : get("/jobs/" + jobId).path("vertices")) {
            names.add(vertex.path("name").asText());
        }
        return names;
    }

    /** Every metric id a job's operators expose (first subtask of each vertex). */
    public List<String> metricIds(String jobId) throws IOException {
        List<String> ids = new ArrayList<>();
        for (JsonNode vertex : get("/jobs/" + jobId).path("vertices")) {
            for (JsonNode m : get("/jobs/" + jobId + "/vertices/" + vertex.path("id").asText() + "/subtasks/metrics")) {
                ids.add(m.path("id").asText());
            }
        }
        return ids;
    }

    /** One uploaded jar of {@code /jars}. */
    public record JarInfo(String id, String name, long uploaded) {

        static JarInfo of(JsonNode n) {
            return new JarInfo(n.path("id").asText(), n.path("name").asText(), n.path("uploaded").asLong());
        }
    }

    public List<JarInfo> jars() throws IOException {
        return list("/jars", "files", JarInfo::of);
    }

    /** Uploads a job jar ({@code POST /jars/upload}) and returns its jar id. */
    public String uploadJar(Path jar) throws IOException {
        String boundary = "streamrag-" + UUID.randomUUID();
        ByteArrayOutputStream body = new ByteArrayOutputStream((int) Files.size(jar) + 1024);
        body.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"jarfile\"; filename=\""
                + jar.getFileName() + "\"\r\nContent-Type: application/x-java-archive\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        Files.copy(jar, body);
        body.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        JsonNode response = send(HttpRequest.newBuilder(URI.create(base + "/jars/upload"))
                .timeout(Duration.ofMinutes(2))
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())).build());
        String file = response.path("filename").asText();
        return file.substring(file.lastIndexOf('/') + 1);
    }

    public void deleteJar(String jarId) throws IOException {
        send(HttpRequest.newBuilder(URI.create(base + "/jars/" + jarId)).timeout(requestTimeout).DELETE().build());
    }

    /**
     * Runs an uploaded jar's main class ({@code POST /jars/:id/run}): the JobManager executes main with
     * {@code args} and submits the job it builds. {@code restorePath} is a savepoint or retained checkpoint, or null.
     */
    public String runJar(String jarId, String entryClass, List<String> args, String restorePath) throws IOException {
        var body = Json.MAPPER.createObjectNode();
        body.put("entryClass", entryClass);
        var list = body.putArray("programArgsList");
        args.forEach(list::add);
        if (restorePath != null) {
            body.put("savepointPath", restorePath);
            // A job that lost an operator (e.g. a changed pipeline) still starts; its state is dropped.
            body.put("allowNonRestoredState", true);
        }
        JsonNode response = send(HttpRequest.newBuilder(URI.create(base + "/jars/" + jarId + "/run"))
                .timeout(Duration.ofMinutes(2))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build());
        return response.path("jobid").asText();
    }

    /**
     * Stops a job with a savepoint into {@code targetDirectory} ({@code POST /jobs/:id/stop}) and waits for it;
     * returns the savepoint's location.
     */
    public String stopWithSavepoint(String jobId, String targetDirectory, Duration timeout) throws IOException {
        var body = Json.MAPPER.createObjectNode();
        body.put("targetDirectory", targetDirectory);
        body.put("drain", false);
        JsonNode trigger = send(HttpRequest.newBuilder(URI.create(base + "/jobs/" + jobId + "/stop")).timeout(requestTimeout)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build());
        String requestId = trigger.path("request-id").asText();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            JsonNode status = get("/jobs/" + jobId + "/savepoints/" + requestId);
            if ("COMPLETED".equals(status.path("status").path("id").asText())) {
                JsonNode operation = status.path("operation");
                if (operation.hasNonNull("location")) {
                    return operation.path("location").asText();
                }
                throw new IOException("Savepoint of " + jobId + " failed: "
                        + operation.path("failure-cause").path("stack-trace").asText("unknown cause").lines().findFirst().orElse(""));
            }
            sleep(500);
        }
        throw new IOException("Savepoint of " + jobId + " not done after " + timeout.toSeconds() + " s");
    }

    /** Registered TaskManagers and slots ({@code /overview}). */
    public JsonNode overview() throws IOException {
        return get("/overview");
    }

    /** TaskManagers ({@code /taskmanagers}): id, slots, free slots, per registered TaskManager. */
    public JsonNode taskManagers() throws IOException {
        return get("/taskmanagers").path("taskmanagers");
    }

    /** Highest vertex parallelism of a job, i.e. the parallelism it runs with. */
    public int parallelism(String jobId) throws IOException {
        int max = 0;
        for (JsonNode vertex : get("/jobs/" + jobId).path("vertices")) {
            max = Math.max(max, vertex.path("parallelism").asInt());
        }
        return max;
    }

    /** Whether every task of every vertex of the job is RUNNING (a restarted job is RUNNING before its tasks are). */
    public boolean allTasksRunning(String jobId) throws IOException {
        for (JsonNode vertex : get("/jobs/" + jobId).path("vertices")) {
            JsonNode tasks = vertex.path("tasks");
            if (tasks.path("RUNNING").asInt() != vertex.path("parallelism").asInt()) {
                return false;
            }
        }
        return true;
    }

    /**
     * Number of times the job's state was restored from a checkpoint or savepoint: a failover restart counts here
     * (the job-level {@code numRestarts} metric stays 0 for these restarts in Flink 2.2).
     */
    public long restores(String jobId) throws IOException {
        return get("/jobs/" + jobId + "/checkpoints").path("counts").path("restored").asLong(0);
    }

    /** The id of the latest completed checkpoint of a job, or -1. */
    public long latestCheckpointId(String jobId) throws IOException {
        return get("/jobs/" + jobId + "/checkpoints").path("latest").path("completed").path("id").asLong(-1);
    }

    private static void sleep(long millis) throws IOException {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("Interrupted", e);
        }
    }

    private JsonNode get(String path) throws IOException {
        return send(HttpRequest.newBuilder(URI.create(base + path)).timeout(requestTimeout).GET().build());
    }

    private JsonNode send(HttpRequest request) throws IOException {
        try {
            HttpResponse<byte[]> response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
            if (response.statusCode() / 100 != 2) {
                String detail = new String(response.body(), StandardCharsets.UTF_8);
                throw new IOException("Flink REST " + request.uri().getPath() + " answered " + response.statusCode()
                        + (detail.isBlank() ? "" : ": " + detail.substring(0, Math.min(800, detail.length()))));
            }
            return response.body().length == 0 ? Json.MAPPER.createObjectNode() : Json.tree(response.body());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("Interrupted calling Flink REST", e);
        }
    }
}
