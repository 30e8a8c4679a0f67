package io.streamrag.ingest.io.kafka;

import io.streamrag.common.json.Json;
import io.streamrag.common.records.IngestOutcome;
import io.streamrag.ingest.records.DocumentOutcome;

import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;

import java.nio.charset.StandardCharsets;

/** Writes an outcome to {@code documents.outcomes}: key documentId, value the contract's IngestOutcome JSON. */
public class OutcomeSerializer implements KafkaRecordSerializationSchema<DocumentOutcome> {
    private static final long serialVersionUID = 1L;

    private final String topic;

    public OutcomeSerializer(String topic) {
        this.topic = topic;
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(DocumentOutcome o, KafkaSinkContext context, Long timestamp) {
        return new ProducerRecord<>(topic, null, timestamp,
                o.documentId == null ? null : o.documentId.getBytes(StandardCharsets.UTF_8), Json.toBytes(toIngestOutcome(o)));
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
