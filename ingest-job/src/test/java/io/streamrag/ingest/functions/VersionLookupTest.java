package io.streamrag.ingest.functions;

import io.streamrag.common.config.StreamRagOptions;
import io.streamrag.common.records.DocumentEvent.Op;
import io.streamrag.ingest.IngestOptions;
import io.streamrag.ingest.index.IndexSettings;
import io.streamrag.ingest.records.DocumentTask;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The version lookup while OpenSearch is down, without a node: it gives up within its budget, last request included. */
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
}
