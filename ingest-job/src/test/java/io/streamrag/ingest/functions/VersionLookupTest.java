package io.streamrag.ingest.functions;

import io.streamrag.common.config.StreamRagOptions;
import io.streamrag.common.records.DocumentEvent.Op;
import io.streamrag.ingest.IngestOptions;
import io.streamrag.ingest.index.IndexSettings;
import io.streamrag.ingest.records.DocumentTask;

import com.sun.net.httpserver.HttpServer;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The version lookup without a node: while OpenSearch is down it gives up within its budget, last request included; an
 * answer some shards failed for a passing reason (a local HTTP server on 127.0.0.1 answers as a 2.19 node does) is
 * retried.
 */
class VersionLookupTest {

    @Test
    void aLookupThatKeepsFailingStopsRetryingInTimeForItsLastRequestToEndWithinTheBudget() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort(); // closed again: nothing listens there
        }
        Duration budget = Duration.ofSeconds(4);
        Configuration conf = new Configuration();
        conf.set(StreamRagOptions.OPENSEARCH_URL, "http://127.0.0.1:" + port);
        conf.set(IngestOptions.INDEX_RETRY_BUDGET, budget);
        conf.set(IngestOptions.INDEX_RETRY_BACKOFF, Duration.ofMillis(50));
        conf.set(IngestOptions.INDEX_RETRY_MAX_BACKOFF, Duration.ofMillis(200));
        try (var h = new OneInputStreamOperatorTestHarness<>(new VersionLookup(IndexSettings.from(conf), 10, Duration.ofHours(1)))) {
            h.open();
            DocumentTask t = new DocumentTask();
            t.tenant = "acme";
            t.documentId = "a";
            t.version = 1;
            t.op = Op.UPSERT.name();
            h.processElement(t, 1);
            long start = System.nanoTime();
            assertThatThrownBy(() -> h.prepareSnapshotPreBarrier(1L)).hasRootCauseInstanceOf(ConnectException.class);
            long ms = (System.nanoTime() - start) / 1_000_000;
            // A request can take up to the client's timeout (71 s here, so half the budget is kept for it): retries stop
            // by half the budget. Before, they went on to the end of the budget and the last request could overrun it.
            assertThat(ms).isGreaterThanOrEqualTo(budget.toMillis() / 2 - 600).isLessThan(budget.toMillis() * 3 / 4);
            assertThat(h.extractOutputValues()).isEmpty();
        }
    }

    @Test
    void anAnswerSomeShardsFailedForAPassingReasonIsRetriedNotTakenForVersionsUnknown() throws Exception {
        // First a full search queue on the shard that holds the document (the other answers: no hits), then all answer.
        String rejected = "{\"took\":1,\"timed_out\":false,\"_shards\":{\"total\":2,\"successful\":1,\"skipped\":0,"
                + "\"failed\":1,\"failures\":[{\"shard\":0,\"index\":\"chunks-v1\",\"node\":\"n1\",\"reason\":"
                + "{\"type\":\"rejected_execution_exception\",\"reason\":\"rejected execution of search\"}}]},"
                + "\"hits\":{\"max_score\":null,\"hits\":[]},\"aggregations\":{\"sterms#tenants\":"
                + "{\"doc_count_error_upper_bound\":0,\"sum_other_doc_count\":0,\"buckets\":[]}}}";
        String answered = "{\"took\":1,\"timed_out\":false,\"_shards\":{\"total\":2,\"successful\":2,\"skipped\":0,"
                + "\"failed\":0},\"hits\":{\"max_score\":null,\"hits\":[]},\"aggregations\":{\"sterms#tenants\":"
                + "{\"doc_count_error_upper_bound\":0,\"sum_other_doc_count\":0,\"buckets\":[{\"key\":\"acme\",\"doc_count\":1,"
                + "\"sterms#documents\":{\"doc_count_error_upper_bound\":0,\"sum_other_doc_count\":0,\"buckets\":[{\"key\":\"a\","
                + "\"doc_count\":1,\"top_hits#latest\":{\"hits\":{\"max_score\":null,\"hits\":[{\"_index\":\"chunks-v1\","
                + "\"_id\":\"acme:a:3:0\",\"_score\":null,\"_source\":{\"version\":3},\"sort\":[3]}]}}}]}}]}}}";
        AtomicInteger searches = new AtomicInteger();
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            byte[] body = (searches.incrementAndGet() <= 2 ? rejected : answered).getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        Configuration conf = new Configuration();
        conf.set(StreamRagOptions.OPENSEARCH_URL, "http://127.0.0.1:" + server.getAddress().getPort());
        conf.set(IngestOptions.INDEX_RETRY_BUDGET, Duration.ofSeconds(30));
        conf.set(IngestOptions.INDEX_RETRY_BACKOFF, Duration.ofMillis(10));
        conf.set(IngestOptions.INDEX_RETRY_MAX_BACKOFF, Duration.ofMillis(50));
        try (var h = new OneInputStreamOperatorTestHarness<>(new VersionLookup(IndexSettings.from(conf), 10, Duration.ofHours(1)))) {
            h.open();
            DocumentTask t = new DocumentTask();
            t.tenant = "acme";
            t.documentId = "a";
            t.version = 4;
            t.op = Op.UPSERT.name();
            h.processElement(t, 1);
            h.prepareSnapshotPreBarrier(1L);

            // Before, the first answer was taken: versions unknown, so the gate could not tell a replayed version 3.
            assertThat(searches).hasValue(3);
            assertThat(h.extractOutputValues()).singleElement().satisfies(d -> {
                assertThat(d.previousVersionKnown).isTrue();
                assertThat(d.previousVersion).isEqualTo(3L);
            });
        } finally {
            server.stop(0);
        }
    }
}
