package io.streamrag.ingest.functions;

import io.streamrag.common.tenancy.TenantRate;
import io.streamrag.common.tenancy.TenantRateLimiter;
import io.streamrag.common.tenancy.TenantRateMetrics;
import io.streamrag.ingest.IngestOptions;
import io.streamrag.ingest.extract.DocumentError;
import io.streamrag.ingest.pipeline.DeadLetters;
import io.streamrag.ingest.records.DocumentTask;

import org.apache.flink.configuration.MemorySize;

/**
 * Each tenant's rate of documents ({@code ingest.tenant.document-rate}) in front of fetch, extraction, OCR, embedding
 * and indexing, whose capacity every tenant shares: one tenant's backlog of manuals waits in its own queue, in order,
 * not in front of the others' documents. A DELETE counts like a document (the indexer's dearest operation: a flush,
 * a refresh, a search and a bulk delete) and keeps its place behind its tenant's earlier events, so it never overtakes
 * a version of its document. A document arriving to a full queue
 * ({@code ingest.tenant.max-waiting}, or {@code max-waiting-bytes} of inline content), or that would take all tenants'
 * waiting documents on its subtask past {@code max-waiting-total} or {@code max-waiting-bytes-total}, is dead-lettered
 * {@code admit/TenantOverRate}.
 */
public class TenantAdmission extends TenantRateLimiter<DocumentTask> {
    private static final long serialVersionUID = 1L;

    public TenantAdmission(TenantRate rate) {
        super(rate, DocumentTask.class);
    }

    @Override
    protected TenantRateMetrics.Unit unit() {
        return TenantRateMetrics.DOCUMENTS;
    }

    @Override
    protected int cost(DocumentTask task) {
        return 1; // a DELETE too: free, a tenant's flood of them went past its rate into the indexer
    }

    /** Its inline content (the base64 text) and the event a dead letter would keep (long values elided, ≤ 64 KiB). */
    @Override
    protected long bytes(DocumentTask task) {
        return (task.contentBase64 == null ? 0 : task.contentBase64.length())
                + (task.eventJson == null ? 0 : task.eventJson.length());
    }

    @Override
    protected void refuse(DocumentTask task, Context ctx, Refusal why, int waiting) {
        String wait = switch (why) {
            case QUEUE_TOO_LARGE -> waiting + " of its documents already wait with their inline content ("
                    + IngestOptions.TENANT_MAX_WAITING_BYTES.key() + "=" + new MemorySize(rate.maxWaitingBytes());
            case ALL_QUEUES_FULL -> waiting + " documents of all tenants already wait on this subtask ("
                    + IngestOptions.TENANT_MAX_WAITING_TOTAL.key() + "=" + rate.maxWaitingTotal();
            case ALL_QUEUES_TOO_LARGE -> waiting + " documents of all tenants already wait on this subtask with their "
                    + "inline content (" + IngestOptions.TENANT_MAX_WAITING_BYTES_TOTAL.key() + "="
                    + new MemorySize(rate.maxWaitingBytesTotal());
            default -> waiting + " of its documents already wait (" + IngestOptions.TENANT_MAX_WAITING.key() + "="
                    + rate.maxWaiting();
        };
        ctx.output(DeadLetters.TAG, DeadLetters.of(task, DeadLetters.Stage.ADMIT, DocumentError.TENANT_OVER_RATE,
                "tenant over its rate: " + wait + ", " + IngestOptions.TENANT_DOCUMENT_RATE.key() + "=" + rate.perSecond()
                        + "); send it again later"));
    }
}
