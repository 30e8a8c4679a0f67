package io.streamrag.ingest.index;

import io.streamrag.common.records.Chunk;
import io.streamrag.common.retry.Backoff;
import io.streamrag.ingest.metrics.IndexMetrics;
import io.streamrag.ingest.records.ChunkedDocument;

import org.apache.flink.metrics.groups.UnregisteredMetricsGroup;
import org.junit.jupiter.api.Test;
import org.opensearch.client.json.JsonpMapper;
import org.opensearch.client.json.jackson.JacksonJsonpMapper;
import org.opensearch.client.opensearch.OpenSearchClient;
import org.opensearch.client.opensearch._types.ErrorCause;
import org.opensearch.client.opensearch.core.BulkRequest;
import org.opensearch.client.opensearch.core.BulkResponse;
import org.opensearch.client.opensearch.core.bulk.BulkOperation;
import org.opensearch.client.opensearch.core.bulk.BulkResponseItem;
import org.opensearch.client.opensearch.core.bulk.OperationType;
import org.opensearch.client.transport.Endpoint;
import org.opensearch.client.transport.OpenSearchTransport;
import org.opensearch.client.transport.TransportOptions;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.stream.Collectors;

import static io.streamrag.ingest.testing.TestChunks.chunked;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;

/**
 * How {@link BulkWriter} sorts the items of bulk responses, without a node: a transport that answers each bulk request
 * as the test says (the item errors a red index or a full write queue give are hard to stage on a real one).
 */
class BulkWriterTest {

    private static final Backoff QUICK = Backoff.of(Duration.ofMillis(5), Duration.ofMillis(20));

    @Test
    void theDocumentsOwnItemErrorsAreFinalAtOnceWithTheirCauses() throws Exception {
        ScriptedBulk os = new ScriptedBulk(id -> id.startsWith("acme:bad:1:1")
                ? error(400, "mapper_parsing_exception", "failed to parse field [embedding]",
                        ErrorCause.of(c -> c.type("illegal_argument_exception").reason("Vector dimension mismatch")))
                : null);
        IndexMetrics metrics = metrics();
        ChunkedDocument good = chunked("acme", "good", 1, null, 2, 4);
        ChunkedDocument bad = chunked("acme", "bad", 1, null, 3, 4);

        Map<ChunkedDocument, String> failed = new BulkWriter(os.client(), "chunks", 10, metrics)
                .write(List.of(good, bad), QUICK.withBudget(Duration.ofSeconds(10)).start());

        assertThat(failed).containsOnlyKeys(bad);
        assertThat(failed.get(bad)).isEqualTo("400 mapper_parsing_exception: failed to parse field [embedding]; "
                + "caused by illegal_argument_exception: Vector dimension mismatch");
        assertThat(os.requests).hasSize(1); // not retried
        assertThat(metrics.get(IndexMetrics.BULK_RETRIES).getCount()).isZero();
        assertThat(metrics.get(IndexMetrics.CHUNKS_INDEXED).getCount()).isEqualTo(4);
        assertThat(metrics.get(IndexMetrics.BULK_ITEM_FAILURES).getCount()).isEqualTo(1);
    }

    @Test
    void itemsOpenSearchRejectsWith429Or5xxAreRetriedUntilTheyGoIn() throws Exception {
        // A full write queue (429) and a red index (503), then a node error (500): each rejected twice, then taken.
        List<String> seen = new ArrayList<>();
        ScriptedBulk os = new ScriptedBulk(id -> {
            seen.add(id);
            if (seen.stream().filter(id::equals).count() > 2) {
                return null;
            }
            switch (id) {
                case "acme:a:1:0": return error(429, "es_rejected_execution_exception", "rejected execution of write", null);
                case "acme:a:1:1": return error(503, "unavailable_shards_exception", "primary shard is not active", null);
                case "acme:b:1:0": return error(500, "illegal_state_exception", "node error", null);
                default: return null;
            }
        });
        IndexMetrics metrics = metrics();
        ChunkedDocument a = chunked("acme", "a", 1, null, 3, 4);
        ChunkedDocument b = chunked("acme", "b", 1, null, 1, 4);

        Map<ChunkedDocument, String> failed = new BulkWriter(os.client(), "chunks", 2, metrics)
                .write(List.of(a, b), QUICK.withMaxRetries(3).withBudget(Duration.ofSeconds(30)).start());

        // Before, the 500 dead-lettered b at once and a 429/503 dead-lettered a after ingest.index.max-retries.
        assertThat(failed).isEmpty();
        assertThat(os.requests).extracting(List::size).containsExactly(2, 2, 2, 1, 2, 1);
        assertThat(os.requests.get(2)).containsExactly("acme:a:1:0", "acme:a:1:1");
        assertThat(os.requests.get(3)).containsExactly("acme:b:1:0");
        assertThat(metrics.get(IndexMetrics.BULK_RETRIES).getCount()).isEqualTo(2);
        assertThat(metrics.get(IndexMetrics.CHUNKS_INDEXED).getCount()).isEqualTo(4);
    }

    @Test
    void itemsOfABlockedOrClosedIndexAreRetriedNotDeadLettered() throws Exception {
        // index.blocks.write (or read_only, cluster.blocks.read_only) answers 403, a closed index 400, the security
        // plugin refusing the job's user 403: not 429/5xx, yet not the documents' fault. Before, both were dead-lettered.
        List<String> seen = new ArrayList<>();
        ScriptedBulk os = new ScriptedBulk(id -> {
            seen.add(id);
            if (seen.stream().filter(id::equals).count() > 1) {
                return null;
            }
            switch (id) {
                case "acme:a:1:0": return error(403, "cluster_block_exception", "index [chunks-v1] blocked by: [FORBIDDEN/8/index write (api)];", null);
                case "acme:a:1:1": return error(403, "security_exception", "no permissions for [indices:data/write/bulk[s]]", null);
                case "acme:b:1:0": return error(400, "index_closed_exception", "closed", null);
                default: return null;
            }
        });
        ChunkedDocument a = chunked("acme", "a", 1, null, 2, 4);
        ChunkedDocument b = chunked("acme", "b", 1, null, 1, 4);

        Map<ChunkedDocument, String> failed = new BulkWriter(os.client(), "chunks", 10, metrics())
                .write(List.of(a, b), QUICK.withBudget(Duration.ofSeconds(10)).start());

        assertThat(failed).isEmpty();
        assertThat(os.requests).containsExactly(List.of("acme:a:1:0", "acme:a:1:1", "acme:b:1:0"), List.of("acme:a:1:0", "acme:a:1:1", "acme:b:1:0"));
    }

    @Test
    void itemsStillRejectedWhenTheBudgetEndsFailTheWriteWithTheirErrorsNotTheDocuments() {
        ScriptedBulk os = new ScriptedBulk(id -> id.equals("acme:b:1:0")
                ? error(503, "unavailable_shards_exception", "[chunks][0] primary shard is not active", null) : null);
        IndexMetrics metrics = metrics();
        BulkWriter writer = new BulkWriter(os.client(), "chunks", 10, metrics);
        long start = System.nanoTime();

        assertThatThrownBy(() -> writer.write(List.of(chunked("acme", "a", 1, null, 2, 4), chunked("acme", "b", 1, null, 1, 4)),
                QUICK.withBudget(Duration.ofMillis(400)).start()))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("1 chunks of 1 documents")
                .hasMessageContaining("503 unavailable_shards_exception: [chunks][0] primary shard is not active")
                .hasMessageContaining("PT0.4S per flush");
        assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(2_000);
        assertThat(metrics.get(IndexMetrics.BULK_RETRIES).getCount()).isGreaterThan(3);
        assertThat(os.requests.subList(1, os.requests.size())).allSatisfy(r -> assertThat(r).containsExactly("acme:b:1:0"));
    }

    @Test
    void aDocumentThatFailedForItsOwnErrorIsNotRetriedForItsOtherChunks() throws Exception {
        ScriptedBulk os = new ScriptedBulk(id -> {
            switch (id) {
                case "acme:a:1:0": return error(400, "mapper_parsing_exception", "bad text", null);
                case "acme:a:1:1": return error(429, "es_rejected_execution_exception", "queue full", null);
                default: return null;
            }
        });
        ChunkedDocument a = chunked("acme", "a", 1, null, 2, 4);

        Map<ChunkedDocument, String> failed = new BulkWriter(os.client(), "chunks", 10, metrics())
                .write(List.of(a), QUICK.withBudget(Duration.ofSeconds(10)).start());

        assertThat(failed).containsOnlyKeys(a);
        assertThat(failed.get(a)).startsWith("400 mapper_parsing_exception");
        assertThat(os.requests).hasSize(1);
    }

    @Test
    void aChunkRejectedOnceIsNotResentOverTheLaterCopyOfItsDocumentInTheSameFlush() throws Exception {
        // The same version sent twice with other content (a re-send after an edit that kept the version): the first
        // copy's chunk 1 is rejected with 429 while the second copy's chunk 1, the same id, goes in.
        List<String> seen = new ArrayList<>();
        ScriptedBulk os = new ScriptedBulk(id -> {
            seen.add(id);
            return id.equals("acme:a:1:1") && seen.stream().filter(id::equals).count() == 1
                    ? error(429, "es_rejected_execution_exception", "queue full", null) : null;
        });
        ChunkedDocument first = chunked("acme", "a", 1, null, 2, 4);
        ChunkedDocument second = chunked("acme", "a", 1, null, 2, 4);
        second.chunks.forEach(c -> c.text = "edited " + c.chunkIndex);

        Map<ChunkedDocument, String> failed = new BulkWriter(os.client(), "chunks", 10, metrics())
                .write(List.of(first, second), QUICK.withBudget(Duration.ofSeconds(10)).start());

        assertThat(failed).isEmpty();
        // Before, the first copy's chunk was resent in a second round and overwrote the later copy's.
        assertThat(os.requests).hasSize(1);
        assertThat(os.stored).containsOnly(entry("acme:a:1:0", "edited 0"), entry("acme:a:1:1", "edited 1"));
    }

    @Test
    void aLaterCopysRejectedChunkIsResentOverTheEarlierOne() throws Exception {
        List<String> seen = new ArrayList<>();
        ScriptedBulk os = new ScriptedBulk(id -> {
            seen.add(id);
            // the second occurrence of the id: the later copy's chunk, rejected once
            return id.equals("acme:a:1:1") && seen.stream().filter(id::equals).count() == 2
                    ? error(429, "es_rejected_execution_exception", "queue full", null) : null;
        });
        ChunkedDocument first = chunked("acme", "a", 1, null, 2, 4);
        ChunkedDocument second = chunked("acme", "a", 1, null, 2, 4);
        second.chunks.forEach(c -> c.text = "edited " + c.chunkIndex);

        new BulkWriter(os.client(), "chunks", 10, metrics()).write(List.of(first, second), QUICK.withBudget(Duration.ofSeconds(10)).start());

        assertThat(os.requests).containsExactly(List.of("acme:a:1:0", "acme:a:1:1", "acme:a:1:0", "acme:a:1:1"), List.of("acme:a:1:1"));
        assertThat(os.stored).containsOnly(entry("acme:a:1:0", "edited 0"), entry("acme:a:1:1", "edited 1"));
    }

    @Test
    void aChunkRejectedOnceIsResentWhenTheLaterCopyFailedForItsOwnError() throws Exception {
        // The first copy's chunk 1 meets a full queue; the later copy's chunk 0 is refused for itself, so that copy is
        // dead-lettered, and nothing stands in the first copy's place: its chunk 1 must still be written.
        List<String> seen = new ArrayList<>();
        ScriptedBulk os = new ScriptedBulk(id -> {
            seen.add(id);
            long times = seen.stream().filter(id::equals).count();
            if (id.equals("acme:a:1:1") && times == 1) {
                return error(429, "es_rejected_execution_exception", "queue full", null);
            }
            return id.equals("acme:a:1:0") && times == 2 ? error(400, "mapper_parsing_exception", "bad field", null) : null;
        });
        ChunkedDocument first = chunked("acme", "a", 1, null, 2, 4);
        ChunkedDocument second = chunked("acme", "a", 1, null, 2, 4);
        second.chunks.forEach(c -> c.text = "edited " + c.chunkIndex);

        Map<ChunkedDocument, String> failed = new BulkWriter(os.client(), "chunks", 10, metrics())
                .write(List.of(first, second), QUICK.withBudget(Duration.ofSeconds(10)).start());

        assertThat(failed).containsOnlyKeys(second);
        assertThat(os.requests).containsExactly(List.of("acme:a:1:0", "acme:a:1:1", "acme:a:1:0", "acme:a:1:1"), List.of("acme:a:1:1"));
    }

    @Test
    void aResponseThatDoesNotAnswerEveryOperationIsNotTakenForSuccess() {
        ScriptedBulk os = new ScriptedBulk(id -> null);
        os.dropLastItem = true;
        assertThatThrownBy(() -> new BulkWriter(os.client(), "chunks", 10, metrics())
                .write(List.of(chunked("acme", "a", 1, null, 3, 4)), QUICK.withBudget(Duration.ofSeconds(10)).start()))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("3 operations with 2 items");
    }

    private static IndexMetrics metrics() {
        return new IndexMetrics(new UnregisteredMetricsGroup());
    }

    /** An item's rejection: its status and error. */
    private record Rejection(int status, ErrorCause error) {}

    private static Rejection error(int status, String type, String reason, ErrorCause causedBy) {
        return new Rejection(status, ErrorCause.of(c -> {
            c.type(type).reason(reason);
            if (causedBy != null) {
                c.causedBy(causedBy);
            }
            return c;
        }));
    }

    /** A transport that answers bulk requests item by item: the error {@code answer} gives for a chunk id, or success. */
    private static final class ScriptedBulk implements OpenSearchTransport {
        final Function<String, Rejection> answer;
        final List<List<String>> requests = new ArrayList<>();
        /** The text each chunk id holds, as the accepted items left it. */
        final Map<String, String> stored = new HashMap<>();
        boolean dropLastItem;

        ScriptedBulk(Function<String, Rejection> answer) {
            this.answer = answer;
        }

        OpenSearchClient client() {
            return new OpenSearchClient(this);
        }

        @Override
        @SuppressWarnings("unchecked")
        public <RequestT, ResponseT, ErrorT> ResponseT performRequest(RequestT request, Endpoint<RequestT, ResponseT, ErrorT> endpoint,
                                                                      TransportOptions options) {
            List<String> ids = ((BulkRequest) request).operations().stream().map(BulkOperation::index)
                    .map(o -> o.id()).collect(Collectors.toList());
            requests.add(ids);
            List<BulkResponseItem> items = new ArrayList<>();
            for (int n = 0; n < (dropLastItem ? ids.size() - 1 : ids.size()); n++) {
                String id = ids.get(n);
                Rejection rejection = answer.apply(id);
                if (rejection == null) {
                    stored.put(id, ((Chunk) ((BulkRequest) request).operations().get(n).index().document()).text);
                }
                items.add(BulkResponseItem.of(i -> {
                    i.operationType(OperationType.Index).index("chunks").id(id).status(rejection == null ? 201 : rejection.status());
                    if (rejection != null) {
                        i.error(rejection.error());
                    }
                    return i;
                }));
            }
            return (ResponseT) BulkResponse.of(r -> r.took(1).errors(items.stream().anyMatch(i -> i.error() != null)).items(items));
        }

        @Override
        public <RequestT, ResponseT, ErrorT> CompletableFuture<ResponseT> performRequestAsync(
                RequestT request, Endpoint<RequestT, ResponseT, ErrorT> endpoint, TransportOptions options) {
            throw new UnsupportedOperationException();
        }

        @Override
        public JsonpMapper jsonpMapper() {
            return new JacksonJsonpMapper();
        }

        @Override
        public TransportOptions options() {
            return null;
        }

        @Override
        public void close() {
        }
    }
}
