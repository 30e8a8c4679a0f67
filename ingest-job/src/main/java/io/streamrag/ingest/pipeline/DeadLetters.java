package io.streamrag.ingest.pipeline;

import io.streamrag.ingest.extract.DocumentError;
import io.streamrag.ingest.records.DocumentOutcome;
import io.streamrag.ingest.records.DocumentTask;
import io.streamrag.ingest.records.FailedDocument;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.util.OutputTag;

/** The side outputs every stage shares: dead letters (to documents.dlq) and early outcomes (stale events). */
public final class DeadLetters {

    public static final OutputTag<FailedDocument> TAG =
            new OutputTag<>("dead-letters", TypeInformation.of(FailedDocument.class));

    public static final OutputTag<DocumentOutcome> OUTCOMES =
            new OutputTag<>("outcomes", TypeInformation.of(DocumentOutcome.class));

    public static final String PARSE = "parse";
    public static final String VALIDATE = "validate";
    public static final String FETCH = "fetch";
    public static final String EXTRACT = "extract";
    public static final String EMBED = "embed";
    public static final String INDEX = "index";
    /** The job failed during each of a document's attempts: {@link io.streamrag.ingest.functions.Quarantine} gave up on it. */
    public static final String QUARANTINE = "quarantine";

    private DeadLetters() {}

    public static FailedDocument of(DocumentTask task, String stage, DocumentError error, String message) {
        FailedDocument f = new FailedDocument();
        f.documentId = task.documentId;
        f.tenant = task.tenant;
        f.version = task.version;
        f.stage = stage;
        f.error = error.code();
        f.message = message;
        f.eventJson = task.eventJson;
        f.eventTime = task.eventTime;
        return f;
    }
}
