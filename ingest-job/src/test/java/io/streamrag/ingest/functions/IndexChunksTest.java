package io.streamrag.ingest.functions;

import io.streamrag.common.config.StreamRagOptions;
import io.streamrag.common.testing.HarnessMetrics;
import io.streamrag.ingest.IngestOptions;
import io.streamrag.ingest.index.IndexSettings;
import io.streamrag.ingest.metrics.IndexMetrics;
import io.streamrag.ingest.records.ChunkedDocument;
import io.streamrag.ingest.testing.TestChunks;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

import com.sun.net.httpserver.HttpServer;

import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Without a node: indexing while OpenSearch is down (the operator opens, and its first write waits out the retry
 * budget), and an existing index of another embedding dimension (the operator does not open).
 */
class IndexChunksTest {

    @Test
    void opensWhileOpenSearchIsDownAndItsFirstRequestWaitsForItWithinTheRetryBudget() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort(); // closed again: nothing listens there
        }
        Configuration conf = new Configuration();
        conf.set(StreamRagOptions.OPENSEARCH_URL, "http://127.0.0.1:" + port);
        conf.set(IngestOptions.INDEX_RETRY_BUDGET, Duration.ofSeconds(2));
        conf.set(IngestOptions.INDEX_RETRY_BACKOFF, Duration.ofMillis(100));
        conf.set(IngestOptions.INDEX_RETRY_MAX_BACKOFF, Duration.ofMillis(400));
        HarnessMetrics metrics = new HarnessMetrics();
        try (var h = new OneInputStreamOperatorTestHarness<ChunkedDocument, io.streamrag.ingest.records.DocumentOutcome>(
                new IndexChunks(IndexSettings.from(conf)), metrics.environment().build())) {
            h.open(); // before, open() asked OpenSearch for the index and failed the task at once, every restart
            assertThatThrownBy(() -> h.processElement(TestChunks.delete("acme", "manual"), 0))
                    .hasRootCauseInstanceOf(ConnectException.class);
            assertThat(metrics.count(IndexMetrics.REQUEST_RETRIES.name())).isGreaterThanOrEqualTo(3);
            assertThat(h.extractOutputValues()).isEmpty();
        }
    }

    /**
     * Before, the task opened and wrote every chunk into the index of another dimension: each bulk item was rejected and
     * every document dead-lettered (index/IndexingFailed) while the job ran on. Now it fails at its start, naming both.
     */
    @Test
    void doesNotOpenOnAnIndexOfAnotherEmbeddingDimension() throws Exception {
        List<String> requests = new CopyOnWriteArrayList<>();
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            requests.add(exchange.getRequestMethod() + " " + exchange.getRequestURI().getPath());
            byte[] body = ("{\"rag-chunks-v1\":{\"mappings\":{\"properties\":{\"embedding\":{\"type\":\"knn_vector\","
                    + "\"dimension\":768,\"method\":{\"engine\":\"lucene\",\"space_type\":\"cosinesimil\",\"name\":\"hnsw\","
                    + "\"parameters\":{}}}}}}}").getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        try {
            Configuration conf = new Configuration();
            conf.set(StreamRagOptions.OPENSEARCH_URL, "http://127.0.0.1:" + server.getAddress().getPort());
            try (var h = new OneInputStreamOperatorTestHarness<ChunkedDocument, io.streamrag.ingest.records.DocumentOutcome>(
                    new IndexChunks(IndexSettings.from(conf)))) {
                assertThatThrownBy(h::open)
                        .isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("maps embedding with dimension 768, but embedding.dimension is 384");
            }
            assertThat(requests).contains("GET /rag-chunks/_mapping");
        } finally {
            server.stop(0);
        }
    }
}
