package io.streamrag.query.pipeline;

import io.streamrag.common.config.StreamRagOptions;
import io.streamrag.common.kafka.KafkaClientSettings;
import io.streamrag.common.records.Answer;
import io.streamrag.query.QueryOptions;
import io.streamrag.query.io.kafka.AnswerSerializer;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.kafka.clients.producer.ProducerConfig;

import java.util.Properties;

/** Builds the query job's sinks from its configuration. */
public final class QuerySinks {

    private QuerySinks() {}

    /**
     * The largest answer value the producer sends: its {@code max.request.size} (Kafka's default 1 MiB, which the
     * broker's and the topic's defaults match) less room for the key and the record's framing.
     */
    static int maxValueBytes(Properties producer) {
        int maxRequest = Integer.parseInt(producer.getProperty(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, "1048576").trim());
        return maxRequest > 32 * 1024 ? maxRequest - 16 * 1024 : maxRequest / 2;
    }

    /** The answers topic, exactly-once (transactions committed on checkpoints). */
    public static KafkaSink<Answer> kafka(Configuration conf) {
        Properties producer = KafkaClientSettings.properties(conf);
        // The broker caps transactions at transaction.max.timeout.ms (15 min); Flink's 1 h default is refused.
        producer.setProperty("transaction.timeout.ms", String.valueOf(conf.get(QueryOptions.SINK_TRANSACTION_TIMEOUT).toMillis()));
        return KafkaSink.<Answer>builder()
                .setKafkaProducerConfig(producer)
                .setDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE)
                .setTransactionalIdPrefix(conf.get(QueryOptions.SINK_TRANSACTIONAL_ID_PREFIX))
                .setRecordSerializer(new AnswerSerializer(conf.get(StreamRagOptions.ANSWERS_TOPIC), maxValueBytes(producer)))
                .build();
    }
}
