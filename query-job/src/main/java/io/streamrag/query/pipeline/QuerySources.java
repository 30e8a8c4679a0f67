package io.streamrag.query.pipeline;

import io.streamrag.common.config.StreamRagOptions;
import io.streamrag.common.kafka.KafkaClientSettings;
import io.streamrag.query.QueryOptions;
import io.streamrag.query.io.kafka.QuestionDeserializer;
import io.streamrag.query.records.RawQuestion;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;

/** Builds the query job's sources from its configuration. */
public final class QuerySources {

    private QuerySources() {}

    /** The questions topic, from the group's committed offsets (earliest for a new group). */
    public static KafkaSource<RawQuestion> kafka(Configuration conf) {
        return KafkaSource.<RawQuestion>builder()
                .setProperties(KafkaClientSettings.properties(conf))
                // Questions of a producer's aborted transaction were never asked (the consumer default reads them).
                .setProperty(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed")
                .setTopics(conf.get(StreamRagOptions.QUESTIONS_TOPIC))
                .setGroupId(conf.get(QueryOptions.SOURCE_GROUP_ID))
                .setStartingOffsets(OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST))
                .setDeserializer(new QuestionDeserializer())
                .build();
    }
}
