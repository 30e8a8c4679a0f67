package io.streamrag.ingest.pipeline;

import io.streamrag.common.records.Identity;
import io.streamrag.common.security.Secrets;
import io.streamrag.ingest.extract.DocumentError;
import io.streamrag.ingest.records.DocumentOutcome;
import io.streamrag.ingest.records.DocumentTask;
import io.streamrag.ingest.records.FailedDocument;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.util.OutputTag;

import java.util.Locale;

/** The side outputs every stage shares: dead letters (to documents.dlq) and early outcomes (stale events). */
public final class DeadLetters {

    public static final OutputTag<FailedDocument> TAG =
            new OutputTag<>("dead-letters", TypeInformation.of(FailedDocument.class));

    public static final OutputTag<DocumentOutcome> OUTCOMES =
            new OutputTag<>("outcomes", TypeInformation.of(DocumentOutcome.class));

    /** Where a document gave up: the {@code stage} of its dead letter and outcome, as {@link #code()} (docs/CONTRACT.md). */
    public enum Stage {
        PARSE,
        VALIDATE,
        /** Its tenant's queue was full: {@link io.streamrag.ingest.functions.TenantAdmission}. */
        ADMIT,
        FETCH,
        EXTRACT,
        EMBED,
        INDEX,
        /** The job failed during each of a document's attempts: {@link io.streamrag.ingest.functions.Quarantine} gave up on it. */
        QUARANTINE;

        /** The {@code stage} written to the dead letter and the outcome, e.g. {@code extract}. */
        public String code() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private DeadLetters() {}

    public static FailedDocument of(DocumentTask task, Stage stage, DocumentError error, String message) {
        FailedDocument f = new FailedDocument();
        // Ids are bounded once validated; an event refused for its ids is reported with them clipped.
        f.documentId = Identity.clipId(task.documentId);
        f.tenant = Identity.clipId(task.tenant);
        f.version = task.version;
        f.stage = stage.code();
        f.error = error.code();
        f.message = Identity.clip(Secrets.maskedUrls(message), Identity.MAX_TEXT_CHARS);
        f.eventJson = task.eventJson;
        f.eventTime = task.eventTime;
        return f;
    }
}
