package io.streamrag.ingest.health;

import io.streamrag.common.embedding.EmbeddingOptions.Provider;
import io.streamrag.common.embedding.EmbeddingSettings;
import io.streamrag.common.opensearch.OpenSearchConnection;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The real dependency probe against a local HTTP server on 127.0.0.1 standing for OpenSearch and a remote embedding
 * endpoint: answering is up (whatever the status, unless it is an outage's, or the chunk index's health is red), a
 * closed port, 5xx/429 and an answer slower than the timeout are down; watched, it keeps its answer fresh on its own thread, unwatched it asks nothing.
 */
@Timeout(60)
class DependencyWatchTest {

    private HttpServer server;
    private ExecutorService handlers;
    private static final String ALIAS = "rag-chunks";
    private static final String NOT_FOUND = "{\"_index\":\"" + ALIAS + "-v1\",\"_id\":\"streamrag-write-probe\",\"_version\":1,"
            + "\"result\":\"not_found\",\"status\":404}";
    /** A node whose write queue (capacity 1 here) is full: what a real 2.19 node answered under a storm of bulk writes. */
    private static final String QUEUE_FULL = "{\"_index\":\"" + ALIAS + "-v1\",\"_id\":\"streamrag-write-probe\",\"status\":429,"
            + "\"error\":{\"type\":\"rejected_execution_exception\",\"reason\":\"rejected execution of "
            + "org.opensearch.action.support.replication.TransportWriteAction$1@14a85298 on OpenSearchThreadPoolExecutor[name = q1/write, "
            + "queue capacity = 1, active threads = 1, queued tasks = 2, completed tasks = 12]]\"}}";
    private volatile int openSearchStatus = 200;
    /** The write probe's status, when not {@link #openSearchStatus}, with {@link #bulkError} as its body (0: as every request). */
    private volatile int bulkStatus;
    private volatile String bulkError = "";
    /** The index's health in a 200 answer of OpenSearch. */
    private volatile String health = "green";
    /** The index's block settings as {@code _settings/index.blocks.*?flat_settings=true} answers them (none: not blocked). */
    private volatile String blocks = "";
    /** The write probe's bulk item, as OpenSearch 2.19 answers it (by default: the document is not there). */
    private volatile String writeItem = NOT_FOUND;
    private final List<String> bulkBodies = new CopyOnWriteArrayList<>();
    private volatile int embeddingStatus = 404; // an OpenAI-compatible base URL often answers GET with 404: still an answer
    private volatile long delayMs;
    /** Extra wait before the write probe's answer. */
    private volatile long bulkDelayMs;
    private final List<String> requests = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        handlers = Executors.newCachedThreadPool();
        server.setExecutor(handlers);
        server.createContext("/", this::answer);
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
        handlers.shutdownNow();
    }

    private void answer(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getPath();
        String query = exchange.getRequestURI().getRawQuery();
        requests.add(exchange.getRequestMethod() + " " + path + (query == null ? "" : "?" + query));
        try {
            Thread.sleep(delayMs);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        int status = path.startsWith("/v1") ? embeddingStatus : path.equals("/_bulk") && bulkStatus != 0 ? bulkStatus : openSearchStatus;
        if (status == 408) { // OpenSearch 2.19 on a missing index with timeout=0s: no body
            exchange.sendResponseHeaders(status, -1);
            exchange.close();
            return;
        }
        if (path.equals("/_bulk")) {
            bulkBodies.add(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            try {
                Thread.sleep(bulkDelayMs);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        byte[] body = (path.equals("/_bulk") && bulkStatus != 0 ? bulkError
                : path.equals("/_bulk") ? "{\"took\":0,\"errors\":true,\"items\":[{\"delete\":" + writeItem + "}]}"
                : path.contains("/_settings/")
                ? "{\"" + ALIAS + "-v1\":{\"settings\":{" + blocks + "}}}"
                : "{\"cluster_name\":\"test\",\"status\":\"" + health + "\",\"number_of_nodes\":1}").getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, body.length);
        exchange.getResponseBody().write(body);
        exchange.close();
    }

    private String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** A loopback port nothing listens on. */
    private static String closedPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return "http://127.0.0.1:" + socket.getLocalPort();
        }
    }

    private static OpenSearchConnection openSearch(String url) {
        return new OpenSearchConnection(url, null, null, null, null, null, "PKCS12", null, null, true);
    }

    private static EmbeddingSettings embedding(Provider provider, String baseUrl) {
        return new EmbeddingSettings(provider, baseUrl, "some-model", "EMBEDDING_API_KEY", 384, 0, 1);
    }

    private static DependencyWatch watch(String openSearchUrl, EmbeddingSettings embedding, Duration interval, Duration timeout) {
        return new DependencyWatch(new ProbeSettings(openSearch(openSearchUrl), ALIAS, embedding, interval, timeout));
    }

    private static DependencyWatch watch(String openSearchUrl, EmbeddingSettings embedding) {
        return watch(openSearchUrl, embedding, Duration.ofMinutes(1), Duration.ofSeconds(5));
    }

    @Test
    void anOpenSearchThatAnswersIsUpUnlessItsStatusIsAnOutagesAndItIsAskedTheHealthOfTheJobsIndex() throws Exception {
        try (DependencyWatch w = watch(url(), embedding(Provider.ONNX, null))) {
            assertThat(w.checkNow()).isNull();
            assertThat(requests).containsExactly("GET /_cluster/health/" + ALIAS + "?timeout=0s",
                    "GET /" + ALIAS + "/_settings/index.blocks.*?flat_settings=true", "POST /_bulk");
            assertThat(bulkBodies).containsExactly("{\"delete\":{\"_index\":\"" + ALIAS + "\",\"_id\":\"" + DependencyWatch.PROBE_ID + "\"}}\n");
            for (int status : new int[] {403, 404, 400}) {
                openSearchStatus = status; // e.g. a user without cluster-monitor rights: not an outage
                assertThat(w.checkNow()).as("HTTP %d", status).isNull();
            }
            for (int status : new int[] {500, 503, 429}) {
                openSearchStatus = status;
                assertThat(w.checkNow()).as("HTTP %d", status).isEqualTo("OpenSearch " + url() + " answered HTTP " + status);
            }
            assertThat(w.down()).as("the last answer, kept").contains("HTTP 429");
            openSearchStatus = 401; // the indexer's requests carry the same credentials: refused, and retried as an outage
            assertThat(w.checkNow()).isEqualTo("OpenSearch " + url() + " refuses the job's credentials (HTTP 401)");
        }
    }

    @Test
    void aRedIndexIsDownAndAMissingOneIsUp() throws Exception {
        try (DependencyWatch w = watch(url(), embedding(Provider.ONNX, null))) {
            health = "red"; // the cluster answers, the index's primaries do not: the indexer's writes fail with 503
            assertThat(w.checkNow()).isEqualTo("OpenSearch " + url() + ": index " + ALIAS + " is red");
            assertThat(w.down()).as("the last answer, kept").endsWith("is red");
            for (String status : new String[] {"yellow", "green"}) {
                health = status;
                assertThat(w.checkNow()).as(status).isNull();
            }
            health = "red";
            openSearchStatus = 408; // a missing index with timeout=0s: the indexer creates it
            assertThat(w.checkNow()).isNull();
            openSearchStatus = 404; // a red status in an error's body is not the index's health
            assertThat(w.checkNow()).isNull();
        }
    }

    /** At the disk's flood stage the index stays green and every bulk item is rejected with 429: the indexer's outage. */
    @Test
    void anIndexThatBlocksWritesIsDown() throws Exception {
        try (DependencyWatch w = watch(url(), embedding(Provider.ONNX, null))) {
            blocks = "\"index.blocks.read_only_allow_delete\":\"true\"";
            assertThat(w.checkNow()).isEqualTo("OpenSearch " + url() + ": index " + ALIAS
                    + " blocks writes (index.blocks.read_only_allow_delete)");
            blocks = "\"index.blocks.write\":\"true\"";
            assertThat(w.checkNow()).endsWith("blocks writes (index.blocks.write)");
            blocks = "\"index.blocks.read_only_allow_delete\":\"false\",\"index.blocks.read\":\"true\"";
            assertThat(w.checkNow()).as("lifted, and a read block does not stop writes").isNull();
        }
    }

    /**
     * A node overloaded by other clients: the index green and unblocked, its write queue full, so every bulk item of
     * the indexer's is rejected with 429 (retried as an outage, then the job fails). The write probe's item is too.
     */
    @Test
    void aWriteQueueThatRejectsWritesIsDown() throws Exception {
        try (DependencyWatch w = watch(url(), embedding(Provider.ONNX, null))) {
            writeItem = QUEUE_FULL;
            assertThat(w.checkNow()).startsWith("OpenSearch " + url() + ": index " + ALIAS
                    + " rejects writes (HTTP 429 rejected_execution_exception: rejected execution of ");
            writeItem = QUEUE_FULL.replace("429", "503").replace("rejected_execution_exception", "unavailable_shards_exception");
            assertThat(w.checkNow()).contains("rejects writes (HTTP 503 unavailable_shards_exception");
            // A closed index answers the delete with 400: the indexer waits that out too.
            writeItem = "{\"_index\":\"" + ALIAS + "-v1\",\"_id\":\"streamrag-write-probe\",\"status\":400,"
                    + "\"error\":{\"type\":\"index_closed_exception\",\"reason\":\"closed\"}}";
            assertThat(w.checkNow()).contains("rejects writes (HTTP 400 index_closed_exception: closed)");
            for (String answered : new String[] {NOT_FOUND, NOT_FOUND.replace("404", "403"), NOT_FOUND.replace("404", "400"),
                    "{\"status\":200}", "{}"}) {
                writeItem = answered; // missing, forbidden to delete, refused as malformed, or no status: all answers
                assertThat(w.checkNow()).as(answered).isNull();
            }
        }
    }

    /**
     * A bulk request refused as a whole with 403: by a cluster-wide write block (what a real 2.19 node answers to
     * cluster.blocks.read_only) or by the security plugin. The indexer's transport throws every 403 as an I/O error and
     * retries it as an outage, then fails the job: before, the probe counted it as an answer, so the quarantine counted
     * those failures against the documents in flight. A 403 to the health check stays an answer.
     */
    @Test
    void aWriteRefusedWith403IsDownButAForbiddenHealthCheckIsNot() throws Exception {
        try (DependencyWatch w = watch(url(), embedding(Provider.ONNX, null))) {
            bulkStatus = 403;
            bulkError = "{\"error\":{\"root_cause\":[{\"type\":\"cluster_block_exception\",\"reason\":\"blocked by: "
                    + "[FORBIDDEN/6/cluster read-only (api)];\"}],\"type\":\"cluster_block_exception\",\"reason\":\"blocked by: "
                    + "[FORBIDDEN/6/cluster read-only (api)];\"},\"status\":403}";
            assertThat(w.checkNow()).isEqualTo("OpenSearch " + url() + " refuses the job's writes "
                    + "(HTTP 403 cluster_block_exception: blocked by: [FORBIDDEN/6/cluster read-only (api)];)");
            bulkError = "{\"error\":{\"type\":\"security_exception\",\"reason\":\"no permissions for "
                    + "[indices:data/write/bulk] and User [name=ingest]\"},\"status\":403}";
            assertThat(w.checkNow()).endsWith("refuses the job's writes (HTTP 403 security_exception: no permissions for "
                    + "[indices:data/write/bulk] and User [name=ingest])");
            bulkStatus = 0;
            openSearchStatus = 403; // the health check forbidden: an answer, as before
            assertThat(w.checkNow()).isNull();
        }
    }

    /** A write queue slower than the probe, but not than the indexer's minute per request, is no outage. */
    @Test
    void aWriteSlowerThanTheProbesTimeoutIsUp() throws Exception {
        bulkDelayMs = 3_000;
        try (DependencyWatch w = watch(url(), embedding(Provider.ONNX, null), Duration.ofMinutes(1), Duration.ofMillis(300))) {
            assertThat(w.checkNow()).isNull();
            assertThat(requests).contains("POST /_bulk");
        }
    }

    @Test
    void aClosedPortIsDown() throws Exception {
        String closed = closedPort();
        try (DependencyWatch w = watch(closed, embedding(Provider.ONNX, null))) {
            assertThat(w.checkNow()).startsWith("OpenSearch " + closed + " is unreachable: ");
        }
    }

    @Test
    void anAnswerSlowerThanTheTimeoutIsDown() throws Exception {
        delayMs = 3_000;
        try (DependencyWatch w = watch(url(), embedding(Provider.ONNX, null), Duration.ofMinutes(1), Duration.ofMillis(300))) {
            long start = System.nanoTime();
            String down = w.checkNow();
            long tookMs = (System.nanoTime() - start) / 1_000_000;
            assertThat(down).isEqualTo("OpenSearch " + url() + " did not answer within PT0.3S");
            assertThat(tookMs).as("waited about the timeout, not for the answer").isLessThan(2_000);
            delayMs = 0;
            assertThat(w.checkNow()).as("answers again").isNull();
        }
    }

    @Test
    void aRemoteEmbeddingEndpointIsProbedAndTheInProcessModelIsNot() throws Exception {
        String closed = closedPort();
        try (DependencyWatch w = watch(url(), embedding(Provider.OPENAI, url() + "/v1"))) {
            assertThat(w.checkNow()).isNull();
            assertThat(requests).contains("GET /v1");
            embeddingStatus = 502;
            assertThat(w.checkNow()).isEqualTo("OPENAI embedding endpoint " + url() + "/v1 answered HTTP 502");
            embeddingStatus = 401; // a key problem is the setup's, not an outage
            assertThat(w.checkNow()).isNull();
            openSearchStatus = 503;
            embeddingStatus = 503;
            assertThat(w.checkNow()).as("both named").contains("OpenSearch", "OPENAI embedding endpoint");
        }
        try (DependencyWatch w = watch(url(), embedding(Provider.OLLAMA, closed))) {
            openSearchStatus = 200;
            assertThat(w.checkNow()).startsWith("OLLAMA embedding endpoint " + closed + " is unreachable: ");
        }
        try (DependencyWatch w = watch(url(), embedding(Provider.ONNX, closed))) {
            assertThat(w.checkNow()).as("in-process: nothing to probe").isNull();
        }
    }

    @Test
    void watchedItKeepsItsAnswerFreshOnItsOwnThreadAndUnwatchedItAsksNothing() throws Exception {
        try (DependencyWatch w = watch(url(), embedding(Provider.ONNX, null), Duration.ofMillis(20), Duration.ofSeconds(5))) {
            Thread.sleep(200);
            assertThat(requests).as("not watched").isEmpty();
            w.watch(true);
            await(() -> requests.isEmpty() ? "nothing asked" : null);
            openSearchStatus = 503;
            await(() -> w.down() == null ? "still up" : null);
            assertThat(w.down()).contains("HTTP 503");
            openSearchStatus = 200;
            await(() -> w.down());
            w.watch(false);
            // A check in flight may still send its later requests (blocks, the write; a fixed 100 ms for it was too
            // short on a loaded machine), but no new check starts: each starts with the health request.
            int asked = -1;
            while (asked != requests.size()) {
                asked = requests.size();
                Thread.sleep(300);
            }
            long checks = requests.stream().filter(r -> r.startsWith("GET /_cluster/health")).count();
            Thread.sleep(300);
            assertThat(requests.stream().filter(r -> r.startsWith("GET /_cluster/health")).count()).as("no longer watched")
                    .isEqualTo(checks);
        }
        assertThat(Thread.getAllStackTraces().keySet()).as("its thread ends with it")
                .noneMatch(t -> t.getName().equals("quarantine-dependency-probe"));
    }

    /**
     * A watch that cannot be built leaves no OpenSearch client running: before, the client was built and started (its
     * I/O threads) before the embedding base URL was parsed, and a URL that did not parse threw with nothing to close
     * it (the quarantine never got the watch), one client more at each failed open.
     */
    @Test
    void aWatchThatCannotBeBuiltLeavesNoClientRunning() throws Exception {
        Set<Thread> before = Set.copyOf(Thread.getAllStackTraces().keySet());
        for (int i = 0; i < 3; i++) {
            assertThatThrownBy(() -> watch(url(), embedding(Provider.OPENAI, url() + "/v1 "))) // a stray space
                    .isInstanceOf(IllegalArgumentException.class);
        }
        await(() -> {
            List<String> left = Thread.getAllStackTraces().keySet().stream()
                    .filter(t -> t.isAlive() && !before.contains(t) && t.getName().startsWith("httpclient-"))
                    .map(Thread::getName).toList();
            return left.isEmpty() ? null : "still running: " + left;
        });
    }

    /** Waits until {@code notYet} says nothing (null). */
    private static void await(Supplier<String> notYet) throws InterruptedException {
        long until = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (notYet.get() != null && System.nanoTime() < until) {
            Thread.sleep(10);
        }
        assertThat(notYet.get()).isNull();
    }

    @Test
    void aZeroIntervalProbesNothing() {
        ProbeSettings off = new ProbeSettings(openSearch(url()), ALIAS, embedding(Provider.ONNX, null), Duration.ZERO, Duration.ofSeconds(5));
        assertThat(off.open()).isSameAs(DependencyHealth.UP);
        assertThat(new ProbeSettings(openSearch(url()), ALIAS, embedding(Provider.ONNX, null), Duration.ofSeconds(5), Duration.ofSeconds(5))
                .open())
                .isInstanceOf(DependencyWatch.class).satisfies(DependencyHealth::close);
    }
}
