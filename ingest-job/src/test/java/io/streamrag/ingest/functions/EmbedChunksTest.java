package io.streamrag.ingest.functions;

import io.streamrag.common.embedding.EmbeddingSettings;
import io.streamrag.common.records.Chunk;
import io.streamrag.common.records.DocumentEvent.Op;
import io.streamrag.ingest.records.ChunkedDocument;
import io.streamrag.ingest.records.DocumentTask;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Batching across documents with the real in-process model: by size, by timer, and flushed before a checkpoint. */
class EmbedChunksTest {

    private static ChunkedDocument doc(String id, int chunks) {
        DocumentTask t = new DocumentTask();
        t.documentId = id;
        t.tenant = "acme";
        t.op = Op.UPSERT.name();
        ChunkedDocument d = new ChunkedDocument(t);
        for (int i = 0; i < chunks; i++) {
            Chunk c = new Chunk();
            c.chunkId = Chunk.id("acme", id, 0, i);
            c.text = "chunk " + i + " of document " + id + " about pumps and valves";
            d.chunks.add(c);
        }
        return d;
    }

    @Test
    void batchesAcrossDocumentsAndNeverHoldsChunksOverACheckpoint() throws Exception {
        EmbedChunks operator = new EmbedChunks(EmbeddingSettings.from(new Configuration()), 4, 60_000);
        try (var h = new OneInputStreamOperatorTestHarness<>(operator)) {
            h.open();
            h.processElement(doc("a", 2), 1);
            assertThat(h.extractOutputValues()).isEmpty(); // waiting for the batch to fill
            h.processElement(doc("b", 3), 2);              // 5 >= 4: flush, in order
            assertThat(h.extractOutputValues()).extracting(d -> d.task.documentId).containsExactly("a", "b");
            assertThat(h.extractOutputValues()).allSatisfy(d ->
                    assertThat(d.chunks).allSatisfy(c -> assertThat(c.embedding).hasSize(384)));
            // Two documents filled the batch: a backlog, whose visibility the indexer leaves to the index's schedule.
            assertThat(h.extractOutputValues()).allSatisfy(d -> assertThat(d.backlog).isTrue());

            h.processElement(doc("c", 1), 3);
            assertThat(h.extractOutputValues()).hasSize(2);
            h.prepareSnapshotPreBarrier(1L);              // a checkpoint must not find anything buffered
            assertThat(h.extractOutputValues()).extracting(d -> d.task.documentId).containsExactly("a", "b", "c");

            h.processElement(doc("d", 1), 4);
            h.setProcessingTime(h.getProcessingTime() + 60_001); // max delay passed
            List<ChunkedDocument> out = h.extractOutputValues();
            assertThat(out).extracting(d -> d.task.documentId).containsExactly("a", "b", "c", "d");

            // Sent at the barrier and at the timer: not a backlog.
            assertThat(out.subList(2, 4)).allSatisfy(d -> assertThat(d.backlog).isFalse());

            h.processElement(doc("delete-me", 0), 5);      // DELETEs carry no chunks and still flow through
            operator.finish();                             // end of input flushes too
            assertThat(h.extractOutputValues()).hasSize(5);

            h.processElement(doc("large", 6), 6);          // one document fills a batch alone: no backlog either
            assertThat(h.extractOutputValues()).hasSize(6);
            assertThat(h.extractOutputValues().get(5).backlog).isFalse();
        }
    }
}
