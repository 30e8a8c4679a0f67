package io.streamrag.ingest.io.kafka;

import io.streamrag.ingest.records.RawDocument;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

import java.nio.charset.StandardCharsets;

/** Keeps Kafka records as bytes plus key and timestamp: decoding happens in ParseDocumentEvent, where errors become dead letters. */
public class RawDocumentDeserializer implements KafkaRecordDeserializationSchema<RawDocument> {
    private static final long serialVersionUID = 1L;

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<RawDocument> out) {
        String key = record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
        out.collect(new RawDocument(key, record.value(), record.timestamp(),
                record.topic() + "-" + record.partition() + "@" + record.offset()));
    }

    @Override
    public TypeInformation<RawDocument> getProducedType() {
        return TypeInformation.of(RawDocument.class);
    }
}
