package io.streamrag.ingest.functions;

import io.streamrag.common.embedding.EmbeddingOptions.Provider;
import io.streamrag.common.embedding.EmbeddingSettings;
import io.streamrag.common.records.Chunk;
import io.streamrag.common.records.DocumentEvent.Op;
import io.streamrag.common.retry.Backoff;
import io.streamrag.common.testing.HarnessMetrics;
import io.streamrag.ingest.IngestOptions;
import io.streamrag.ingest.pipeline.DeadLetters;
import io.streamrag.ingest.records.ChunkedDocument;
import io.streamrag.ingest.records.DocumentTask;
import io.streamrag.ingest.records.FailedDocument;

import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.exception.AuthenticationException;
import dev.langchain4j.exception.HttpException;
import dev.langchain4j.exception.InternalServerException;
import dev.langchain4j.exception.InvalidRequestException;
import dev.langchain4j.exception.RateLimitException;
import dev.langchain4j.exception.TimeoutException;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.output.Response;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

import java.net.ConnectException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Batching across documents with the real in-process model (by size, by timer, flushed before a checkpoint), and the
 * errors of a stubbed remote provider: outages retried within the budget, then the job fails; input errors dead-lettered.
 */
class EmbedChunksTest {

    private static final EmbeddingSettings REMOTE = new EmbeddingSettings(Provider.OPENAI, "http://embeddings.invalid/v1", "stub",
            "EMBEDDING_API_KEY", 3, 0, 1);
    private static final EmbeddingSettings IN_PROCESS = EmbeddingSettings.from(new Configuration());
    /** Retries at once (1-2 ms apart) within a generous budget: the tests count calls, not time. */
    private static final Backoff QUICK = Backoff.of(Duration.ofMillis(1), Duration.ofMillis(2)).withBudget(Duration.ofMinutes(1));

    /** A remote provider: each call asks {@code behaviour} for an error to throw (null: answer with vectors). */
    private static final class StubModel implements EmbeddingModel {
        final Function<List<TextSegment>, RuntimeException> behaviour;
        final AtomicInteger calls = new AtomicInteger();

        StubModel(Function<List<TextSegment>, RuntimeException> behaviour) {
            this.behaviour = behaviour;
        }

        @Override
        public Response<List<Embedding>> embedAll(List<TextSegment> segments) {
            calls.incrementAndGet();
            RuntimeException error = behaviour.apply(segments);
            if (error != null) {
                throw error;
            }
            List<Embedding> vectors = new ArrayList<>();
            for (int i = 0; i < segments.size(); i++) {
                vectors.add(Embedding.from(new float[] {1, 0, 0}));
            }
            return Response.from(vectors);
        }
    }

    /** The operator on {@code model} instead of the configured provider's. */
    private static EmbedChunks operator(EmbeddingSettings settings, Backoff backoff, StubModel model) {
        return new EmbedChunks(settings, 4, 60_000, backoff) {
            @Override
            protected EmbeddingModel createModel() {
                return model;
            }
        };
    }

    /** The first errors {@code errors} hands out, one per call, then answers. */
    private static Function<List<TextSegment>, RuntimeException> failingFirst(RuntimeException... errors) {
        Deque<RuntimeException> left = new ArrayDeque<>(List.of(errors));
        return segments -> left.poll();
    }

    private static List<FailedDocument> deadLetters(OneInputStreamOperatorTestHarness<ChunkedDocument, ChunkedDocument> h) {
        var side = h.getSideOutput(DeadLetters.TAG);
        List<FailedDocument> out = new ArrayList<>();
        if (side != null) {
            side.forEach(r -> out.add(((StreamRecord<FailedDocument>) r).getValue()));
        }
        return out;
    }

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
        EmbedChunks operator = new EmbedChunks(IN_PROCESS, 4, 60_000, IngestOptions.embedBackoff(new Configuration()));
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

    @Test
    void anOutageOfTheRemoteProviderIsWaitedOutAndNothingIsDeadLettered() throws Exception {
        // Refused connections, a 503, a 429 and a timed-out call: what langchain4j throws for each.
        StubModel model = new StubModel(failingFirst(
                new RuntimeException(new ConnectException("Connection refused")),
                new InternalServerException(new HttpException(503, "Service Unavailable")),
                new RateLimitException(new HttpException(429, "Too Many Requests")),
                new TimeoutException(new java.net.http.HttpTimeoutException("request timed out"))));
        try (var h = new OneInputStreamOperatorTestHarness<>(operator(REMOTE, QUICK, model))) {
            h.open();
            h.processElement(doc("a", 2), 1);
            h.processElement(doc("b", 3), 2);   // fills the batch: the first call fails 4 times, then both calls go through

            assertThat(deadLetters(h)).isEmpty();
            assertThat(h.extractOutputValues()).extracting(d -> d.task.documentId).containsExactly("a", "b");
            assertThat(h.extractOutputValues()).allSatisfy(d ->
                    assertThat(d.chunks).allSatisfy(c -> assertThat(c.embedding).hasSize(3)));
            assertThat(model.calls).hasValue(4 + 2); // the whole batch retried, no per-document isolation
        }
    }

    @Test
    void anErrorTheInputCausedDeadLettersThatDocumentOnly() throws Exception {
        StubModel model = new StubModel(segments -> segments.stream().anyMatch(s -> s.text().contains("document poison"))
                ? new InvalidRequestException(new HttpException(400, "input is too long")) : null);
        try (var h = new OneInputStreamOperatorTestHarness<>(operator(REMOTE, QUICK, model))) {
            h.open();
            h.processElement(doc("a", 1), 1);
            h.processElement(doc("poison", 1), 2);
            h.processElement(doc("c", 2), 3);

            assertThat(h.extractOutputValues()).extracting(d -> d.task.documentId).containsExactly("a", "c");
            assertThat(deadLetters(h)).singleElement().satisfies(f -> {
                assertThat(f.documentId).isEqualTo("poison");
                assertThat(f.stage).isEqualTo("embed");
                assertThat(f.error).isEqualTo("EmbeddingFailed");
                assertThat(f.message).contains("input is too long");
            });
            assertThat(model.calls).hasValue(1 + 3); // the batch, then each document alone; a 400 is never retried as such
        }
    }

    /**
     * The search for a culprit sends a large document's chunks in calls of batch size, as any call: in one call of all
     * its chunks it went past the provider's limit on inputs per request and was dead-lettered with the culprit.
     */
    @Test
    void aCulpritSearchKeepsToTheBatchSize() throws Exception {
        StubModel model = new StubModel(segments -> segments.size() > 4
                ? new InvalidRequestException(new HttpException(400, "too many inputs: " + segments.size() + " > 4"))
                : segments.stream().anyMatch(s -> s.text().contains("document poison"))
                ? new InvalidRequestException(new HttpException(400, "input is too long")) : null);
        try (var h = new OneInputStreamOperatorTestHarness<>(operator(REMOTE, QUICK, model))) {
            h.open();
            h.processElement(doc("poison", 1), 1);
            h.processElement(doc("large", 10), 2); // calls of 4: poison0 large0-2 (fails), then the search

            assertThat(deadLetters(h)).extracting(f -> f.documentId).containsExactly("poison");
            assertThat(h.extractOutputValues()).singleElement().satisfies(d -> {
                assertThat(d.task.documentId).isEqualTo("large");
                assertThat(d.chunks).hasSize(10).allSatisfy(c -> assertThat(c.embedding).hasSize(3));
            });
            assertThat(model.calls).hasValue(1 + 1 + 3); // the failed call, poison alone, large in 4 + 4 + 2
        }
    }

    /** Chunks the search for a culprit embedded (or found failing) are not sent again with the next call of the flush. */
    @Test
    void aCulpritSearchDoesNotEmbedTheNextCallsChunksTwice() throws Exception {
        StubModel model = new StubModel(segments -> segments.stream().anyMatch(s -> s.text().contains("document poison"))
                ? new InvalidRequestException(new HttpException(400, "input is too long")) : null);
        HarnessMetrics metrics = new HarnessMetrics();
        try (var h = new OneInputStreamOperatorTestHarness<>(operator(REMOTE, QUICK, model), metrics.environment().build())) {
            h.open();
            h.processElement(doc("a", 2), 1);
            h.processElement(doc("poison", 1), 2);
            h.processElement(doc("c", 3), 3); // calls of 4: a0 a1 poison0 c0 (fails), then c1 c2

            assertThat(h.extractOutputValues()).extracting(d -> d.task.documentId).containsExactly("a", "c");
            assertThat(deadLetters(h)).extracting(f -> f.documentId).containsExactly("poison");
            assertThat(model.calls).hasValue(1 + 3); // the failed call, each of its documents alone; c1 c2 were done then
            assertThat(metrics.count("chunksEmbedded")).isEqualTo(5);
        }
    }

    @Test
    void anOutageLongerThanTheBudgetFailsTheJobInsteadOfDeadLettering() throws Exception {
        StubModel model = new StubModel(segments -> new RuntimeException(new ConnectException("Connection refused")));
        Backoff budget = QUICK.withMaxRetries(3); // bounded by count here, so the test does not depend on the machine's speed
        try (var h = new OneInputStreamOperatorTestHarness<>(operator(REMOTE, budget, model))) {
            h.open();
            h.processElement(doc("a", 2), 1);
            assertThatThrownBy(() -> h.processElement(doc("b", 2), 2))
                    .hasMessageContaining("kept failing for the retry budget")
                    .hasRootCauseInstanceOf(ConnectException.class);

            assertThat(deadLetters(h)).isEmpty();
            assertThat(h.extractOutputValues()).isEmpty(); // held, to be replayed after the failover
            assertThat(model.calls).hasValue(1 + 3);
        }
    }

    @Test
    void aWrongKeyFailsTheJobAtOnce() throws Exception {
        StubModel model = new StubModel(segments -> new AuthenticationException(new HttpException(401, "invalid api key")));
        try (var h = new OneInputStreamOperatorTestHarness<>(operator(REMOTE, QUICK, model))) {
            h.open();
            h.processElement(doc("a", 1), 1);
            assertThatThrownBy(() -> h.prepareSnapshotPreBarrier(1L)).isInstanceOf(AuthenticationException.class);
            assertThat(deadLetters(h)).isEmpty();
            assertThat(model.calls).hasValue(1);
        }
    }

    @Test
    void theInProcessModelsErrorsAreNotRetriedButDeadLettered() throws Exception {
        // Even an error that would be an outage of a remote provider: the in-process model has none, so as before.
        StubModel model = new StubModel(segments -> new RuntimeException(new java.io.IOException("native failure")));
        try (var h = new OneInputStreamOperatorTestHarness<>(operator(IN_PROCESS, QUICK, model))) {
            h.open();
            h.processElement(doc("a", 1), 1);
            h.prepareSnapshotPreBarrier(1L);
            assertThat(h.extractOutputValues()).isEmpty();
            assertThat(deadLetters(h)).extracting(f -> f.documentId).containsExactly("a");
            assertThat(model.calls).hasValue(2); // the batch, then the document alone
        }
    }
}
