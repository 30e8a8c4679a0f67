package io.streamrag.query.io.kafka;

import io.streamrag.query.records.RawQuestion;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

import java.nio.charset.StandardCharsets;

/** Keeps question records as raw bytes plus key, so parsing (and its failures) happen in {@link io.streamrag.query.functions.ParseQuestion}. */
public class QuestionDeserializer implements KafkaRecordDeserializationSchema<RawQuestion> {
    private static final long serialVersionUID = 1L;

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<RawQuestion> out) {
        String key = record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
        out.collect(new RawQuestion(key, record.value() == null ? new byte[0] : record.value(), record.timestamp()));
    }

    @Override
    public TypeInformation<RawQuestion> getProducedType() {
        return TypeInformation.of(RawQuestion.class);
    }
}
