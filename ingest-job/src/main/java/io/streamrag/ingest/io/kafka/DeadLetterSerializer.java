package io.streamrag.ingest.io.kafka;

import io.streamrag.common.json.Json;
import io.streamrag.common.records.DeadLetter;
import io.streamrag.ingest.records.FailedDocument;

import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;

import java.nio.charset.StandardCharsets;

/** Writes a dead letter to {@code documents.dlq}: key documentId, value the contract's DeadLetter JSON. */
public class DeadLetterSerializer implements KafkaRecordSerializationSchema<FailedDocument> {
    private static final long serialVersionUID = 1L;

    private final String topic;

    public DeadLetterSerializer(String topic) {
        this.topic = topic;
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(FailedDocument f, KafkaSinkContext context, Long timestamp) {
        return new ProducerRecord<>(topic, null, timestamp,
                f.documentId == null ? null : f.documentId.getBytes(StandardCharsets.UTF_8), Json.toBytes(toDeadLetter(f)));
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
