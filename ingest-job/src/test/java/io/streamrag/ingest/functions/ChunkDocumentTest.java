package io.streamrag.ingest.functions;

import io.streamrag.common.records.Chunk;
import io.streamrag.common.records.DocumentEvent.Op;
import io.streamrag.ingest.extract.Chunker;
import io.streamrag.ingest.extract.ContentTypes;
import io.streamrag.ingest.pipeline.DeadLetters;
import io.streamrag.ingest.records.ChunkedDocument;
import io.streamrag.ingest.records.DocumentTask;
import io.streamrag.ingest.records.ExtractedDocument;
import io.streamrag.ingest.records.FailedDocument;
import io.streamrag.ingest.records.PageText;

import org.apache.flink.streaming.api.operators.ProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A document the chunker fails on is that document's dead letter; the task goes on with the next one. */
class ChunkDocumentTest {

    private static ExtractedDocument doc(String id) {
        DocumentTask t = new DocumentTask();
        t.documentId = id;
        t.tenant = "acme";
        t.version = 1;
        t.op = Op.UPSERT.name();
        ExtractedDocument doc = new ExtractedDocument(t, ContentTypes.TEXT);
        doc.pageCount = 1;
        doc.pages.add(new PageText(1, id + " has some words."));
        return doc;
    }

    /** Fails on the documents named after a failure, as a chunker with a bug would. */
    private static final class FailingChunker extends Chunker {
        private static final long serialVersionUID = 1L;

        FailingChunker() {
            super(130, 26);
        }

        @Override
        public List<Chunk> chunk(DocumentTask task, ExtractedDocument doc) {
            switch (task.documentId) {
                case "overflow":
                    throw new StackOverflowError();
                case "bug":
                    throw new IllegalStateException("a bug");
                case "huge":
                    throw new OutOfMemoryError("Java heap space"); // the TaskManager's, not the document's: not caught
                default:
                    return super.chunk(task, doc);
            }
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void aChunkerFailureDeadLettersItsDocumentInsteadOfFailingTheTask() throws Exception {
        try (var h = new OneInputStreamOperatorTestHarness<ExtractedDocument, ChunkedDocument>(
                new ProcessOperator<>(new ChunkDocument(new FailingChunker())))) {
            h.open();
            for (String id : List.of("overflow", "bug", "fine")) {
                h.processElement(doc(id), 1);
            }
            assertThatThrownBy(() -> h.processElement(doc("huge"), 1)).isInstanceOf(OutOfMemoryError.class);
            assertThat(h.extractOutputValues()).extracting(c -> c.task.documentId).containsExactly("fine");
            assertThat(h.getSideOutput(DeadLetters.TAG).stream().map(r -> ((StreamRecord<FailedDocument>) r).getValue()))
                    .extracting(f -> f.documentId + ":" + f.stage + ":" + f.error)
                    .containsExactly("overflow:extract:CorruptDocument", "bug:extract:CorruptDocument");
            assertThat(h.getSideOutput(DeadLetters.TAG).stream().map(r -> ((StreamRecord<FailedDocument>) r).getValue().message))
                    .allSatisfy(m -> assertThat(m).startsWith("Cannot chunk"));
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void aDocumentOfTooManyChunksIsDeadLetteredLimitExceeded() throws Exception {
        ExtractedDocument many = doc("many");
        many.pages.set(0, new PageText(1, "# a\n".repeat(50)));
        try (var h = new OneInputStreamOperatorTestHarness<ExtractedDocument, ChunkedDocument>(
                new ProcessOperator<>(new ChunkDocument(new Chunker(130, 26, 24, 10))))) {
            h.open();
            h.processElement(many, 1);
            h.processElement(doc("fine"), 1);
            assertThat(h.extractOutputValues()).extracting(c -> c.task.documentId).containsExactly("fine");
            FailedDocument f = (FailedDocument) h.getSideOutput(DeadLetters.TAG).peek().getValue();
            assertThat(f.stage + ":" + f.error).isEqualTo("extract:LimitExceeded");
            assertThat(f.message).contains("more than 10 chunks").contains("ingest.limits.max-chunks");
        }
    }
}
