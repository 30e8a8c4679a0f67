package io.streamrag.ingest.health;

import io.streamrag.common.embedding.EmbeddingErrors;
import io.streamrag.common.json.Json;
import io.streamrag.common.net.JdkHttpClients;
import io.streamrag.common.opensearch.OpenSearchClients;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.opensearch.client.opensearch.OpenSearchClient;
import org.opensearch.client.opensearch.generic.Body;
import org.opensearch.client.opensearch.generic.Request;
import org.opensearch.client.opensearch.generic.Requests;
import org.opensearch.client.opensearch.generic.Response;
import org.opensearch.client.transport.httpclient5.ResponseException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Asks OpenSearch about the job's own chunk index ({@code GET /_cluster/health/<alias>?timeout=0s}, through the
 * client the indexer uses: same URL, credentials and TLS) and a remote embedding endpoint ({@code GET} of its base URL) whether they answer, on a daemon thread every probe
 * interval while watched, and keeps the last answer for the task thread.
 *
 * <p>A dependency is down when it fails the way the operators wait out as an outage (and fail the job after their
 * retry budget): no connection, no answer within the timeout, HTTP 5xx or 429 (and 408 from the embedding endpoint,
 * as {@link EmbeddingErrors} sorts it); OpenSearch also when it refuses the job's credentials (401: the indexer's
 * requests, with the same credentials, are refused and retried as an outage too). Any other answer counts as
 * answering — 403 to the health check included (the health action may be forbidden to a user allowed to write), and 401 or 404 from the
 * embedding endpoint, which is asked without its key at its base URL: the probe tells an outage from health, it does
 * not check the setup. The cluster answers 200 while the index itself is red (its primaries unavailable, so the
 * indexer's writes fail with 503): an answer whose {@code status} is {@code red} is down too; so is a healthy index
 * that blocks writes ({@code GET /<alias>/_settings/index.blocks.*}: the disk's flood stage sets
 * {@code read_only_allow_delete}, and every bulk item is then rejected with 429). A missing index answers 408 at once
 * ({@code timeout=0s}, empty body): up, the indexer creates it. Last, a write like the indexer's: a bulk request that
 * deletes a document id no chunk can have ({@link #PROBE_ID}: chunk ids hold colons). It goes through the node's write
 * queue, so a queue that rejects the indexer's bulk items with 429 while the index is green and unblocked (a node
 * overloaded by other clients) rejects it too: down; so is the bulk request refused as a whole with 403 (a
 * cluster-wide write block, {@code cluster.blocks.read_only}, or the security plugin refusing the job's user), which
 * the indexer retries as an outage too. A missing document answers 404 (up); nothing is written but OpenSearch's record
 * of the delete.
 */
public final class DependencyWatch implements DependencyHealth {
    private static final Logger LOG = LoggerFactory.getLogger(DependencyWatch.class);

    /** Index settings that make OpenSearch refuse writes (flat names, as {@code flat_settings=true} answers them). */
    private static final List<String> WRITE_BLOCKS =
            List.of("index.blocks.read_only_allow_delete", "index.blocks.read_only", "index.blocks.write");

    /** The document id the write probe deletes: no chunk id (tenant:document:version:n) can be it. */
    static final String PROBE_ID = "streamrag-write-probe";
    /** Requests one check makes at the most, one after another, each within the timeout: OpenSearch's health, blocks and write, the embedding endpoint. */
    private static final int CALLS = 4;

    private final ProbeSettings settings;
    /** The write probe's bulk body: one delete of {@link #PROBE_ID} in the chunk index. */
    private final byte[] writeProbe;
    private final long timeoutMs;
    private final OpenSearchClient openSearch;
    /** Null when the embedding model is in-process (or has no base URL to ask). */
    private final HttpClient http;
    /** Closes {@link #http} with the watch: Java 17's client has no close(). */
    private final JdkHttpClients clients = new JdkHttpClients();
    private final URI embeddingUrl;
    private final ScheduledExecutorService thread;
    /** The executor's thread, joined on close: its pool reports terminated a moment before the thread has ended. */
    private volatile Thread probeThread;
    private volatile String down;
    private volatile boolean wanted;

    public DependencyWatch(ProbeSettings settings) {
        this.settings = settings;
        this.timeoutMs = Math.max(1, settings.timeout().toMillis());
        ObjectNode delete = Json.MAPPER.createObjectNode();
        delete.putObject("delete").put("_index", settings.index()).put("_id", PROBE_ID);
        this.writeProbe = (Json.toString(delete) + "\n").getBytes(StandardCharsets.UTF_8);
        // Parsed before any client starts: a URL that does not parse throws with nothing running.
        String base = settings.remoteEmbedding() ? settings.embedding().baseUrl() : null;
        this.embeddingUrl = base == null || base.isBlank() ? null : URI.create(base);
        this.openSearch = OpenSearchClients.create(OpenSearchClients.settings(settings.openSearch()), settings.timeout());
        try {
            this.http = embeddingUrl == null ? null : clients.newBuilder()
                    .connectTimeout(settings.timeout())
                    .version(HttpClient.Version.HTTP_1_1)
                    .followRedirects(HttpClient.Redirect.NEVER)
                    .build();
            this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "quarantine-dependency-probe");
                t.setDaemon(true);
                probeThread = t;
                return t;
            });
        } catch (RuntimeException e) {
            // The caller gets no watch to close: the started clients (the OpenSearch one's I/O threads) end here.
            clients.close();
            try {
                OpenSearchClients.close(openSearch);
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        long interval = Math.max(1, settings.interval().toMillis());
        thread.scheduleWithFixedDelay(() -> {
            if (wanted) {
                refresh();
            }
        }, interval, interval, TimeUnit.MILLISECONDS);
    }

    @Override
    public String down() {
        return down;
    }

    @Override
    public String checkNow() throws InterruptedException {
        try {
            // On the probe thread, so it never runs beside a scheduled check; bounded, since the task thread waits
            // here (in open()): each request is, so this only guards against a check that hangs some other way.
            Future<String> check = thread.submit(this::refresh);
            long boundMs = CALLS * timeoutMs + 1_000;
            try {
                return check.get(boundMs, TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                check.cancel(true);
                return "the dependency probe did not finish within " + Duration.ofMillis(boundMs);
            }
        } catch (ExecutionException e) {
            throw new IllegalStateException("The dependency probe failed", e.getCause());
        } catch (RejectedExecutionException e) {
            return down; // closed
        }
    }

    @Override
    public void watch(boolean wanted) {
        boolean was = this.wanted;
        this.wanted = wanted;
        if (wanted && !was) {
            try {
                thread.execute(this::refresh); // the last answer may be old: ask at once
            } catch (RejectedExecutionException e) {
                // closed
            }
        }
    }

    /** Checks every dependency and keeps the answer. */
    private String refresh() {
        try {
            String now = check();
            if (!Objects.equals(now, down)) {
                LOG.debug("Dependencies: {}", now == null ? "all answer" : now);
            }
            down = now;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // closing
        }
        return down;
    }

    /** Null when every dependency answers; otherwise what does not, and how. */
    String check() throws InterruptedException {
        List<String> failing = new ArrayList<>(2);
        String os = openSearch();
        if (os != null) {
            failing.add(os);
        }
        if (http != null) {
            String embedding = embedding();
            if (embedding != null) {
                failing.add(embedding);
            }
        }
        return failing.isEmpty() ? null : String.join("; ", failing);
    }

    private String openSearch() throws InterruptedException {
        String name = "OpenSearch " + settings.openSearch().url();
        return probe(name, Requests.builder().method("GET").endpoint("/_cluster/health/" + settings.index())
                .query(Map.of("timeout", "0s")).build(), false, name + " did not answer within " + Duration.ofMillis(timeoutMs), health -> {
                    String red = indexRed(name, health);
                    if (red != null) {
                        return red;
                    }
                    String blocked = writesBlocked(name);
                    return blocked != null ? blocked : writesRejected(name);
                });
    }

    /** Judges a 200 answer of a probe request: what is down (null: up). */
    private interface AnswerCheck {
        String check(Response response) throws InterruptedException;
    }

    /**
     * Sends one probe request and judges it as the indexer would: not sent, or an outage's failure or status, is down;
     * no answer within the timeout is {@code late}; a 200 answer is judged by {@code ok}; any other answer is up, but
     * 403 to a {@code write}.
     */
    private String probe(String name, Request request, boolean write, String late, AnswerCheck ok) throws InterruptedException {
        CompletableFuture<Response> call;
        try {
            call = openSearch.generic().executeAsync(request);
        } catch (RuntimeException e) {
            return outage(name, e, write);
        }
        try (Response response = call.get(timeoutMs, TimeUnit.MILLISECONDS)) {
            String answered = openSearchAnswered(name, response.getStatus(), write, "");
            if (answered != null || response.getStatus() != 200) {
                return answered;
            }
            return ok.check(response);
        } catch (TimeoutException e) {
            call.cancel(true);
            return late;
        } catch (ExecutionException e) {
            return outage(name, e.getCause(), write);
        } catch (IOException e) {
            return null; // closing the answer's body: it did answer
        }
    }

    /** Down when the index's health, in a 200 answer, is red: its writes fail with 503 (null for green, yellow, or no status). */
    private String indexRed(String name, Response response) {
        try {
            byte[] bytes = response.getBody().map(Body::bodyAsBytes).orElse(null);
            JsonNode status = bytes == null || bytes.length == 0 ? null : Json.tree(bytes).path("status");
            return status != null && "red".equals(status.asText()) ? name + ": index " + settings.index() + " is red" : null;
        } catch (IOException | RuntimeException e) {
            LOG.debug("Reading {}'s health of index {} failed, counted as answering: {}", name, settings.index(), e.toString());
            return null;
        }
    }

    /**
     * Down when the index blocks writes ({@code index.blocks.write}, {@code read_only} or {@code read_only_allow_delete},
     * which OpenSearch sets itself at the disk's flood stage): its health stays green while every bulk item is
     * rejected with 429, which the indexer waits out as an outage. Null (up) for any other answer, or none in time.
     */
    private String writesBlocked(String name) throws InterruptedException {
        CompletableFuture<Response> call;
        try {
            call = openSearch.generic().executeAsync(Requests.builder().method("GET")
                    .endpoint("/" + settings.index() + "/_settings/index.blocks.*").query(Map.of("flat_settings", "true")).build());
        } catch (RuntimeException e) {
            return null;
        }
        try (Response response = call.get(timeoutMs, TimeUnit.MILLISECONDS)) {
            byte[] bytes = response.getStatus() != 200 ? null : response.getBody().map(Body::bodyAsBytes).orElse(null);
            if (bytes == null || bytes.length == 0) {
                return null;
            }
            for (JsonNode index : Json.tree(bytes)) {
                for (String block : WRITE_BLOCKS) {
                    if (index.path("settings").path(block).asBoolean(false)) {
                        return name + ": index " + settings.index() + " blocks writes (" + block + ")";
                    }
                }
            }
            return null;
        } catch (TimeoutException e) {
            call.cancel(true);
            return null; // the health just answered: a slow settings call is no outage
        } catch (ExecutionException | IOException | RuntimeException e) {
            LOG.debug("Reading {}'s blocks of index {} failed, counted as answering: {}", name, settings.index(), e.toString());
            return null;
        }
    }

    /**
     * Down when a write like the indexer's is rejected as an outage: the bulk delete of {@link #PROBE_ID}, its request
     * answered 429, 5xx or 403 (a cluster-wide write block such as {@code cluster.blocks.read_only}, or the security
     * plugin refusing the job's user: the indexer retries its requests refused so, then fails the job), or its item
     * rejected as an outage ({@link OpenSearchClients#transientError}: a full write queue, unavailable primaries, a
     * closed index). Null (up) for any other answer: 404 for the missing document or index; and for no answer within the probe's
     * timeout: the health check above has answered, and a write queue slower than the probe is not one the indexer
     * (whose requests wait a minute) fails on. Held as down, it would keep the quarantine's documents held.
     */
    private String writesRejected(String name) throws InterruptedException {
        return probe(name, Requests.builder().method("POST").endpoint("/_bulk").body(Body.from(writeProbe, "application/x-ndjson")).build(),
                true, null, answer -> {
                    try {
                        byte[] bytes = answer.getBody().map(Body::bodyAsBytes).orElse(null);
                        JsonNode item = bytes == null || bytes.length == 0 ? null : Json.tree(bytes).path("items").path(0).path("delete");
                        return item == null ? null : itemRejected(name, item);
                    } catch (IOException | RuntimeException e) {
                        LOG.debug("Reading {}'s answer to the write probe failed, counted as answering: {}", name, e.toString());
                        return null;
                    }
                });
    }

    /** What the write probe's bulk item says: rejected as an outage (429, 5xx, a block, a closed index), or (null) an answer. */
    private String itemRejected(String name, JsonNode item) {
        int status = item.path("status").asInt(0);
        JsonNode error = item.path("error");
        if (!OpenSearchClients.transientError(status, error.path("type").asText(null))) {
            return null;
        }
        String reason = error.path("reason").asText("");
        return name + ": index " + settings.index() + " rejects writes (HTTP " + status + " " + error.path("type").asText("")
                + (reason.isEmpty() ? "" : ": " + (reason.length() > 200 ? reason.substring(0, 200) + "…" : reason)) + ")";
    }

    /**
     * What an answer with {@code status} ({@code error}: its error's type and reason, or empty) says: an outage (or
     * refused credentials), or (null) that OpenSearch answers.
     */
    private static String openSearchAnswered(String name, int status, boolean write, String error) {
        if (status >= 500 || status == 429) {
            return name + " answered HTTP " + status;
        }
        if (status == 401) {
            return name + " refuses the job's credentials (HTTP 401)";
        }
        // The transport throws every 403 as an I/O error, which the indexer retries as an outage and then fails the
        // job: a write refused so is down, or the failures it causes would count against the documents in flight. A
        // 403 to the health check is an answer (the job's user may lack cluster-monitor rights, not write rights).
        return write && status == 403 ? name + " refuses the job's writes (HTTP 403" + error + ")" : null;
    }

    /** What an OpenSearch request threw: an outage the indexer would wait out, or (null) something else. */
    private static String outage(String name, Throwable error, boolean write) {
        // The transport throws for an error status (401 and 403 wrapped): that is an answer, judged by its status.
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof ResponseException) {
                return openSearchAnswered(name, ((ResponseException) t).status(), write, errorOf(t.getMessage()));
            }
        }
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof Exception && OpenSearchClients.retriable((Exception) t)) {
                return name + " is unreachable: " + t;
            }
        }
        LOG.debug("Probing {} failed, not as an outage: {}", name, error.toString());
        return null;
    }

    /** " type: reason" of the error in a {@link ResponseException}'s message (which ends with the answer's body), or "". */
    private static String errorOf(String message) {
        int body = message == null ? -1 : message.indexOf('{');
        if (body < 0) {
            return "";
        }
        try {
            JsonNode error = Json.tree(message.substring(body).getBytes(StandardCharsets.UTF_8)).path("error");
            String reason = error.path("reason").asText("");
            return error.path("type").isMissingNode() ? ""
                    : " " + error.path("type").asText() + (reason.isEmpty() ? "" : ": " + (reason.length() > 200 ? reason.substring(0, 200) + "…" : reason));
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    private String embedding() throws InterruptedException {
        String name = settings.embedding().provider() + " embedding endpoint " + embeddingUrl;
        // The request's own timeout ends at the headers; a body that stalls after them is bounded here.
        CompletableFuture<HttpResponse<Void>> call = http.sendAsync(
                HttpRequest.newBuilder(embeddingUrl).timeout(Duration.ofMillis(timeoutMs)).GET().build(), HttpResponse.BodyHandlers.discarding());
        try {
            int status = call.get(timeoutMs, TimeUnit.MILLISECONDS).statusCode();
            return EmbeddingErrors.ofStatus(status) == EmbeddingErrors.Kind.TRANSIENT ? name + " answered HTTP " + status : null;
        } catch (TimeoutException e) {
            call.cancel(true);
            return name + " did not answer within " + Duration.ofMillis(timeoutMs);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IOException) {
                return name + " is unreachable: " + cause; // refused, reset, or no answer within the timeout
            }
            LOG.debug("Probing {} failed, not as an outage: {}", name, String.valueOf(cause));
            return null;
        } catch (RuntimeException e) {
            LOG.debug("Probing {} failed, not as an outage: {}", name, e.toString());
            return null;
        }
    }

    @Override
    public void close() {
        thread.shutdownNow();
        try {
            thread.awaitTermination(timeoutMs, TimeUnit.MILLISECONDS); // a check in flight ends when interrupted
            Thread t = probeThread;
            if (t != null && t != Thread.currentThread()) {
                t.join(timeoutMs); // closed means gone: a failover re-opens the operator in the same TaskManager
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        clients.close();
        try {
            OpenSearchClients.close(openSearch);
        } catch (RuntimeException e) {
            LOG.debug("Closing the probe's OpenSearch client failed", e);
        }
    }
}
