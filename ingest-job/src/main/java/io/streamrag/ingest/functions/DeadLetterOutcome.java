package io.streamrag.ingest.functions;

import io.streamrag.ingest.records.DocumentOutcome;
import io.streamrag.ingest.records.FailedDocument;

import org.apache.flink.api.common.functions.MapFunction;

/** Turns a dead letter into the document's outcome, so outcomes are counted in one place. */
public class DeadLetterOutcome implements MapFunction<FailedDocument, DocumentOutcome> {
    private static final long serialVersionUID = 1L;

    @Override
    public DocumentOutcome map(FailedDocument f) {
        return DocumentOutcome.deadLettered(f);
    }
}
