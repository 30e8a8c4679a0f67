package io.streamrag.ingest.records;

import io.streamrag.common.records.IngestOutcome;

/** How one document event ended: exactly one of indexed, deleted, stale or dead-lettered. */
public class DocumentOutcome {
    // The contract's spellings, defined once in the record written to documents.outcomes.
    public static final String INDEXED = IngestOutcome.INDEXED;
    public static final String DELETED = IngestOutcome.DELETED;
    public static final String STALE = IngestOutcome.STALE;
    public static final String DEAD_LETTERED = IngestOutcome.DEAD_LETTERED;

    public String documentId;
    public String tenant;
    public long version;
    public String outcome;
    /** Stage for dead letters. */
    public String stage;
    /** Short error class for dead letters. */
    public String error;
    /** Dead letters: the reason; stale events: the versions compared. */
    public String message;
    public int chunks;
    public long eventTime;
    public long finishedAt;

    public DocumentOutcome() {}

    public static DocumentOutcome of(DocumentTask task, String outcome) {
        DocumentOutcome o = new DocumentOutcome();
        o.documentId = task.documentId;
        o.tenant = task.tenant;
        o.version = task.version;
        o.outcome = outcome;
        o.eventTime = task.eventTime;
        o.finishedAt = System.currentTimeMillis();
        return o;
    }

    @Override
    public String toString() {
        return documentId + " v" + version + " " + outcome
                + (stage == null ? "" : " at " + stage + ": " + error + " (" + message + ")")
                + (stage == null && message != null ? ": " + message : "")
                + (chunks > 0 ? " (" + chunks + " chunks)" : "");
    }
}
