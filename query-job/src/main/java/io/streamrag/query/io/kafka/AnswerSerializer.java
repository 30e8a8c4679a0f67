package io.streamrag.query.io.kafka;

import io.streamrag.common.json.Json;
import io.streamrag.common.records.Answer;

import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;

import java.nio.charset.StandardCharsets;

/** Writes an answer as JSON keyed by questionId. */
public class AnswerSerializer implements KafkaRecordSerializationSchema<Answer> {
    private static final long serialVersionUID = 1L;

    private final String topic;

    public AnswerSerializer(String topic) {
        this.topic = topic;
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(Answer answer, KafkaSinkContext context, Long timestamp) {
        byte[] key = answer.questionId == null ? null : answer.questionId.getBytes(StandardCharsets.UTF_8);
        return new ProducerRecord<>(topic, null, timestamp, key, Json.toBytes(answer));
    }
}
