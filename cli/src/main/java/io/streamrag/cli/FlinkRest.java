package io.streamrag.cli;

import io.streamrag.common.json.Json;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A small client of the Flink REST API: job overview, cancel, and operator metrics for progress and status. */
public final class FlinkRest {

    /** One row of {@code /jobs/overview}. */
    public static final class JobInfo {
        public final String id;
        public final String name;
        public final String state;
        public final long startTime;
        public final long duration;

        JobInfo(JsonNode n) {
            this.id = n.path("jid").asText();
            this.name = n.path("name").asText();
            this.state = n.path("state").asText();
            this.startTime = n.path("start-time").asLong();
            this.duration = n.path("duration").asLong();
        }

        public boolean isRunning() {
            return "RUNNING".equals(state) || "CREATED".equals(state) || "INITIALIZING".equals(state)
                    || "RESTARTING".equals(state);
        }
    }

    private final String base;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    public FlinkRest(String base) {
        this.base = base;
    }

    public static FlinkRest local() {
        return new FlinkRest("http://127.0.0.1:" + LocalCluster.REST_PORT);
    }

    public boolean isUp() {
        try {
            return get("/overview") != null;
        } catch (IOException e) {
            return false;
        }
    }

    public List<JobInfo> jobs() throws IOException {
        List<JobInfo> jobs = new ArrayList<>();
        for (JsonNode n : get("/jobs/overview").path("jobs")) {
            jobs.add(new JobInfo(n));
        }
        return jobs;
    }

    /** The running job with this name, if any. */
    public JobInfo running(String name) throws IOException {
        for (JobInfo job : jobs()) {
            if (job.name.equals(name) && job.isRunning()) {
                return job;
            }
        }
        return null;
    }

    public JobInfo job(String id) throws IOException {
        for (JobInfo job : jobs()) {
            if (job.id.equals(id)) {
                return job;
            }
        }
        return null;
    }

    public void cancel(String jobId) throws IOException {
        send(HttpRequest.newBuilder(URI.create(base + "/jobs/" + jobId + "?mode=cancel"))
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

    private JsonNode get(String path) throws IOException {
        return send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(10)).GET().build());
    }

    private JsonNode send(HttpRequest request) throws IOException {
        try {
            HttpResponse<byte[]> response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
            if (response.statusCode() / 100 != 2) {
                throw new IOException("Flink REST " + request.uri().getPath() + " answered " + response.statusCode());
            }
            return response.body().length == 0 ? Json.MAPPER.createObjectNode() : Json.tree(response.body());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("Interrupted calling Flink REST", e);
        }
    }
}
