package io.streamrag.ingest.pipeline;

import io.streamrag.common.config.StreamRagOptions;
import io.streamrag.common.kafka.KafkaClientSettings;
import io.streamrag.ingest.IngestOptions;
import io.streamrag.ingest.io.kafka.DeadLetterSerializer;
import io.streamrag.ingest.io.kafka.OutcomeSerializer;
import io.streamrag.ingest.records.DocumentOutcome;
import io.streamrag.ingest.records.FailedDocument;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaSink;

import java.util.Properties;

/** The job's two Kafka sinks, dead letters and outcomes, both exactly-once. */
public final class IngestSinks {

    private IngestSinks() {}

    /** Dead letters to {@code documents.dlq}, exactly-once (transactions committed on checkpoints). */
    public static KafkaSink<FailedDocument> deadLetterSink(Configuration conf) {
        return KafkaSink.<FailedDocument>builder()
                .setKafkaProducerConfig(producerProperties(conf))
                .setDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE)
                .setTransactionalIdPrefix(conf.get(IngestOptions.TRANSACTIONAL_ID_PREFIX) + "-dlq")
                .setRecordSerializer(new DeadLetterSerializer(conf.get(StreamRagOptions.DEAD_LETTER_TOPIC)))
                .build();
    }

    /** One outcome per document event to {@code documents.outcomes}, exactly-once. */
    public static KafkaSink<DocumentOutcome> outcomeSink(Configuration conf) {
        return KafkaSink.<DocumentOutcome>builder()
                .setKafkaProducerConfig(producerProperties(conf))
                .setDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE)
                .setTransactionalIdPrefix(conf.get(IngestOptions.TRANSACTIONAL_ID_PREFIX) + "-outcomes")
                .setRecordSerializer(new OutcomeSerializer(conf.get(StreamRagOptions.OUTCOMES_TOPIC)))
                .build();
    }

    /** Producer properties of every Kafka sink of the job, in one place. */
    static Properties producerProperties(Configuration conf) {
        Properties producer = KafkaClientSettings.properties(conf);
        // The broker caps transactions at transaction.max.timeout.ms (15 min); Flink's 1 h default is refused.
        producer.setProperty("transaction.timeout.ms", String.valueOf(conf.get(IngestOptions.TRANSACTION_TIMEOUT).toMillis()));
        return producer;
    }
}
