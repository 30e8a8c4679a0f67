package io.streamrag.bench.query;

import io.streamrag.common.config.Configs;
import io.streamrag.common.config.StreamRagOptions;
import io.streamrag.common.embedding.EmbeddingModels;
import io.streamrag.common.embedding.EmbeddingOptions;
import io.streamrag.common.json.Json;
import io.streamrag.common.opensearch.ChunkIndex;
import io.streamrag.common.opensearch.OpenSearchClients;
import io.streamrag.common.records.Answer;
import io.streamrag.common.records.Chunk;
import io.streamrag.common.records.ChunkRef;
import io.streamrag.common.records.Question;
import io.streamrag.model.Faults;
import io.streamrag.model.LocalModelServer;
import io.streamrag.query.QueryJob;
import io.streamrag.query.QueryOptions;

import dev.langchain4j.model.embedding.EmbeddingModel;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.opensearch.client.opensearch.OpenSearchClient;
import org.opensearch.client.opensearch.core.BulkResponse;
import org.opensearch.client.opensearch.core.bulk.BulkOperation;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Tenant isolation at scale: five tenants index the same documentIds with the same sentences (only the facts'
 * numbers differ), then Q questions (round-robin over tenants, the five of a round under one questionId; RAG, DRAG
 * and ITERDRAG) run through the real query job on Kafka and OpenSearch with the offline model. Counts every retrieved
 * and cited chunk that belongs to another tenant (expected 0) and how many answers carry the asking tenant's own
 * number. Uses its own topics and index and removes them afterwards. {@code rag bench isolation [--questions 1000]}.
 */
public final class IsolationBenchmark {

    static final String[] TENANTS = {"acme", "globex", "initech", "umbrella", "hooli"};
    static final int DOCUMENTS = 10;

    /** What one run measured. */
    public static final class Result {
        public int questions;
        public int answers;
        public int answered;
        public long retrievedChunks;
        public long citedChunks;
        public long foreignRetrieved;
        public long foreignCited;
        public int ownFactAnswers;
        /** Answers carrying the number another tenant's copy of the same fact has. */
        public int foreignFactAnswers;
        public int wrongTenantAnswers;
        public double seconds;
        public final Map<String, Integer> byStatus = new TreeMap<>();
        public final List<String> violations = new ArrayList<>();
    }

    private IsolationBenchmark() {}

    public static void main(String[] args) throws Exception {
        Configuration conf = Configs.fromArgs(args);
        int questions = conf.get(org.apache.flink.configuration.ConfigOptions.key("questions").intType().defaultValue(1000));
        Configuration envConf = new Configuration();
        envConf.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(envConf);
        env.setParallelism(2);
        Result r = run(conf, env, questions);
        print(r);
        System.exit(r.foreignRetrieved + r.foreignCited + r.wrongTenantAnswers + r.foreignFactAnswers == 0 && r.answers == r.questions ? 0 : 1);
    }

    static void print(Result r) {
        System.out.printf(Locale.ROOT, "Isolation: %d tenants sharing %d documentIds and their sentences, %d questions in %.1f s%n",
                TENANTS.length, DOCUMENTS, r.questions, r.seconds);
        System.out.printf(Locale.ROOT, "  answers %d/%d %s; answered with the asking tenant's own fact: %d/%d%n",
                r.answers, r.questions, r.byStatus, r.ownFactAnswers, r.answered);
        System.out.printf(Locale.ROOT, "  chunks of another tenant: retrieved %d of %d, cited %d of %d; answers with another tenant's id: %d, "
                + "with another tenant's fact: %d%n",
                r.foreignRetrieved, r.retrievedChunks, r.foreignCited, r.citedChunks, r.wrongTenantAnswers, r.foreignFactAnswers);
        r.violations.stream().limit(10).forEach(v -> System.out.println("  VIOLATION " + v));
    }

    /** One fact of one tenant's copy of a document: the sentence indexed and the question asking for it. */
    static String[] fact(int tenant, int doc, int kind) {
        String product = "Model-" + (char) ('A' + doc) + " appliance";
        switch (kind) {
            case 0:
                return new String[] {"The admin UI of the " + product + " listens on port " + (8000 + 100 * tenant + doc) + ".",
                        "Which port does the admin UI of the " + product + " listen on?", String.valueOf(8000 + 100 * tenant + doc)};
            case 1:
                return new String[] {"The scheduler of the " + product + " retries failed jobs " + (11 + 10 * tenant + doc) + " times.",
                        "How many times does the scheduler of the " + product + " retry failed jobs?", String.valueOf(11 + 10 * tenant + doc)};
            default:
                return new String[] {"Backups of the " + product + " are kept for " + (100 + 20 * tenant + doc) + " days.",
                        "For how many days are backups of the " + product + " kept?", String.valueOf(100 + 20 * tenant + doc)};
        }
    }

    /**
     * Seeds the index, runs the query job on {@code env} until every question has its answer, checks the answers,
     * and removes the run's topics and index.
     */
    public static Result run(Configuration base, StreamExecutionEnvironment env, int questions) throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        String questionsTopic = "isolation-questions-" + run;
        String answersTopic = "isolation-answers-" + run;
        String alias = "isolation-chunks-" + run;
        Configuration conf = new Configuration(base);
        conf.set(StreamRagOptions.QUESTIONS_TOPIC, questionsTopic);
        conf.set(StreamRagOptions.ANSWERS_TOPIC, answersTopic);
        conf.set(StreamRagOptions.OPENSEARCH_INDEX, alias);
        conf.set(QueryOptions.SOURCE_GROUP_ID, "isolation-" + run);
        conf.set(QueryOptions.SINK_TRANSACTIONAL_ID_PREFIX, "isolation-" + run);
        conf.set(QueryOptions.CHECKPOINT_INTERVAL, Duration.ofMillis(1000));
        conf.set(QueryOptions.DEADLINE, Duration.ofMillis(120_000));
        String bootstrap = conf.get(StreamRagOptions.KAFKA_BOOTSTRAP_SERVERS);

        Properties adminProps = new Properties();
        adminProps.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        OpenSearchClient search = OpenSearchClients.create(conf);
        Map<String, String> owner = new HashMap<>();
        try (Admin admin = Admin.create(adminProps); LocalModelServer model = LocalModelServer.startLocal(new Faults())) {
            admin.createTopics(List.of(new NewTopic(questionsTopic, 2, (short) 1), new NewTopic(answersTopic, 1, (short) 1)))
                    .all().get(30, TimeUnit.SECONDS);
            conf.set(QueryOptions.ENDPOINTS, "local=openai," + model.baseUrl() + ",extractive,8,1.0,10000");
            try {
                seed(search, conf, alias, owner);
                return ask(conf, env, questions, owner);
            } finally {
                admin.deleteTopics(List.of(questionsTopic, answersTopic)).all().get(30, TimeUnit.SECONDS);
                search.indices().delete(d -> d.index(ChunkIndex.concreteName(alias)));
            }
        } finally {
            OpenSearchClients.close(search);
        }
    }

    /** Every tenant gets the same documentIds and sentences; only the numbers of the facts differ. */
    private static void seed(OpenSearchClient search, Configuration conf, String alias, Map<String, String> owner) throws Exception {
        ChunkIndex.ensure(search, alias, conf.get(EmbeddingOptions.DIMENSION), 1, 0);
        EmbeddingModel model = EmbeddingModels.create(conf);
        List<BulkOperation> ops = new ArrayList<>();
        for (int t = 0; t < TENANTS.length; t++) {
            for (int d = 0; d < DOCUMENTS; d++) {
                String documentId = "manual-" + d;
                for (int kind = 0; kind < 3; kind++) {
                    String text = fact(t, d, kind)[0] + " See the operations handbook shared by all customers for details.";
                    Map<String, Object> doc = new LinkedHashMap<>();
                    String id = Chunk.id(TENANTS[t], documentId, 1, kind);
                    owner.put(id, TENANTS[t]);
                    doc.put(ChunkIndex.CHUNK_ID, id);
                    doc.put(ChunkIndex.DOCUMENT_ID, documentId);
                    doc.put(ChunkIndex.TENANT, TENANTS[t]);
                    doc.put(ChunkIndex.VERSION, 1);
                    doc.put(ChunkIndex.PAGE, kind + 1);
                    doc.put(ChunkIndex.PAGE_END, kind + 1);
                    doc.put(ChunkIndex.CHUNK_INDEX, kind);
                    doc.put(ChunkIndex.KIND, "text");
                    doc.put(ChunkIndex.TITLE, "Operations manual " + d);
                    doc.put(ChunkIndex.TEXT, text);
                    doc.put(ChunkIndex.EMBEDDING, model.embed(text).content().vector());
                    ops.add(BulkOperation.of(o -> o.index(x -> x.id(id).document(doc))));
                }
            }
        }
        BulkResponse response = search.bulk(b -> b.index(alias).operations(ops).refresh(org.opensearch.client.opensearch._types.Refresh.True));
        if (response.errors()) {
            throw new IllegalStateException("Seeding the isolation index failed: " + response.items().get(0).error());
        }
    }

    private static Result ask(Configuration conf, StreamExecutionEnvironment env, int questions, Map<String, String> owner) throws Exception {
        String bootstrap = conf.get(StreamRagOptions.KAFKA_BOOTSTRAP_SERVERS);
        // Key: tenant and questionId. The tenants of a round ask under one questionId, back to back, so their questions
        // are in flight together: they must still be voted, deduplicated and answered apart.
        Map<String, String[]> expected = new HashMap<>(); // question key -> {tenant, fact, tenant index, doc, kind}
        String[] strategies = {"RAG", "RAG", "RAG", "RAG", "RAG", "RAG", "DRAG", "DRAG", "ITERDRAG", "RAG"};
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
            for (int i = 0; i < questions; i++) {
                int t = i % TENANTS.length;
                int d = (i / TENANTS.length) % DOCUMENTS;
                int kind = (i / (TENANTS.length * DOCUMENTS)) % 3;
                String[] f = fact(t, d, kind);
                String id = String.format(Locale.ROOT, "iso-%05d", i / TENANTS.length);
                expected.put(Question.key(TENANTS[t], id), new String[] {TENANTS[t], f[2], String.valueOf(t), String.valueOf(d), String.valueOf(kind)});
                String json = Json.toString(Json.MAPPER.createObjectNode().put("questionId", id).put("tenant", TENANTS[t])
                        .put("text", f[1]).put("strategy", strategies[i % strategies.length]).put("n", 2).put("k", 4));
                producer.send(new ProducerRecord<>(conf.get(StreamRagOptions.QUESTIONS_TOPIC), id, json));
            }
            producer.flush();
        }

        long t0 = System.nanoTime();
        QueryJob.configure(env, conf);
        QueryJob.fromConfiguration(conf).build(env);
        JobClient job = env.executeAsync("isolation-bench");
        Map<String, Answer> answers = new HashMap<>();
        Properties c = new Properties();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        c.put(ConsumerConfig.GROUP_ID_CONFIG, "isolation-reader-" + UUID.randomUUID());
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(c)) {
            consumer.subscribe(List.of(conf.get(StreamRagOptions.ANSWERS_TOPIC)));
            while (answers.size() < questions && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
                    Answer a = Json.fromString(r.value(), Answer.class);
                    answers.put(Question.key(a.tenant, a.questionId), a);
                }
            }
        } finally {
            job.cancel().get();
        }

        Result result = new Result();
        result.questions = questions;
        result.answers = answers.size();
        result.seconds = (System.nanoTime() - t0) / 1e9;
        for (Answer a : answers.values()) {
            String[] want = expected.get(Question.key(a.tenant, a.questionId));
            result.byStatus.merge(String.valueOf(a.status), 1, Integer::sum);
            if (want == null || !want[0].equals(a.tenant)) {
                result.wrongTenantAnswers++;
                result.violations.add(a.questionId + " answered for tenant " + a.tenant);
                continue;
            }
            result.retrievedChunks += a.retrieved.size();
            result.citedChunks += a.citations.size();
            result.foreignRetrieved += foreign(a, a.retrieved, want[0], owner, "retrieved", result.violations);
            result.foreignCited += foreign(a, a.citations, want[0], owner, "cited", result.violations);
            if (a.status == Answer.Status.ANSWERED) {
                result.answered++;
                if (a.answer != null && a.answer.contains(want[1])) {
                    result.ownFactAnswers++;
                }
                for (int other = 0; other < TENANTS.length; other++) {
                    String theirs = fact(other, Integer.parseInt(want[3]), Integer.parseInt(want[4]))[2];
                    if (other != Integer.parseInt(want[2]) && a.answer != null && a.answer.contains(theirs)) {
                        result.foreignFactAnswers++;
                        result.violations.add(a.questionId + " of " + want[0] + " answered " + a.answer + ", the fact of " + TENANTS[other]);
                    }
                }
            }
        }
        return result;
    }

    /** Chunks in {@code refs} that are not the asking tenant's (unknown ids count as foreign). */
    private static long foreign(Answer a, List<ChunkRef> refs, String tenant, Map<String, String> owner, String what, List<String> violations) {
        long n = 0;
        for (ChunkRef r : refs) {
            if (!tenant.equals(owner.get(r.chunkId))) {
                n++;
                violations.add(a.questionId + " of " + tenant + " " + what + " " + r.chunkId + " (" + owner.get(r.chunkId) + ")");
            }
        }
        return n;
    }
}
