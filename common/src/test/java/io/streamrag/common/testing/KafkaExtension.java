package io.streamrag.common.testing;

import io.streamrag.common.kafka.KafkaClientSettings;

import org.apache.flink.configuration.Configuration;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * JUnit 5 extension for the real local Kafka broker: starts it when needed, hands each test its own topics and
 * deletes them after the class. Register it as a static {@code @RegisterExtension} field; {@link #secured()} is
 * the same for the SASL_SSL broker of {@link SecureServices}.
 */
public class KafkaExtension implements BeforeAllCallback, AfterAllCallback {

    private final Set<String> topics = ConcurrentHashMap.newKeySet();
    private final Runnable ensure;
    private final Configuration clientConf;
    private Admin admin;
    private KafkaProducer<String, String> producer;

    /** The plain local broker (127.0.0.1:9092). */
    public KafkaExtension() {
        this(LocalServices::ensureKafka, plainConf());
    }

    private KafkaExtension(Runnable ensure, Configuration clientConf) {
        this.ensure = ensure;
        this.clientConf = clientConf;
    }

    /** The secured local broker (SASL_SSL on 127.0.0.1:9094), reached with the generated CA and password. */
    public static KafkaExtension secured() {
        return new KafkaExtension(SecureServices::ensureKafka, null);
    }

    private static Configuration plainConf() {
        Configuration conf = new Configuration();
        conf.setString("kafka.bootstrap-servers", LocalServices.KAFKA_BOOTSTRAP);
        return conf;
    }

    /** The options (bootstrap servers and security) a job or client needs to reach this broker. */
    public Configuration clientConf() {
        return new Configuration(clientConf == null ? SecureServices.kafkaClientConf() : clientConf);
    }

    private Properties clientProperties() {
        return KafkaClientSettings.properties(clientConf());
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        ensure.run();
        admin = Admin.create(clientProperties());
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        if (producer != null) {
            producer.close(Duration.ofSeconds(5));
        }
        if (admin == null) {
            return;   // beforeAll failed
        }
        if (!topics.isEmpty()) {
            admin.deleteTopics(topics).all().get(30, TimeUnit.SECONDS);
        }
        admin.close(Duration.ofSeconds(5));
    }

    public String bootstrapServers() {
        return clientConf().getString("kafka.bootstrap-servers", LocalServices.KAFKA_BOOTSTRAP);
    }

    /** Creates a topic with a unique name starting with {@code prefix}; it is deleted after the test class. */
    public String createTopic(String prefix, int partitions) {
        String name = prefix.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9._-]", "-") + "-"
                + UUID.randomUUID().toString().substring(0, 8);
        try {
            admin.createTopics(List.of(new NewTopic(name, partitions, (short) 1))).all().get(30, TimeUnit.SECONDS);
        } catch (InterruptedException | ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("Cannot create topic " + name, e);
        }
        topics.add(name);
        return name;
    }

    public Admin admin() {
        return admin;
    }

    /** Sends one record and waits for the broker's acknowledgement. */
    public void send(String topic, String key, String value) {
        try {
            producer().send(new ProducerRecord<>(topic, key, value)).get(30, TimeUnit.SECONDS);
        } catch (InterruptedException | ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("Cannot send to " + topic, e);
        }
    }

    private synchronized KafkaProducer<String, String> producer() {
        if (producer == null) {
            Properties props = clientProperties();
            props.put(ProducerConfig.ACKS_CONFIG, "all");
            props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
            props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
            producer = new KafkaProducer<>(props);
        }
        return producer;
    }

    /**
     * Reads {@code topic} from the beginning with {@code read_committed} until {@code done} holds for what was read
     * or {@code timeout} passes, and returns everything read.
     */
    public List<ConsumerRecord<String, String>> readCommitted(
            String topic, Predicate<List<ConsumerRecord<String, String>>> done, Duration timeout) {
        Properties props = clientProperties();
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        List<ConsumerRecord<String, String>> records = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props)) {
            List<TopicPartition> partitions = new ArrayList<>();
            consumer.partitionsFor(topic, Duration.ofSeconds(30))
                    .forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long deadline = System.nanoTime() + timeout.toNanos();
            while (!done.test(records) && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
        }
        return records;
    }

    /** Reads what is on the topic now (waiting up to {@code quiet} for more) with {@code read_committed}. */
    public List<ConsumerRecord<String, String>> readAllCommitted(String topic, Duration quiet) {
        return readCommitted(topic, r -> false, quiet);
    }
}
