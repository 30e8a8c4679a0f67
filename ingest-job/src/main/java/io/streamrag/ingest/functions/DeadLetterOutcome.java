package io.streamrag.ingest.functions;

import io.streamrag.ingest.records.DocumentOutcome;
import io.streamrag.ingest.records.FailedDocument;

import org.apache.flink.api.common.functions.MapFunction;

/** Turns a dead letter into the document's outcome, so outcomes are counted in one place. */
public class DeadLetterOutcome implements MapFunction<FailedDocument, DocumentOutcome> {
    private static final long serialVersionUID = 1L;

    @Override
    public DocumentOutcome map(FailedDocument f) {
        DocumentOutcome o = new DocumentOutcome();
        o.documentId = f.documentId;
        o.tenant = f.tenant;
        o.version = f.version == null ? -1 : f.version;
        o.outcome = DocumentOutcome.DEAD_LETTERED;
        o.stage = f.stage;
        o.error = f.error;
        o.message = f.message;
        o.eventTime = f.eventTime;
        o.finishedAt = System.currentTimeMillis();
        return o;
    }
}
