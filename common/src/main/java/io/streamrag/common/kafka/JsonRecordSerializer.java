package io.streamrag.common.kafka;

import io.streamrag.common.json.Json;

import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.util.function.SerializableFunction;
import org.apache.kafka.clients.producer.ProducerRecord;

import java.nio.charset.StandardCharsets;

/**
 * Writes each record to one topic as the contract's JSON ({@code value} maps the job's record to it), keyed by
 * {@code key} in UTF-8 (no key when it is null), with the record's timestamp.
 */
public class JsonRecordSerializer<T> implements KafkaRecordSerializationSchema<T> {
    private static final long serialVersionUID = 1L;

    private final String topic;
    private final SerializableFunction<T, String> key;
    private final SerializableFunction<T, ?> value;

    public JsonRecordSerializer(String topic, SerializableFunction<T, String> key, SerializableFunction<T, ?> value) {
        this.topic = topic;
        this.key = key;
        this.value = value;
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(T record, KafkaSinkContext context, Long timestamp) {
        String k = key.apply(record);
        return new ProducerRecord<>(topic, null, timestamp, k == null ? null : k.getBytes(StandardCharsets.UTF_8),
                Json.toBytes(value.apply(record)));
    }
}
