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
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Properties;

/** The job's two Kafka sinks, dead letters and outcomes, both exactly-once. */
public final class IngestSinks {
    private static final Logger LOG = LoggerFactory.getLogger(IngestSinks.class);

    private IngestSinks() {}

    /** Dead letters to {@code documents.dlq}, exactly-once (transactions committed on checkpoints). */
    public static KafkaSink<FailedDocument> deadLetterSink(Configuration conf) {
        return exactlyOnce(conf, "-dlq", new DeadLetterSerializer(conf.get(StreamRagOptions.DEAD_LETTER_TOPIC)));
    }

    /** One outcome per document event to {@code documents.outcomes}, exactly-once. */
    public static KafkaSink<DocumentOutcome> outcomeSink(Configuration conf) {
        return exactlyOnce(conf, "-outcomes", new OutcomeSerializer(conf.get(StreamRagOptions.OUTCOMES_TOPIC)));
    }

    /**
     * A transactional sink; its transactional ids are the run's prefix ({@link IngestOptions#transactionalIdPrefix}: a
     * bounded run's own unless set) plus {@code suffix}, one per sink.
     */
    private static <T> KafkaSink<T> exactlyOnce(Configuration conf, String suffix, KafkaRecordSerializationSchema<T> serializer) {
        String prefix = IngestOptions.transactionalIdPrefix(conf);
        if (!prefix.equals(conf.get(IngestOptions.SINK_TRANSACTIONAL_ID_PREFIX))) {
            LOG.info("Bounded run: transactional ids {}{}-* (not the continuous job's; {} sets them)", prefix, suffix,
                    IngestOptions.SINK_TRANSACTIONAL_ID_PREFIX.key());
        }
        return KafkaSink.<T>builder()
                .setKafkaProducerConfig(producerProperties(conf))
                .setDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE)
                .setTransactionalIdPrefix(prefix + suffix)
                .setRecordSerializer(serializer)
                .build();
    }

    /** Producer properties of every Kafka sink of the job, in one place. */
    static Properties producerProperties(Configuration conf) {
        Properties producer = KafkaClientSettings.properties(conf);
        // The broker caps transactions at transaction.max.timeout.ms (15 min); Flink's 1 h default is refused.
        producer.setProperty("transaction.timeout.ms", String.valueOf(conf.get(IngestOptions.SINK_TRANSACTION_TIMEOUT).toMillis()));
        return producer;
    }
}
