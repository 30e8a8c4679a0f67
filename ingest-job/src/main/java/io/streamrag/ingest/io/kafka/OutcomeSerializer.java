package io.streamrag.ingest.io.kafka;

import io.streamrag.common.kafka.JsonRecordSerializer;
import io.streamrag.common.records.IngestOutcome;
import io.streamrag.ingest.records.DocumentOutcome;

/** Writes an outcome to {@code documents.outcomes}: key documentId, value the contract's IngestOutcome JSON. */
public class OutcomeSerializer extends JsonRecordSerializer<DocumentOutcome> {
    private static final long serialVersionUID = 1L;

    public OutcomeSerializer(String topic) {
        super(topic, o -> o.documentId, OutcomeSerializer::toIngestOutcome);
    }

    public static IngestOutcome toIngestOutcome(DocumentOutcome o) {
        IngestOutcome r = new IngestOutcome();
        r.documentId = o.documentId;
        r.tenant = o.tenant;
        r.version = o.version;
        r.outcome = o.outcome;
        r.chunks = o.chunks;
        r.eventTime = o.eventTime;
        r.finishedAt = o.finishedAt;
        r.latencyMs = o.eventTime > 0 ? Math.max(0, o.finishedAt - o.eventTime) : 0;
        r.stage = o.stage;
        r.error = o.error;
        r.message = o.message;
        return r;
    }
}
