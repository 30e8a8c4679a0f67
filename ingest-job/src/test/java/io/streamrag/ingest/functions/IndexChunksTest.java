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

import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Indexing while OpenSearch is down, without a node: the operator opens, and its first write waits out the retry budget. */
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
}
