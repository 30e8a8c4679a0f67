package io.streamrag.ingest.records;

import io.streamrag.common.records.IngestOutcome;

/**
 * How one document event ended, exactly one of indexed, deleted, stale or dead-lettered: the contract's
 * {@link IngestOutcome} itself (written to {@code documents.outcomes} as it is), made from the job's records.
 */
public class DocumentOutcome extends IngestOutcome {

    public DocumentOutcome() {}

    public static DocumentOutcome of(DocumentTask task, Outcome outcome) {
        DocumentOutcome o = new DocumentOutcome();
        o.documentId = task.documentId;
        o.tenant = task.tenant;
        o.version = task.version;
        o.outcome = outcome;
        o.eventTime = task.eventTime;
        o.finish();
        return o;
    }

    /** The outcome of a dead letter, so outcomes are counted in one place. */
    public static DocumentOutcome deadLettered(FailedDocument f) {
        DocumentOutcome o = new DocumentOutcome();
        o.documentId = f.documentId;
        o.tenant = f.tenant;
        o.version = f.version == null ? -1 : f.version;
        o.outcome = Outcome.DEAD_LETTERED;
        o.stage = f.stage;
        o.error = f.error;
        o.message = f.message;
        o.eventTime = f.eventTime;
        o.finish();
        return o;
    }

    /** Stamps when the outcome was reached and its latency from the event (0 when the event time is unknown). */
    private void finish() {
        finishedAt = System.currentTimeMillis();
        latencyMs = eventTime > 0 ? Math.max(0, finishedAt - eventTime) : 0;
    }

    @Override
    public String toString() {
        return documentId + " v" + version + " " + outcome
                + (stage == null ? "" : " at " + stage + ": " + error + " (" + message + ")")
                + (stage == null && message != null ? ": " + message : "")
                + (chunks > 0 ? " (" + chunks + " chunks)" : "");
    }
}
