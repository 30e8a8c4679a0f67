package io.streamrag.cli;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

import javax.management.ObjectName;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * The command line's Kafka clients: a record Kafka did not take is an error, found without waiting out every record;
 * brokers out of reach fail a consumer within its bound.
 */
class KafkaToolsTest {

    private static final Properties CLIENT = new Properties();

    static {
        CLIENT.setProperty(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:1");
    }

    private static List<ProducerRecord<String, String>> records(int n) {
        return java.util.stream.IntStream.range(0, n).mapToObj(i -> new ProducerRecord<>("questions", "q" + i, "{}")).toList();
    }

    @Test
    void aSendThatFailedAtOnceStopsTheRunAndNamesTopicAndBrokers() {
        // What KafkaProducer returns when no metadata arrived within max.block.ms: a future that already failed.
        MockProducer<String, String> producer = new MockProducer<>(true, null, new StringSerializer(), new StringSerializer()) {
            @Override
            public synchronized Future<RecordMetadata> send(ProducerRecord<String, String> record) {
                super.send(record);
                return CompletableFuture.failedFuture(new TimeoutException("Topic questions not present in metadata after 15000 ms."));
            }
        };
        assertThatThrownBy(() -> KafkaTools.sendAll(producer, "127.0.0.1:1", records(5)))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("Could not write to topic 'questions' at 127.0.0.1:1: Topic questions not present in metadata");
        assertThat(producer.history()).hasSize(1);
    }

    @Test
    void aWriteRefusedAfterTheFlushIsAnErrorAndAcknowledgedOnesAreNot() throws Exception {
        MockProducer<String, String> ok = new MockProducer<>(true, null, new StringSerializer(), new StringSerializer());
        KafkaTools.sendAll(ok, "127.0.0.1:1", records(3));
        assertThat(ok.history()).hasSize(3);

        MockProducer<String, String> refused = new MockProducer<>(false, null, new StringSerializer(), new StringSerializer()) {
            @Override
            public synchronized void flush() {
                while (errorNext(new TopicAuthorizationException(Set.of("questions")))) {
                    // every pending send fails, as a broker refusing the write answers
                }
            }
        };
        assertThatThrownBy(() -> KafkaTools.sendAll(refused, "127.0.0.1:1", records(2)))
                .hasMessageContaining("Could not write to topic 'questions'").hasMessageContaining("Not authorized");
    }

    @Test
    void aConsumerThatCannotReachTheBrokersFailsWithinItsTimeoutNamingTopicAndBrokersAndIsClosed() throws Exception {
        Properties impatient = new Properties();
        impatient.putAll(CLIENT);
        impatient.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "500");
        impatient.put(ConsumerConfig.CLIENT_ID_CONFIG, "unreachable-outcomes");
        // Before, the metadata wait was a fixed 30 s whatever the client said, and the failed consumer stayed open.
        assertThatThrownBy(() -> assertTimeoutPreemptively(Duration.ofSeconds(10),
                () -> KafkaTools.committedConsumer(impatient, "outcomes", true)))
                .isInstanceOf(KafkaException.class)
                .hasMessageContaining("Could not read topic 'outcomes' at 127.0.0.1:1 within 500 ms");
        // A consumer registers its app-info MBean when built and removes it when closed.
        assertThat(ManagementFactory.getPlatformMBeanServer()
                .queryNames(new ObjectName("kafka.consumer:type=app-info,id=unreachable-outcomes"), null)).isEmpty();
    }

    @Test
    void theProducerIsBoundedUnlessTheCallerBoundsItItself() {
        Properties patient = new Properties();
        patient.putAll(CLIENT);
        patient.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "600000");
        patient.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "600000");
        // Building them checks delivery.timeout.ms >= request.timeout.ms + linger.ms (a ConfigException otherwise).
        KafkaTools.producer(CLIENT).close();
        KafkaTools.producer(patient).close();
    }
}
