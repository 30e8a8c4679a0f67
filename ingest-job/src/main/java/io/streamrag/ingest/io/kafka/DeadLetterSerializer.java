package io.streamrag.ingest.io.kafka;

import io.streamrag.common.json.Json;
import io.streamrag.common.kafka.JsonRecordSerializer;
import io.streamrag.common.records.DeadLetter;
import io.streamrag.ingest.records.FailedDocument;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.ObjectReader;

/** Writes a dead letter to {@code documents.dlq}: key documentId, value the contract's DeadLetter JSON. */
public class DeadLetterSerializer extends JsonRecordSerializer<FailedDocument> {
    private static final long serialVersionUID = 1L;
    /**
     * Reads the event one level shallower than Jackson's limit: the dead letter holds it one level down, and Jackson
     * writes no deeper than that limit, so an event nested exactly to it would fail the sink on every restart. One
     * deeper than that is kept as text, like any event that does not parse.
     */
    private static final ObjectReader EVENT_READER = Json.MAPPER.copyWith(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNestingDepth(StreamReadConstraints.DEFAULT_MAX_DEPTH - 1).build()).build()).reader();

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
            d.event = f.eventJson == null ? null : EVENT_READER.readTree(f.eventJson);
        } catch (Exception e) {
            d.event = Json.MAPPER.getNodeFactory().textNode(f.eventJson);
        }
        return d;
    }
}
