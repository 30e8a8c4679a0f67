package io.streamrag.cli;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Kafka clients for the command line: topic creation, a producer and committed-only consumers. Each starts from
 * the client properties of {@code Connection.kafka()} (bootstrap servers and security).
 */
public final class KafkaTools {

    /** How long a send may wait for metadata or buffer space, and for each request to the broker. */
    static final Duration SEND_BLOCK = Duration.ofSeconds(15);
    /** How long a record may take from send to acknowledgement, retries included. */
    static final Duration SEND_DELIVERY = Duration.ofSeconds(30);

    private KafkaTools() {}

    /** Creates missing topics with {@code partitions} partitions and grows existing ones that have fewer. */
    public static void createTopics(Properties client, List<String> topics, int partitions) throws Exception {
        try (Admin admin = Admin.create(adminProps(client))) {
            Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            List<NewTopic> missing = new ArrayList<>();
            List<String> present = new ArrayList<>();
            for (String t : topics) {
                if (!existing.contains(t)) {
                    missing.add(new NewTopic(t, partitions, (short) 1));
                } else {
                    present.add(t);
                }
            }
            if (!missing.isEmpty()) {
                admin.createTopics(missing).all().get(30, TimeUnit.SECONDS);
            }
            Map<String, NewPartitions> grow = new HashMap<>();
            admin.describeTopics(present).allTopicNames().get(30, TimeUnit.SECONDS).forEach((name, d) -> {
                if (d.partitions().size() < partitions) {
                    grow.put(name, NewPartitions.increaseTo(partitions));
                }
            });
            if (!grow.isEmpty()) {
                // Keys of new records may map to another partition than before; the jobs key by id, not by partition.
                admin.createPartitions(grow).all().get(30, TimeUnit.SECONDS);
                System.out.println("  topics " + grow.keySet() + " grown to " + partitions + " partitions");
            }
        }
    }

    /**
     * A producer whose sends fail within seconds when the brokers cannot be reached or refuse the write (Kafka's own
     * 60 s max.block.ms applied to each record); a caller that sets these bounds itself keeps its own.
     */
    public static KafkaProducer<String, String> producer(Properties client) {
        Properties p = copy(client);
        p.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, String.valueOf(SEND_BLOCK.toMillis()));
        // delivery.timeout.ms must be at least request.timeout.ms + linger.ms, or the producer refuses to start.
        p.putIfAbsent(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, String.valueOf(SEND_BLOCK.toMillis()));
        p.putIfAbsent(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, String.valueOf(SEND_DELIVERY.toMillis()));
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 16 * 1024 * 1024);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        return new KafkaProducer<>(p);
    }

    /**
     * Sends the records and waits until the brokers acknowledged each; throws, naming {@code brokers} (as the user gave
     * them) and the first
     * failure, when one was not written. A send that failed at once (no metadata within max.block.ms) ends the
     * loop, so the other records do not each wait as long again.
     */
    public static void sendAll(Producer<String, String> producer, String brokers, List<ProducerRecord<String, String>> records)
            throws IOException {
        List<Future<RecordMetadata>> sent = new ArrayList<>();
        for (ProducerRecord<String, String> r : records) {
            Future<RecordMetadata> f = producer.send(r);
            sent.add(f);
            if (f.isDone()) {
                check(f, brokers, r.topic());
            }
        }
        producer.flush();
        for (int i = 0; i < sent.size(); i++) {
            check(sent.get(i), brokers, records.get(i).topic());
        }
    }

    private static void check(Future<RecordMetadata> f, String brokers, String topic) throws IOException {
        try {
            f.get();
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            throw new IOException("Could not write to topic '" + topic + "' at " + brokers + ": " + cause.getMessage()
                    + " (is Kafka running? bin/rag status)", cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("Interrupted while writing to topic '" + topic + "'", e);
        }
    }

    /**
     * A consumer reading only committed records, assigned to every partition of {@code topic}. Its metadata and offset
     * lookups wait at most {@link #SEND_BLOCK} for the brokers (Kafka's own default.api.timeout.ms is 60 s), unless the
     * caller sets default.api.timeout.ms itself; when they fail the consumer is closed and a KafkaException names topic
     * and brokers.
     */
    public static KafkaConsumer<String, String> committedConsumer(Properties client, String topic, boolean fromEnd) {
        Properties p = copy(client);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.putIfAbsent(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, String.valueOf(SEND_BLOCK.toMillis()));
        p.putIfAbsent(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, String.valueOf(SEND_BLOCK.toMillis()));
        KafkaConsumer<String, String> consumer = new KafkaConsumer<>(p);
        try {
            List<TopicPartition> partitions = new ArrayList<>();
            consumer.partitionsFor(topic).forEach(i -> partitions.add(new TopicPartition(topic, i.partition())));
            consumer.assign(partitions);
            if (fromEnd) {
                consumer.seekToEnd(partitions);
                partitions.forEach(consumer::position); // resolve now, before anything new is produced
            } else {
                consumer.seekToBeginning(partitions);
            }
            return consumer;
        } catch (RuntimeException e) {
            consumer.close(Duration.ZERO); // nothing was read or committed: no need to wait for the unreachable brokers
            if (e instanceof TimeoutException) {
                Duration waited = Duration.ofMillis(Long.parseLong(p.get(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG).toString()));
                throw new TimeoutException("Could not read topic '" + topic + "' at " + p.get(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG)
                        + " within " + DurationConverter.format(waited) + ": " + e.getMessage() + " (is Kafka running? bin/rag status)", e);
            }
            throw e;
        }
    }

    /** Number of committed records on a topic (reads it through; fine for local topic sizes). */
    public static long countCommitted(Properties client, String topic) {
        try (KafkaConsumer<String, String> c = committedConsumer(client, topic, false)) {
            var end = c.endOffsets(c.assignment());
            long count = 0;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (System.nanoTime() < deadline) {
                count += c.poll(Duration.ofMillis(200)).count();
                boolean done = c.assignment().stream().allMatch(tp -> c.position(tp) >= end.get(tp));
                if (done) {
                    break;
                }
            }
            return count;
        }
    }

    private static Properties adminProps(Properties client) {
        Properties p = copy(client);
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 15000);
        return p;
    }

    private static Properties copy(Properties client) {
        Properties p = new Properties();
        p.putAll(client);
        return p;
    }
}
