package io.streamrag.ingest.io.kafka;

import io.streamrag.common.json.Json;
import io.streamrag.common.kafka.JsonRecordSerializer;
import io.streamrag.common.records.DeadLetter;
import io.streamrag.ingest.records.FailedDocument;

/** Writes a dead letter to {@code documents.dlq}: key documentId, value the contract's DeadLetter JSON. */
public class DeadLetterSerializer extends JsonRecordSerializer<FailedDocument> {
    private static final long serialVersionUID = 1L;

    public DeadLetterSerializer(String topic) {
        super(topic, f -> f.documentId, DeadLetterSerializer::toDeadLetter);
    }

    public static DeadLetter toDeadLetter(FailedDocument f) {
        DeadLetter d = new DeadLetter();
        d.documentId = f.documentId;
        d.tenant = f.tenant;
        d.version = f.version;
        d.stage = f.stage;
        d.error = f.error;
        d.message = f.message;
        try {
            d.event = f.eventJson == null ? null : Json.MAPPER.readTree(f.eventJson);
        } catch (Exception e) {
            d.event = Json.MAPPER.getNodeFactory().textNode(f.eventJson);
        }
        return d;
    }
}
