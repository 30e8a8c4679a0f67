package io.streamrag.ingest.functions;

import io.streamrag.common.config.StreamRagOptions;
import io.streamrag.common.testing.OpenSearchExtension;
import io.streamrag.ingest.index.IndexSettings;
import io.streamrag.ingest.pipeline.DeadLetters;
import io.streamrag.ingest.records.DocumentOutcome;
import io.streamrag.ingest.records.FailedDocument;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.List;

import static io.streamrag.ingest.testing.TestChunks.chunked;
import static io.streamrag.ingest.testing.TestChunks.delete;
import static io.streamrag.ingest.testing.TestChunks.versions;
import static org.assertj.core.api.Assertions.assertThat;

/** The indexing operator against the real OpenSearch: per-item failures, version replacement, deletes, checkpoint flush. */
class IndexChunksITCase {

    @RegisterExtension
    static final OpenSearchExtension OPENSEARCH = new OpenSearchExtension();

    @Test
    void writesChecksEveryItemReplacesVersionsAndDeletes() throws Exception {
        String alias = OPENSEARCH.uniqueName("index-op");
        Configuration conf = new Configuration();
        conf.set(StreamRagOptions.OPENSEARCH_URL, OPENSEARCH.url());
        conf.set(StreamRagOptions.OPENSEARCH_INDEX, alias);
        conf.set(io.streamrag.common.embedding.EmbeddingOptions.DIMENSION, 4);
        try (var h = new OneInputStreamOperatorTestHarness<>(new IndexChunks(IndexSettings.from(conf)))) {
            h.open();
            h.processElement(new StreamRecord<>(chunked("acme", "a", 1, null, 3, 4)));
            h.processElement(new StreamRecord<>(chunked("acme", "bad", 1, null, 2, 3))); // wrong dimension: HTTP 200, failed items
            assertThat(h.extractOutputValues()).isEmpty();
            h.prepareSnapshotPreBarrier(1L);
            assertThat(versions(OPENSEARCH.client(), alias, "acme", "a")).containsExactly(1L, 1L, 1L);
            assertThat(versions(OPENSEARCH.client(), alias, "acme", "bad")).isEmpty();
            assertThat(h.extractOutputValues()).extracting(o -> o.documentId + ":" + o.outcome + ":" + o.chunks)
                    .containsExactly("a:indexed:3");
            FailedDocument failed = (FailedDocument) h.getSideOutput(DeadLetters.TAG).peek().getValue();
            assertThat(failed.documentId).isEqualTo("bad");
            assertThat(failed.stage).isEqualTo("index");
            assertThat(failed.message).contains("400");

            // v2 has fewer chunks: after it, nothing of v1 is left.
            h.processElement(new StreamRecord<>(chunked("acme", "a", 2, 1L, 2, 4)));
            h.prepareSnapshotPreBarrier(2L);
            assertThat(versions(OPENSEARCH.client(), alias, "acme", "a")).containsExactly(2L, 2L);

            h.processElement(new StreamRecord<>(delete("acme", "a")));
            assertThat(versions(OPENSEARCH.client(), alias, "acme", "a")).isEmpty();
            List<DocumentOutcome> outcomes = h.extractOutputValues();
            assertThat(outcomes).extracting(o -> o.documentId + ":" + o.outcome)
                    .containsExactly("a:indexed", "a:indexed", "a:deleted");
            assertThat(outcomes.get(2).chunks).isEqualTo(2);
        }
    }
}
