package io.streamrag.ingest.functions;

import io.streamrag.common.opensearch.ChunkIndex;
import io.streamrag.common.opensearch.OpenSearchClients;
import io.streamrag.common.records.Chunk;
import io.streamrag.common.records.IngestOutcome.Outcome;
import io.streamrag.common.retry.Backoff;
import io.streamrag.ingest.index.IndexSettings;
import io.streamrag.ingest.metrics.VersionGateMetrics;
import io.streamrag.ingest.pipeline.DeadLetters;
import io.streamrag.ingest.records.DocumentOutcome;
import io.streamrag.ingest.records.DocumentTask;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.opensearch.client.opensearch.OpenSearchClient;
import org.opensearch.client.opensearch._types.OpenSearchException;
import org.opensearch.client.opensearch._types.SortOrder;
import org.opensearch.client.opensearch.core.SearchResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;

/**
 * Keyed by tenant and documentId ({@link DocumentTask#key}): keeps the latest version seen per document and drops events older than it (stale), so
 * every later stage sees each document's versions in increasing order. With empty state it can ask the index for
 * the document's indexed version (after a state loss or a fresh job over an existing index).
 */
public class VersionGate extends KeyedProcessFunction<String, DocumentTask, DocumentTask> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(VersionGate.class);

    /** Index lookup is optional: null disables it. */
    private final IndexSettings lookup;

    /** How long a document's version is kept after its last event; null keeps it forever. */
    private Duration stateTtl;

    private transient ValueState<Long> latest;
    private transient OpenSearchClient client;
    private transient Backoff backoff;
    private transient VersionGateMetrics metrics;

    /** @param lookup the index to ask for a document's indexed version, or null to rely on state only. */
    public VersionGate(IndexSettings lookup) {
        this.lookup = lookup;
    }

    /** Expires a document's remembered version {@code ttl} after its last event (zero or null: never). */
    public VersionGate stateTtl(Duration ttl) {
        this.stateTtl = ttl;
        return this;
    }

    @Override
    public void open(OpenContext openContext) {
        ValueStateDescriptor<Long> descriptor = new ValueStateDescriptor<>("latest-version", Types.LONG);
        if (stateTtl != null && !stateTtl.isZero()) {
            // Bounded state: a version not touched for the TTL is dropped (then the index lookup answers, if enabled).
            descriptor.enableTimeToLive(StateTtlConfig.newBuilder(stateTtl)
                    .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
                    .setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired)
                    .build());
        }
        latest = getRuntimeContext().getState(descriptor);
        metrics = new VersionGateMetrics(getRuntimeContext().getMetricGroup());
        if (lookup != null) {
            client = OpenSearchClients.create(lookup.connection());
            backoff = lookup.outageBackoff();
        }
    }

    @Override
    public void close() {
        OpenSearchClients.close(client);
    }

    @Override
    public void processElement(DocumentTask task, Context ctx, Collector<DocumentTask> out) throws Exception {
        Long seen = latest.value();
        boolean known = seen != null;
        if (seen == null && client != null) {
            Long[] found = new Long[1];
            known = indexedVersion(task, found);
            seen = found[0];
        }
        if (task.isDelete() && task.versionDefaulted) {
            // An unversioned DELETE applies to whatever is there and does not move the version on.
            task.version = seen == null ? 0 : seen;
        }
        if (seen != null && task.version < seen) {
            metrics.get(VersionGateMetrics.STALE).inc();
            LOG.info("Ignoring stale {}: version {} is older than {}", task, task.version, seen);
            DocumentOutcome o = DocumentOutcome.of(task, Outcome.STALE);
            o.message = "version " + task.version + " < " + seen;
            ctx.output(DeadLetters.OUTCOMES, o);
            return;
        }
        latest.update(seen == null ? task.version : Math.max(seen, task.version));
        task.previousVersion = seen;
        task.previousVersionKnown = known;
        metrics.get(VersionGateMetrics.PASSED).inc();
        out.collect(task);
    }

    /**
     * Puts the document's highest indexed version (or null) into {@code found[0]}; true when the index answered.
     * An unreachable or failing OpenSearch is retried within {@code ingest.index.retry-budget} (holding this document and,
     * by back-pressure, the ones behind it); past the budget the job fails. A request OpenSearch refuses otherwise
     * returns false: the document goes on without a known version.
     */
    private boolean indexedVersion(DocumentTask task, Long[] found) throws Exception {
        String documentId = task.documentId;
        metrics.get(VersionGateMetrics.INDEX_LOOKUPS).inc();
        try {
            SearchResponse<Chunk> r = backoff.call(() -> client.search(s -> s
                    .index(lookup.alias())
                    .size(1)
                    .source(src -> src.filter(f -> f.includes(ChunkIndex.VERSION)))
                    .query(q -> q.bool(b -> b.filter(ChunkIndex.documentFilter(task.tenant, documentId))))
                    .sort(so -> so.field(f -> f.field(ChunkIndex.VERSION).order(SortOrder.Desc))),
                    Chunk.class), OpenSearchClients::retriable,
                    (retry, delay, e) -> LOG.warn("Version lookup of {} failed (retry {} in {} ms): {}", documentId, retry + 1, delay, e.toString()));
            if (!r.hits().hits().isEmpty() && r.hits().hits().get(0).source() != null) {
                found[0] = r.hits().hits().get(0).source().version;
            }
            return true;
        } catch (OpenSearchException e) {
            if ("index_not_found_exception".equals(e.error().type())) {
                return true; // no index, no chunks
            }
            if (OpenSearchClients.retriable(e)) {
                throw e; // still failing after the retry budget
            }
            LOG.warn("Version lookup of {} failed: {}", task, e.getMessage());
            return false;
        }
    }
}
