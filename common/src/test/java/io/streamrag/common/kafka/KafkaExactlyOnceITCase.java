package io.streamrag.common.kafka;

import io.streamrag.common.testing.FlinkTestCluster;
import io.streamrag.common.testing.KafkaExtension;

import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.serialization.SimpleStringSchema;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/** A Flink job on a MiniCluster reads one real Kafka topic and writes another exactly-once. */
class KafkaExactlyOnceITCase {

    @RegisterExtension
    static final KafkaExtension KAFKA = new KafkaExtension();

    @RegisterExtension
    static final MiniClusterExtension FLINK = FlinkTestCluster.extension(2);

    @Test
    void copiesEveryRecordExactlyOnceThroughCommittedTransactions() throws Exception {
        String input = KAFKA.createTopic("eos-in", 2);
        String output = KAFKA.createTopic("eos-out", 1);
        List<String> sent = IntStream.range(0, 200).mapToObj(i -> "record-" + i).collect(Collectors.toList());
        for (String value : sent) {
            KAFKA.send(input, value, value);
        }

        Configuration conf = new Configuration();
        conf.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        env.setParallelism(2);
        env.enableCheckpointing(500);

        KafkaSource<String> source = KafkaSource.<String>builder()
                .setBootstrapServers(KAFKA.bootstrapServers())
                .setTopics(input)
                .setGroupId("eos-test")
                .setStartingOffsets(OffsetsInitializer.earliest())
                .setBounded(OffsetsInitializer.latest())
                .setValueOnlyDeserializer(new SimpleStringSchema())
                .build();

        Properties producerProps = new Properties();
        // The broker caps transactions at transaction.max.timeout.ms (15 min); Flink's default of 1 h is refused.
        producerProps.setProperty("transaction.timeout.ms", "900000");
        KafkaSink<String> sink = KafkaSink.<String>builder()
                .setBootstrapServers(KAFKA.bootstrapServers())
                .setKafkaProducerConfig(producerProps)
                .setDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE)
                .setTransactionalIdPrefix("eos-test-" + output)
                .setRecordSerializer(KafkaRecordSerializationSchema.builder()
                        .setTopic(output)
                        .setValueSerializationSchema(new SimpleStringSchema())
                        .build())
                .build();

        env.fromSource(source, WatermarkStrategy.noWatermarks(), "Kafka: eos-in")
                .map(v -> v.toUpperCase(Locale.ROOT))
                .name("Upper-case")
                .sinkTo(sink)
                .name("Kafka: eos-out");
        env.execute("kafka-exactly-once-itcase");

        // Wait until everything arrived, then read once more after a quiet spell so duplicates would show.
        KAFKA.readCommitted(output, r -> r.size() >= sent.size(), Duration.ofSeconds(30));
        List<ConsumerRecord<String, String>> read = KAFKA.readAllCommitted(output, Duration.ofSeconds(3));
        List<String> values = read.stream().map(ConsumerRecord::value).sorted().collect(Collectors.toList());
        List<String> expected = sent.stream().map(v -> v.toUpperCase(Locale.ROOT)).sorted().collect(Collectors.toList());
        assertThat(values).containsExactlyElementsOf(expected);
    }
}
