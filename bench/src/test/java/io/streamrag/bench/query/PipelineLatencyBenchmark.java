package io.streamrag.bench.query;

import io.streamrag.common.config.StreamRagOptions;
import io.streamrag.common.embedding.EmbeddingModels;
import io.streamrag.common.json.Json;
import io.streamrag.common.opensearch.ChunkIndex;
import io.streamrag.common.opensearch.OpenSearchClients;
import io.streamrag.common.records.Answer;
import io.streamrag.common.testing.LocalServices;
import io.streamrag.model.Faults;
import io.streamrag.model.LocalModelServer;
import io.streamrag.query.QueryJob;
import io.streamrag.query.QueryOptions;

import dev.langchain4j.model.embedding.EmbeddingModel;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.opensearch.client.opensearch.OpenSearchClient;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;

/**
 * End-to-end question latency through the real job (Kafka, OpenSearch retrieval, fan-out, vote; latencyMs.total of
 * each answer) with the endpoint at 500 ms per call: N=8 versus N=1 questions. Needs the local Kafka and OpenSearch.
 */
public final class PipelineLatencyBenchmark {

    public static void main(String[] args) throws Exception {
        int perSize = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        LocalServices.ensureKafka();
        LocalServices.ensureOpenSearch();
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        String alias = "bench-chunks-" + suffix;
        String questions = "bench-questions-" + suffix;
        String answers = "bench-answers-" + suffix;
        OpenSearchClient os = OpenSearchClients.create(LocalServices.OPENSEARCH_URL);
        Properties adminProps = new Properties();
        adminProps.put("bootstrap.servers", LocalServices.KAFKA_BOOTSTRAP);
        try (Admin admin = Admin.create(adminProps);
             LocalModelServer server = LocalModelServer.startLocal(Faults.parse("latency=500"))) {
            admin.createTopics(List.of(new NewTopic(questions, 1, (short) 1), new NewTopic(answers, 1, (short) 1)))
                    .all().get();
            ChunkIndex.ensure(os, alias, 384, 1, 0);
            EmbeddingModel model = EmbeddingModels.create(new Configuration());
            String[] texts = {"The admin UI listens on port 8443 over HTTPS.",
                "Installation requires Java 17 and 4 GB of memory."};
            for (int i = 0; i < texts.length; i++) {
                Map<String, Object> doc = new LinkedHashMap<>();
                String id = "manual-42:1:" + i;
                doc.put(ChunkIndex.CHUNK_ID, id);
                doc.put(ChunkIndex.DOCUMENT_ID, "manual-42");
                doc.put(ChunkIndex.TENANT, "acme");
                doc.put(ChunkIndex.PAGE, 17 + i);
                doc.put(ChunkIndex.KIND, "text");
                doc.put(ChunkIndex.TEXT, texts[i]);
                doc.put(ChunkIndex.EMBEDDING, model.embed(texts[i]).content().vector());
                os.index(x -> x.index(alias).id(id).document(doc));
            }
            os.indices().refresh(r -> r.index(alias));

            Configuration conf = new Configuration();
            conf.set(StreamRagOptions.QUESTIONS_TOPIC, questions);
            conf.set(StreamRagOptions.ANSWERS_TOPIC, answers);
            conf.set(StreamRagOptions.OPENSEARCH_INDEX, alias);
            conf.set(QueryOptions.ENDPOINTS, "local=openai," + server.baseUrl() + ",extractive,16");
            conf.set(QueryOptions.SOURCE_GROUP_ID, "bench-" + suffix);
            conf.set(QueryOptions.SINK_TRANSACTIONAL_ID_PREFIX, "bench-" + suffix);
            conf.set(QueryOptions.CHECKPOINT_INTERVAL, Duration.ofMillis(1000));
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            env.setParallelism(1);
            QueryJob.configure(env, conf);
            QueryJob.fromConfiguration(conf).build(env);
            JobClient job = env.executeAsync("pipeline-latency-bench");
            Properties producerProps = new Properties();
            producerProps.put("bootstrap.servers", LocalServices.KAFKA_BOOTSTRAP);
            producerProps.put("key.serializer", StringSerializer.class.getName());
            producerProps.put("value.serializer", StringSerializer.class.getName());
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(producerProps)) {
                // Warm-up (embedding model load, connections), then one question at a time so they never queue.
                send(producer, questions, "warmup", 1);
                Thread.sleep(8000);
                for (int i = 0; i < perSize; i++) {
                    send(producer, questions, "n1-" + i, 1);
                    Thread.sleep(1500);
                    send(producer, questions, "n8-" + i, 8);
                    Thread.sleep(1500);
                }
                List<Answer> read = read(answers, 2 * perSize + 1, Duration.ofMinutes(2));
                long[] n1 = read.stream().filter(a -> a.questionId.startsWith("n1-"))
                        .mapToLong(a -> a.latencyMs.get("total")).toArray();
                long[] n8 = read.stream().filter(a -> a.questionId.startsWith("n8-"))
                        .mapToLong(a -> a.latencyMs.get("total")).toArray();
                long[] retrieval = read.stream().filter(a -> !a.questionId.equals("warmup"))
                        .mapToLong(a -> a.latencyMs.getOrDefault("retrieval", 0L)).toArray();
                double p50n1 = BenchSupport.percentile(n1, 50);
                double p50n8 = BenchSupport.percentile(n8, 50);
                System.out.printf("Pipeline latency (Flink job, parse -> retrieve -> fan-out -> vote), endpoint 500 ms, "
                        + "%d questions each%n", perSize);
                System.out.printf("  p50 retrieval           : %6.0f ms%n", BenchSupport.percentile(retrieval, 50));
                System.out.printf("  p50 N=1 (one call + retrieval): %6.0f ms%n", p50n1);
                System.out.printf("  p50 N=8                 : %6.0f ms  (%.3fx; target <= 1.15x)%n", p50n8, p50n8 / p50n1);
                System.out.printf("  sequential N=8 estimate : %6.0f ms (8 x call + retrieval)%n",
                        8 * (p50n1 - BenchSupport.percentile(retrieval, 50)) + BenchSupport.percentile(retrieval, 50));
            } finally {
                job.cancel().get();
            }
        } finally {
            try (Admin admin = Admin.create(adminProps)) {
                admin.deleteTopics(List.of(questions, answers)).all().get();
            }
            os.indices().delete(d -> d.index(alias + "*"));
            OpenSearchClients.close(os);
        }
        System.exit(0);
    }

    private static void send(KafkaProducer<String, String> producer, String topic, String id, int n) throws Exception {
        producer.send(new ProducerRecord<>(topic, id, "{\"questionId\":\"" + id + "\",\"tenant\":\"acme\","
                + "\"text\":\"Which port does the admin UI use?\",\"n\":" + n + ",\"k\":2}")).get();
    }

    private static List<Answer> read(String topic, int expected, Duration timeout) {
        Properties props = new Properties();
        props.put("bootstrap.servers", LocalServices.KAFKA_BOOTSTRAP);
        props.put("isolation.level", "read_committed");
        props.put("key.deserializer", StringDeserializer.class.getName());
        props.put("value.deserializer", StringDeserializer.class.getName());
        List<Answer> out = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props)) {
            TopicPartition tp = new TopicPartition(topic, 0);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            long deadline = System.nanoTime() + timeout.toNanos();
            while (out.size() < expected && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                    out.add(Json.fromString(r.value(), Answer.class));
                }
            }
        }
        return out;
    }
}
