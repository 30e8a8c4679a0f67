package io.streamrag.ingest.io.kafka;

import io.streamrag.common.kafka.JsonRecordSerializer;
import io.streamrag.ingest.records.DocumentOutcome;

/** Writes an outcome to {@code documents.outcomes}: key documentId, value the outcome, the contract's IngestOutcome JSON. */
public class OutcomeSerializer extends JsonRecordSerializer<DocumentOutcome> {
    private static final long serialVersionUID = 1L;

    public OutcomeSerializer(String topic) {
        super(topic, o -> o.documentId, o -> o);
    }
}
