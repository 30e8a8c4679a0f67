package io.streamrag.ingest.functions;

import io.streamrag.common.config.StreamRagOptions;
import io.streamrag.common.opensearch.ChunkIndex;
import io.streamrag.common.records.Chunk;
import io.streamrag.common.records.DocumentEvent.Op;
import io.streamrag.common.testing.OpenSearchExtension;
import io.streamrag.ingest.index.IndexSettings;
import io.streamrag.ingest.records.DocumentTask;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.opensearch.client.opensearch._types.mapping.Property;

import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** The batched version lookup against the real OpenSearch: per tenant and document, in order, timestamps kept, flushes. */
class VersionLookupITCase {

    @RegisterExtension
    static final OpenSearchExtension OPENSEARCH = new OpenSearchExtension();

    /** Beyond 2^53: a version a double (a max aggregation) would round. */
    private static final long BIG = 1_700_000_000_000_000_123L;

    @Test
    void findsTheHighestIndexedVersionPerTenantAndDocumentInOneBatch() throws Exception {
        String alias = OPENSEARCH.uniqueName("lookup");
        ChunkIndex.ensure(OPENSEARCH.client(), alias, 4, 1, 0);
        write(alias, "acme", "a", 1);
        write(alias, "acme", "a", 3); // a leftover of an older version beside it: the highest counts
        write(alias, "globex", "a", 9); // the same documentId in another tenant is another document
        write(alias, "acme", "b", BIG);
        OPENSEARCH.refresh(alias);

        try (var h = harness(alias, 10, Duration.ofMillis(50))) {
            h.setProcessingTime(1_000);
            h.open();
            h.processElement(task("acme", "a"), 11);
            h.processElement(task("globex", "a"), 12);
            h.processElement(task("acme", "b"), 13);
            h.processElement(task("acme", "c"), 14); // never indexed
            h.processElement(task("initech", "a"), 15); // a tenant with nothing indexed
            assertThat(h.getOutput()).isEmpty(); // waiting for more to share the request
            h.setProcessingTime(1_050);
            assertThat(looked(h)).containsExactly("acme/a:3", "globex/a:9", "acme/b:" + BIG, "acme/c:null", "initech/a:null");
            assertThat(h.extractOutputValues()).allSatisfy(t -> assertThat(t.previousVersionKnown).isTrue());
            assertThat(h.extractOutputStreamRecords()).extracting(StreamRecord::getTimestamp).containsExactly(11L, 12L, 13L, 14L, 15L);
        }
    }

    @Test
    void aFullBatchGoesAtOnceAndNothingWaitsPastABarrier() throws Exception {
        String alias = OPENSEARCH.uniqueName("lookup-batch");
        ChunkIndex.ensure(OPENSEARCH.client(), alias, 4, 1, 0);
        write(alias, "acme", "b", 2);
        OPENSEARCH.refresh(alias);
        try (var h = harness(alias, 2, Duration.ofHours(1))) {
            h.open();
            h.processElement(task("acme", "a"), 1);
            h.processElement(task("acme", "b"), 2);
            h.processElement(task("acme", "c"), 3);
            assertThat(looked(h)).containsExactly("acme/a:null", "acme/b:2");
            h.prepareSnapshotPreBarrier(1L);
            assertThat(looked(h)).containsExactly("acme/a:null", "acme/b:2", "acme/c:null");
        }
    }

    @Test
    void noIndexYetMeansNothingIndexed() throws Exception {
        try (var h = harness(OPENSEARCH.uniqueName("lookup-none"), 10, Duration.ofHours(1))) {
            h.open();
            h.processElement(task("acme", "a"), 1);
            h.prepareSnapshotPreBarrier(1L);
            assertThat(looked(h)).containsExactly("acme/a:null");
            assertThat(h.extractOutputValues().get(0).previousVersionKnown).isTrue();
        }
    }

    @Test
    void aRequestOpenSearchRefusesLeavesTheVersionsUnknown() throws Exception {
        // An index whose version field cannot be sorted on: OpenSearch answers 400, which no retry would change.
        String alias = OPENSEARCH.uniqueName("lookup-refused");
        OPENSEARCH.client().indices().create(c -> c.index(alias)
                .mappings(m -> m.properties(ChunkIndex.VERSION, Property.of(p -> p.text(t -> t)))));
        OPENSEARCH.client().index(i -> i.index(alias).id("x").document(chunk("acme", "a", 1)));
        OPENSEARCH.refresh(alias);
        try (var h = harness(alias, 10, Duration.ofHours(1))) {
            h.open();
            h.processElement(task("acme", "a"), 1);
            h.prepareSnapshotPreBarrier(1L);
            assertThat(looked(h)).containsExactly("acme/a:null");
            assertThat(h.extractOutputValues().get(0).previousVersionKnown).isFalse();
        }
    }

    /**
     * One of the alias's two indices fails the search (its version field cannot be sorted on) and holds the document's
     * chunks: OpenSearch answers 200 with the other's, which has none of them. Taken as complete, the document looked
     * never indexed, as a known fact, so the clean-up after its next version left the old chunks in place.
     */
    @Test
    void anAnswerSomeShardsFailedLeavesTheVersionsUnknown() throws Exception {
        String alias = OPENSEARCH.uniqueName("lookup-partial");
        ChunkIndex.ensure(OPENSEARCH.client(), alias, 4, 1, 0);
        write(alias, "acme", "b", 2);
        String failing = alias + "-text-versions";
        OPENSEARCH.client().indices().create(c -> c.index(failing)
                .mappings(m -> m.properties(ChunkIndex.VERSION, Property.of(p -> p.text(t -> t))))
                .aliases(alias, a -> a.isWriteIndex(false)));
        OPENSEARCH.client().index(i -> i.index(failing).id("a").document(chunk("acme", "a", 7)));
        OPENSEARCH.refresh(alias);
        try (var h = harness(alias, 10, Duration.ofHours(1))) {
            h.open();
            h.processElement(task("acme", "a"), 1);
            h.processElement(task("acme", "b"), 2);
            h.prepareSnapshotPreBarrier(1L);
            assertThat(looked(h)).containsExactly("acme/a:null", "acme/b:null");
            assertThat(h.extractOutputValues()).allSatisfy(t -> assertThat(t.previousVersionKnown).isFalse());
        }
    }

    private static OneInputStreamOperatorTestHarness<DocumentTask, DocumentTask> harness(String alias, int batchSize, Duration maxDelay)
            throws Exception {
        Configuration conf = new Configuration();
        conf.set(StreamRagOptions.OPENSEARCH_URL, OPENSEARCH.url());
        conf.set(StreamRagOptions.OPENSEARCH_INDEX, alias);
        return new OneInputStreamOperatorTestHarness<>(new VersionLookup(IndexSettings.from(conf), batchSize, maxDelay));
    }

    private static DocumentTask task(String tenant, String id) {
        DocumentTask t = new DocumentTask();
        t.tenant = tenant;
        t.documentId = id;
        t.version = 100;
        t.op = Op.UPSERT.name();
        return t;
    }

    private static Chunk chunk(String tenant, String id, long version) {
        Chunk c = new Chunk();
        c.chunkId = Chunk.id(tenant, id, version, 0);
        c.tenant = tenant;
        c.documentId = id;
        c.version = version;
        c.text = "text";
        return c;
    }

    private static void write(String alias, String tenant, String id, long version) throws Exception {
        Chunk c = chunk(tenant, id, version);
        c.embedding = new float[] {0.1f, 0.2f, 0.3f, 0.4f};
        OPENSEARCH.client().index(i -> i.index(alias).id(c.chunkId).document(c));
    }

    private static List<String> looked(OneInputStreamOperatorTestHarness<DocumentTask, DocumentTask> h) {
        return h.extractOutputValues().stream().map(t -> t.tenant + "/" + t.documentId + ":" + t.previousVersion).collect(Collectors.toList());
    }
}
