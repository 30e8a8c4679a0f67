package io.streamrag.bench.query;

import dev.langchain4j.model.embedding.EmbeddingModel;
import io.streamrag.common.config.StreamRagOptions;
import io.streamrag.common.embedding.EmbeddingModels;
import io.streamrag.common.embedding.EmbeddingOptions;
import io.streamrag.common.json.Json;
import io.streamrag.common.net.Loopback;
import io.streamrag.common.opensearch.ChunkIndex;
import io.streamrag.common.opensearch.OpenSearchClients;
import io.streamrag.common.records.Answer;
import io.streamrag.model.Faults;
import io.streamrag.model.LocalModelServer;
import io.streamrag.query.QueryJob;
import io.streamrag.query.QueryOptions;
import io.streamrag.query.generate.EndpointSpec;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
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

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;

/**
 * Chaos runs of the whole query job (in-process MiniCluster, the shared Kafka and OpenSearch with a unique topic
 * and index, model servers on ephemeral loopback ports): a burst of questions against misbehaving endpoints,
 * measured from when each question was produced (Kafka record timestamps of question and answer).
 */
public final class ChaosBenchmark {

    /** The fault mix of issue 8: 10 % HTTP 500, 10 % calls hanging 30 s, 10 % 429 with Retry-After: 1. */
    public static final String ISSUE_FAULTS = "error=0.1,timeout=0.1,timeoutMs=30000,ratelimit=0.1,retryAfter=1";

    /** A model-like call time for the latency comparisons (the extractive answerer alone takes a few ms). */
    private static final String MODEL_LATENCY = "latency=200";

    private static final String[][] FACTS = {
        {"Which port does the admin UI use?", "The admin UI listens on port 8443 over HTTPS."},
        {"How much memory does installation require?", "Installation requires Java 17 and at least 4 GB of memory."},
        {"How many times does the scheduler retry failed jobs?", "The scheduler retries failed jobs 5 times before alerting."},
        {"Which bucket stores the nightly backups?", "Nightly backups are written to the object store bucket acme-backups."},
        {"Which port exports metrics?", "Metrics are exported on port 9100 for Prometheus."},
    };

    /** The settings of one run. */
    public static final class Settings {
        public int questions = 500;
        public int n = 5;
        public long deadlineMs = 60_000;
        public int parallelism = 2;
        public int maxConcurrency = 16;
        public long endpointTimeoutMs = 10_000;
        public int maxRetries = 2;
        /** Rounds of the {@code slow} scenario (each: healthy, slow without and with hedging); medians are printed. */
        public int rounds = 1;
        /** Questions per second; 0 = all at once (a burst). */
        public double ratePerSecond;
        /** Extra job options, {@code key=value}. */
        public Map<String, String> options = new LinkedHashMap<>();
    }

    /** What one run measured. */
    public static final class Result {
        public final String name;
        public int questions;
        public int answers;
        public int answered;
        public int answeredInDeadline;
        public int duplicates;
        public long wallMs;
        public long p50Ms;
        public long p99Ms;
        public long maxMs;
        public long decidedP50Ms;
        public long decidedP99Ms;
        public long decidedMaxMs;
        public int maxAttemptsPerCandidate;
        public long candidates;
        public long serverRequests;
        public long hedged;
        /** Up-front spares among {@link #hedged} (read from the endpoints' health in this JVM). */
        public long spared;
        public Map<String, Integer> failures = new HashMap<>();
        public String serverStats = "";
        public long breakerOpenedMs = -1;
        public long breakerHalfOpenMs = -1;
        /** Where the decided latency of the ANSWERED questions went (see {@link Breakdown}). */
        public String breakdown = "";

        Result(String name) {
            this.name = name;
        }

        /** Questions with no answer at all (not even FAILED): what the job lost. */
        public int lost() {
            return Math.max(0, questions - answers);
        }

        /** This run's wall time over {@code base}'s, or NaN when either had no answer to time. */
        public double wallRatio(Result base) {
            return wallMs < 0 || base.wallMs <= 0 ? Double.NaN : (double) wallMs / base.wallMs;
        }

        public double answeredInDeadlinePct() {
            return questions == 0 ? 0 : 100.0 * answeredInDeadline / questions;
        }

        @Override
        public String toString() {
            return String.format("%-34s answered %d/%d (%.1f %% within deadline from production), lost %d, duplicates %d, "
                            + "wall %s; decided p50/p99/max %d/%d/%d ms, visible p50/p99/max %d/%d/%d ms; "
                            + "max attempts/candidate %d, requests/candidate %.2f, hedged %d (spares %d)%s%s",
                    name, answered, questions, answeredInDeadlinePct(), lost(), duplicates, wallMs < 0 ? "n/a (no answer)" : wallMs + " ms",
                    decidedP50Ms, decidedP99Ms, decidedMaxMs, p50Ms, p99Ms, maxMs,
                    maxAttemptsPerCandidate, candidates == 0 ? 0.0 : (double) serverRequests / candidates, hedged, spared,
                    failures.isEmpty() ? "" : ", failures " + failures,
                    serverStats.isEmpty() ? "" : "\n" + " ".repeat(36) + serverStats)
                    + (breakdown.isEmpty() ? "" : "\n" + " ".repeat(36) + breakdown);
        }
    }

    private final String kafka;
    private final String openSearchUrl;
    private final String suffix = UUID.randomUUID().toString().substring(0, 8);
    private final String alias;
    private final OpenSearchClient os;
    private final Admin admin;

    public ChaosBenchmark(String kafka, String openSearchUrl) throws Exception {
        // Its faults and load go to loopback only; the outage proxy also takes OpenSearch's port from this URL.
        Loopback.require("Kafka bootstrap servers", kafka);
        Loopback.require("OpenSearch URL", openSearchUrl);
        if (URI.create(openSearchUrl).getPort() < 0) {
            throw new IllegalArgumentException("OpenSearch URL " + openSearchUrl + " has no port: the outage scenario proxies it");
        }
        this.kafka = kafka;
        this.openSearchUrl = openSearchUrl;
        this.alias = "chaos-chunks-" + suffix;
        this.os = OpenSearchClients.create(openSearchUrl);
        Properties p = new Properties();
        p.put("bootstrap.servers", kafka);
        this.admin = Admin.create(p);
        indexFacts();
    }

    private void indexFacts() throws Exception {
        ChunkIndex.ensure(os, alias, 384, 1, 0);
        EmbeddingModel model = EmbeddingModels.create(new Configuration());
        for (int i = 0; i < FACTS.length; i++) {
            Map<String, Object> doc = new LinkedHashMap<>();
            String id = "chaos-manual:1:" + i;
            doc.put(ChunkIndex.CHUNK_ID, id);
            doc.put(ChunkIndex.DOCUMENT_ID, "chaos-manual");
            doc.put(ChunkIndex.TENANT, "acme");
            doc.put(ChunkIndex.PAGE, i + 1);
            doc.put(ChunkIndex.KIND, "text");
            doc.put(ChunkIndex.TEXT, FACTS[i][1]);
            doc.put(ChunkIndex.EMBEDDING, model.embed(FACTS[i][1]).content().vector());
            os.index(x -> x.index(alias).id(id).document(doc));
        }
        os.indices().refresh(r -> r.index(alias));
    }

    /**
     * Runs the job over {@code endpoints} ({@code query.endpoints} value), sends a warm-up question, then a burst of
     * {@code s.questions}; {@code beforeBurst} runs after the warm-up (e.g. to switch faults on); returns the figures.
     */
    public Result run(String name, Settings s, String endpoints, List<LocalModelServer> servers,
                      Runnable beforeBurst) throws Exception {
        String run = name.replaceAll("[^a-z0-9]+", "-") + "-" + UUID.randomUUID().toString().substring(0, 6);
        String questions = "chaos-questions-" + suffix + "-" + run;
        String answers = "chaos-answers-" + suffix + "-" + run;
        admin.createTopics(List.of(new NewTopic(questions, 2, (short) 1), new NewTopic(answers, 1, (short) 1)))
                .all().get();
        Configuration conf = new Configuration();
        conf.set(StreamRagOptions.KAFKA_BOOTSTRAP_SERVERS, kafka);
        conf.set(StreamRagOptions.OPENSEARCH_URL, openSearchUrl);
        conf.set(StreamRagOptions.QUESTIONS_TOPIC, questions);
        conf.set(StreamRagOptions.ANSWERS_TOPIC, answers);
        conf.set(StreamRagOptions.OPENSEARCH_INDEX, alias);
        conf.set(QueryOptions.ENDPOINTS, endpoints);
        conf.set(QueryOptions.RETRY_MAX_RETRIES, s.maxRetries);
        conf.set(QueryOptions.DEADLINE, java.time.Duration.ofMillis(s.deadlineMs));
        conf.set(QueryOptions.SOURCE_GROUP_ID, "chaos-" + run);
        conf.set(QueryOptions.SINK_TRANSACTIONAL_ID_PREFIX, "chaos-" + run);
        conf.set(QueryOptions.CHECKPOINT_INTERVAL, Duration.ofMillis(1000));
        s.options.forEach(conf::setString);
        // What --set gave counts too: the load, the job's searches and its model calls go to loopback only.
        Loopback.require(StreamRagOptions.KAFKA_BOOTSTRAP_SERVERS.key(), conf.get(StreamRagOptions.KAFKA_BOOTSTRAP_SERVERS));
        Loopback.require(StreamRagOptions.OPENSEARCH_URL.key(), conf.get(StreamRagOptions.OPENSEARCH_URL));
        for (EndpointSpec e : EndpointSpec.parseAll(conf.get(QueryOptions.ENDPOINTS))) {
            Loopback.require(QueryOptions.ENDPOINTS.key() + " " + e.name, e.baseUrl);
        }
        if (conf.contains(EmbeddingOptions.BASE_URL)) {
            Loopback.require(EmbeddingOptions.BASE_URL.key(), conf.get(EmbeddingOptions.BASE_URL));
        }
        Configuration envConf = new Configuration();
        envConf.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(envConf);
        env.setParallelism(s.parallelism);
        QueryJob.configure(env, conf);
        QueryJob.fromConfiguration(conf).build(env);
        JobClient job = env.executeAsync("chaos-" + run);
        Result result = new Result(name);
        try (KafkaProducer<String, String> producer = producer();
             KafkaConsumer<String, String> consumer = consumer(answers)) {
            // Warm-up on healthy endpoints: job start, embedding model, connections.
            servers.forEach(LocalModelServer::resetStats);
            producer.send(question(questions, "warmup", 0, s)).get();
            Map<String, List<ConsumerRecord<String, String>>> seen = new LinkedHashMap<>();
            Map<String, Long> visibleAt = new HashMap<>();
            poll(consumer, seen, visibleAt, 1, Duration.ofMinutes(3));
            seen.clear();
            Thread.sleep(1000);
            servers.forEach(LocalModelServer::resetStats);
            if (beforeBurst != null) {
                beforeBurst.run();
            }
            long t0 = System.currentTimeMillis();
            Map<String, Long> producedAt = new HashMap<>();
            List<java.util.concurrent.Future<org.apache.kafka.clients.producer.RecordMetadata>> sent = new ArrayList<>();
            for (int i = 0; i < s.questions; i++) {
                if (s.ratePerSecond > 0) {
                    long due = t0 + (long) (i * 1000 / s.ratePerSecond);
                    long wait;
                    while ((wait = due - System.currentTimeMillis()) > 0) { // read answers meanwhile
                        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(wait))) {
                            seen.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(r);
                            visibleAt.putIfAbsent(r.key(), System.currentTimeMillis());
                        }
                    }
                }
                sent.add(producer.send(question(questions, "q-" + i, i, s)));
            }
            for (int i = 0; i < sent.size(); i++) {
                producedAt.put("q-" + i, sent.get(i).get().timestamp());
            }
            long limit = s.deadlineMs * 3 + 60_000;
            poll(consumer, seen, visibleAt, s.questions, Duration.ofMillis(limit));
            long last = 0;
            List<Long> latencies = new ArrayList<>();
            List<Long> decidedLatencies = new ArrayList<>();
            Breakdown breakdown = new Breakdown();
            for (Map.Entry<String, List<ConsumerRecord<String, String>>> e : seen.entrySet()) {
                Long produced = producedAt.get(e.getKey());
                if (produced == null) {
                    continue;
                }
                ConsumerRecord<String, String> first = e.getValue().get(0);
                result.answers++;
                result.duplicates += e.getValue().size() - 1;
                Answer a = Json.fromString(first.value(), Answer.class);
                // Decided: the job's latencyMs.total (counted from the question's record timestamp); visible: when
                // this reader saw it (adds up to one checkpoint interval, the exactly-once sink commits on checkpoints).
                long decided = a.latencyMs.getOrDefault("total", Long.MAX_VALUE);
                long visible = visibleAt.get(e.getKey()) - produced;
                last = Math.max(last, visibleAt.get(e.getKey()));
                latencies.add(visible);
                decidedLatencies.add(decided);
                if (a.status == Answer.Status.ANSWERED) {
                    breakdown.add(a);
                    result.answered++;
                    if (decided <= s.deadlineMs) {
                        result.answeredInDeadline++;
                    }
                } else {
                    String reason = a.status + ": " + (a.error == null ? "" : a.error.replaceAll("\\(e\\.g\\..*", "")
                            .replaceAll("[0-9]+", "#").strip());
                    result.failures.merge(reason, 1, Integer::sum);
                }
                for (Answer.Candidate c : a.candidates) {
                    result.candidates++;
                    result.maxAttemptsPerCandidate = Math.max(result.maxAttemptsPerCandidate, c.attempts);
                }
                result.hedged += a.usage.hedgedCalls;
            }
            result.questions = s.questions;
            result.wallMs = last == 0 ? -1 : last - t0;
            long[] l = latencies.stream().mapToLong(Long::longValue).toArray();
            if (l.length > 0) {
                result.p50Ms = (long) BenchSupport.percentile(l, 50);
                result.p99Ms = (long) BenchSupport.percentile(l, 99);
                result.maxMs = (long) BenchSupport.percentile(l, 100);
                long[] d = decidedLatencies.stream().mapToLong(Long::longValue).toArray();
                result.decidedP50Ms = (long) BenchSupport.percentile(d, 50);
                result.decidedP99Ms = (long) BenchSupport.percentile(d, 99);
                result.decidedMaxMs = (long) BenchSupport.percentile(d, 100);
            }
            result.breakdown = breakdown.toString();
            StringBuilder stats = new StringBuilder();
            for (LocalModelServer server : servers) {
                result.serverRequests += server.chatRequests();
                stats.append(stats.length() == 0 ? "" : "; ").append("server :").append(server.port()).append(' ')
                        .append(server.statsJson());
            }
            result.serverStats = stats.toString();
            for (String e : endpoints.split(";")) {
                io.streamrag.query.generate.EndpointHealth h =
                        io.streamrag.query.generate.EndpointHealth.lookup(e.substring(0, e.indexOf('=')).strip());
                result.spared += h == null ? 0 : h.spared.get();
            }
        } finally {
            job.cancel().get();
            admin.deleteTopics(List.of(questions, answers)).all().get();
        }
        return result;
    }

    /**
     * Splits each ANSWERED question's decided latency into retrieval, the slowest candidate the vote waited for
     * (its own latency, from admission to answer, hedges included) and the rest (Kafka, hand-offs between operators,
     * queueing), and counts the candidates the vote had when it decided; printed for the median and the slowest 1 %.
     */
    static final class Breakdown {
        private final List<long[]> rows = new ArrayList<>(); // total, retrieval, slowest candidate, rest, candidates
        private final Map<Integer, Integer> atDecision = new java.util.TreeMap<>();

        void add(Answer a) {
            long total = a.latencyMs.getOrDefault("total", 0L);
            long retrieval = a.latencyMs.getOrDefault("retrieval", 0L);
            long slowest = 0;
            for (Answer.Candidate c : a.candidates) {
                slowest = Math.max(slowest, c.latencyMs);
            }
            rows.add(new long[] {total, retrieval, slowest, total - retrieval - slowest, a.candidates.size()});
            atDecision.merge(a.candidates.size(), 1, Integer::sum);
        }

        @Override
        public String toString() {
            if (rows.isEmpty()) {
                return "";
            }
            rows.sort(java.util.Comparator.comparingLong(r -> r[0]));
            int tail = Math.max(1, rows.size() / 100);
            return String.format("breakdown (total = retrieval + slowest candidate waited for + rest, ms): median question "
                            + "%s; slowest 1 %% (%d) mean %s; candidates at decision %s",
                    fmt(rows.subList(rows.size() / 2, rows.size() / 2 + 1)), tail,
                    fmt(rows.subList(rows.size() - tail, rows.size())), atDecision);
        }

        private static String fmt(List<long[]> rs) {
            double[] m = new double[4];
            for (long[] r : rs) {
                for (int i = 0; i < 4; i++) {
                    m[i] += (double) r[i] / rs.size();
                }
            }
            return String.format("%.0f = %.0f + %.0f + %.0f", m[0], m[1], m[2], m[3]);
        }
    }

    private ProducerRecord<String, String> question(String topic, String id, int i, Settings s) {
        String text = FACTS[i % FACTS.length][0];
        return new ProducerRecord<>(topic, id, "{\"questionId\":\"" + id + "\",\"tenant\":\"acme\",\"text\":\""
                + text + "\",\"n\":" + s.n + ",\"k\":2,\"deadlineMs\":" + s.deadlineMs + "}");
    }

    /** Reads answers into {@code seen}, noting when each became visible (read_committed: after a checkpoint). */
    private static void poll(KafkaConsumer<String, String> consumer, Map<String, List<ConsumerRecord<String, String>>> seen,
                             Map<String, Long> visibleAt, int expected, Duration timeout) {
        long end = System.nanoTime() + timeout.toNanos();
        long quietUntil = Long.MAX_VALUE;
        while (System.nanoTime() < end && System.nanoTime() < quietUntil) {
            for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                seen.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(r);
                visibleAt.putIfAbsent(r.key(), System.currentTimeMillis());
            }
            if (seen.size() >= expected && quietUntil == Long.MAX_VALUE) {
                quietUntil = System.nanoTime() + Duration.ofSeconds(3).toNanos(); // duplicates would show meanwhile
            }
        }
    }

    private KafkaProducer<String, String> producer() {
        Properties p = new Properties();
        p.put("bootstrap.servers", kafka);
        p.put("key.serializer", StringSerializer.class.getName());
        p.put("value.serializer", StringSerializer.class.getName());
        p.put("linger.ms", "5");
        return new KafkaProducer<>(p);
    }

    private KafkaConsumer<String, String> consumer(String topic) {
        Properties p = new Properties();
        p.put("bootstrap.servers", kafka);
        p.put("isolation.level", "read_committed");
        p.put("key.deserializer", StringDeserializer.class.getName());
        p.put("value.deserializer", StringDeserializer.class.getName());
        KafkaConsumer<String, String> c = new KafkaConsumer<>(p);
        TopicPartition tp = new TopicPartition(topic, 0);
        c.assign(List.of(tp));
        c.seekToBeginning(List.of(tp));
        return c;
    }

    /** One endpoint entry for {@code query.endpoints}. */
    public static String endpoint(String name, LocalModelServer server, Settings s, double weight) {
        return name + "=openai," + server.baseUrl() + ",extractive," + s.maxConcurrency + "," + weight + ","
                + s.endpointTimeoutMs;
    }

    /** Deletes the index; topics are deleted after each run. */
    public void close() throws Exception {
        try {
            os.indices().delete(d -> d.index(alias + "*"));
        } finally {
            OpenSearchClients.close(os);
            admin.close();
        }
    }

    /** {@code ChaosBenchmark [questions] [n] [deadlineMs] [scenario,...]}: see {@code bin/rag chaos endpoints --help}. */
    public static void main(String[] args) throws Exception {
        Settings s = new Settings();
        if (args.length > 0) {
            s.questions = Integer.parseInt(args[0]);
        }
        if (args.length > 1) {
            s.n = Integer.parseInt(args[1]);
        }
        if (args.length > 2) {
            s.deadlineMs = Long.parseLong(args[2]);
        }
        String scenarios = args.length > 3 ? args[3] : "faults";
        s.maxConcurrency = Integer.getInteger("chaos.concurrency", s.maxConcurrency);
        s.endpointTimeoutMs = Long.getLong("chaos.endpointTimeoutMs", s.endpointTimeoutMs);
        ChaosBenchmark bench = new ChaosBenchmark("127.0.0.1:9092", "http://127.0.0.1:9200");
        try {
            for (Result r : bench.scenarios(scenarios, s)) {
                System.out.println(r);
            }
        } finally {
            bench.close();
        }
        System.exit(0);
    }

    /** Runs the named scenarios ({@code faults}, {@code two-endpoints}, {@code slow}, {@code outage}) with their baselines. */
    public List<Result> scenarios(String names, Settings s) throws Exception {
        List<Result> out = new ArrayList<>();
        Result healthy = null;
        // A discarded first run: JIT, connections and the embedding model would otherwise slow the first baseline.
        Settings warm = copy(s);
        warm.questions = Math.min(s.questions, 100);
        System.out.println("(warm-up, not counted) " + single("warm-up", warm, "", ""));
        for (String name : names.split(",")) {
            switch (name.strip()) {
                case "faults": {
                    if (healthy == null) {
                        healthy = single("healthy, 1 endpoint", s, "", "");
                        report(out, healthy);
                    }
                    Result faulty = single("faults (" + ISSUE_FAULTS + ")", s, "", ISSUE_FAULTS);
                    report(out, faulty);
                    summary(String.format("faults: %.1f %% ANSWERED within the deadline from production, %d lost, %d duplicates, "
                                    + "wall time %.2fx the healthy run, max attempts per candidate %d (bound %d), "
                                    + "endpoint requests per candidate %.2f",
                            faulty.answeredInDeadlinePct(), faulty.lost(), faulty.duplicates, faulty.wallRatio(healthy),
                            faulty.maxAttemptsPerCandidate, 1 + s.maxRetries,
                            (double) faulty.serverRequests / Math.max(1, faulty.candidates)));
                    break;
                }
                case "two-endpoints": {
                    // Latency is compared at a steady arrival rate that one healthy endpoint serves without queueing.
                    Settings paced = paced(s);
                    Result base = single("healthy (200 ms calls), 1 endpoint, " + paced.ratePerSecond + " questions/s",
                            paced, "", MODEL_LATENCY);
                    report(out, base);
                    for (String[] bad : new String[][] {{"always failing (HTTP 500)", "error=1.0"},
                            {"always hanging", "timeout=1.0,timeoutMs=30000"},
                            {"always running away (a body that never ends)", "runaway=1.0"},
                            {"always stalling after its headers", "stall=1.0,timeoutMs=30000"}}) {
                        Result r = pair("healthy + " + bad[0], paced, bad[1]);
                        report(out, r);
                        summary(String.format("two endpoints, one %s: %.1f %% ANSWERED, %d lost, p50 %.2fx the single healthy "
                                        + "endpoint, breaker opened %s, half-open %s after the first question",
                                bad[0], 100.0 * r.answered / r.questions, r.lost(), (double) r.decidedP50Ms / base.decidedP50Ms,
                                r.breakerOpenedMs < 0 ? "never" : r.breakerOpenedMs + " ms",
                                r.breakerHalfOpenMs < 0 ? "never" : r.breakerHalfOpenMs + " ms"));
                    }
                    break;
                }
                case "slow": {
                    // 10 % of calls take 10x the rest: 100 ms vs 1,000 ms. Each round runs the healthy baseline, then
                    // the slow endpoint without and with hedging (default settings), side by side.
                    String faults = "latency=100,timeout=0.1,timeoutMs=900";
                    Settings paced = paced(s);
                    Settings noHedge = copy(paced);
                    noHedge.options.put(io.streamrag.query.QueryOptions.HEDGE_ENABLED.key(), "false");
                    List<Double> plainRatios = new ArrayList<>();
                    List<Double> hedgedRatios = new ArrayList<>();
                    List<Double> healthyRatios = new ArrayList<>();
                    List<Double> extra = new ArrayList<>();
                    for (int round = 1; round <= Math.max(1, s.rounds); round++) {
                        String tag = s.rounds > 1 ? " [round " + round + "]" : "";
                        Result base = single("every call 100 ms, " + paced.ratePerSecond + " questions/s" + tag, paced,
                                "", "latency=100");
                        report(out, base);
                        Result plain = single("10 % slow, no hedging" + tag, noHedge, "", faults);
                        report(out, plain);
                        Result h = single("10 % slow, hedging" + tag, paced, "", faults);
                        report(out, h);
                        healthyRatios.add((double) base.decidedP99Ms / base.decidedP50Ms);
                        plainRatios.add((double) plain.decidedP99Ms / base.decidedP50Ms);
                        hedgedRatios.add((double) h.decidedP99Ms / base.decidedP50Ms);
                        // Extra calls as the server saw them: requests beyond one per candidate (no retries here),
                        // so the spares and hedges of candidates the vote no longer needed count too.
                        long primary = (long) paced.questions * paced.n;
                        extra.add(100.0 * (h.serverRequests - primary) / primary);
                        summary(String.format("10 %% slow calls%s: p99 %.2fx the healthy p50 without hedging, %.2fx with "
                                        + "hedging (%.1f %% extra calls: %d requests for %d candidates, %d up-front spares; "
                                        + "the healthy run %.1f %%, %d spares); the healthy run's own p99 is %.2fx its p50 "
                                        + "(load %s)", tag, plainRatios.get(round - 1), hedgedRatios.get(round - 1),
                                extra.get(round - 1), h.serverRequests, primary, h.spared,
                                100.0 * (base.serverRequests - primary) / primary, base.spared,
                                healthyRatios.get(round - 1), BenchSupport.loadAverage()));
                    }
                    if (s.rounds > 1) {
                        summary(String.format("10 %% slow calls, median of %d rounds: p99 %.2fx the healthy p50 without "
                                        + "hedging, %.2fx with hedging (%.1f %% extra calls); healthy p99/p50 %.2fx",
                                s.rounds, median(plainRatios), median(hedgedRatios), median(extra),
                                median(healthyRatios)));
                    }
                    break;
                }
                case "outage": {
                    Settings o = copy(s);
                    o.questions = Math.min(s.questions, 100);
                    Result r = outage(o, 30_000);
                    report(out, r);
                    summary(String.format("OpenSearch down 30 s while %d questions with %d ms deadlines arrive: %.1f %% "
                                    + "ANSWERED, %d lost, %d duplicates", r.questions, o.deadlineMs,
                            100.0 * r.answered / r.questions, r.lost(), r.duplicates));
                    break;
                }
                default:
                    throw new IllegalArgumentException("Unknown scenario " + name + " (faults, two-endpoints, slow, outage)");
            }
        }
        System.out.println();
        summaries.forEach(System.out::println);
        return out;
    }

    private final List<String> summaries = new ArrayList<>();

    private void summary(String line) {
        summaries.add(line);
        System.out.println(">> " + line);
    }

    private static void report(List<Result> out, Result r) {
        out.add(r);
        System.out.println(r);
    }

    /** {@code s} at a steady 10 questions per second (unless a rate is set), at most 300 questions. */
    private static Settings paced(Settings s) {
        Settings p = copy(s);
        if (p.ratePerSecond <= 0) {
            p.ratePerSecond = 10;
        }
        p.questions = Math.min(s.questions, 300);
        return p;
    }

    private static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        java.util.Collections.sort(sorted);
        int m = sorted.size() / 2;
        return sorted.size() % 2 == 1 ? sorted.get(m) : (sorted.get(m - 1) + sorted.get(m)) / 2;
    }

    private static Settings copy(Settings s) {
        Settings c = new Settings();
        c.questions = s.questions;
        c.n = s.n;
        c.deadlineMs = s.deadlineMs;
        c.parallelism = s.parallelism;
        c.maxConcurrency = s.maxConcurrency;
        c.endpointTimeoutMs = s.endpointTimeoutMs;
        c.maxRetries = s.maxRetries;
        c.ratePerSecond = s.ratePerSecond;
        c.rounds = s.rounds;
        c.options = new LinkedHashMap<>(s.options);
        return c;
    }

    /** A healthy endpoint and a "bad" one that turns bad after the warm-up; watches the bad one's breaker. */
    private Result pair(String name, Settings s, String badFaults) throws Exception {
        try (LocalModelServer good = LocalModelServer.startLocal(Faults.parse(MODEL_LATENCY));
             LocalModelServer bad = LocalModelServer.startLocal(new Faults())) {
            BreakerWatch watch = new BreakerWatch("bad");
            Result r;
            try {
                r = run(name, s, endpoint("good", good, s, 1.0) + ";" + endpoint("bad", bad, s, 1.0),
                        List.of(good, bad), () -> {
                            bad.setFaults(Faults.parse(badFaults));
                            watch.start();
                        });
            } finally {
                watch.stop();
            }
            r.breakerOpenedMs = watch.openedMs;
            r.breakerHalfOpenMs = watch.halfOpenMs;
            return r;
        }
    }

    /** Polls an endpoint's breaker (in this JVM: the MiniCluster runs in-process) for its first open and half-open. */
    private static final class BreakerWatch {
        private final String endpoint;
        private volatile boolean running;
        private Thread thread;
        volatile long openedMs = -1;
        volatile long halfOpenMs = -1;

        BreakerWatch(String endpoint) {
            this.endpoint = endpoint;
        }

        void start() {
            running = true;
            long t0 = System.currentTimeMillis();
            thread = new Thread(() -> {
                while (running) {
                    io.streamrag.query.generate.EndpointHealth h =
                            io.streamrag.query.generate.EndpointHealth.lookup(endpoint);
                    if (h != null) {
                        int state = h.stateCode();
                        if (state == 1 && openedMs < 0) {
                            openedMs = System.currentTimeMillis() - t0;
                        } else if (state == 2 && openedMs >= 0 && halfOpenMs < 0) {
                            halfOpenMs = System.currentTimeMillis() - t0;
                        }
                    }
                    try {
                        Thread.sleep(20);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "breaker-watch");
            thread.setDaemon(true);
            thread.start();
        }

        void stop() {
            running = false;
        }
    }

    /** OpenSearch behind a {@link io.streamrag.common.net.LoopbackProxy}, refused for {@code downMs} from the burst. */
    private Result outage(Settings s, long downMs) throws Exception {
        try (LocalModelServer server = LocalModelServer.startLocal(new Faults());
             io.streamrag.common.net.LoopbackProxy proxy = io.streamrag.common.net.LoopbackProxy.start(
                     java.net.URI.create(openSearchUrl).getPort())) {
            Settings o = copy(s);
            o.options.put(StreamRagOptions.OPENSEARCH_URL.key(), proxy.httpUrl());
            o.options.put(io.streamrag.query.QueryOptions.RETRY_MAX_BACKOFF.key(), "2000");
            java.util.concurrent.ScheduledExecutorService t = java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
            try {
                return run("OpenSearch down " + downMs / 1000 + " s", o, endpoint("local", server, o, 1.0),
                        List.of(server), () -> {
                            proxy.mode(io.streamrag.common.net.LoopbackProxy.Mode.DOWN);
                            t.schedule(() -> proxy.mode(io.streamrag.common.net.LoopbackProxy.Mode.UP), downMs,
                                    java.util.concurrent.TimeUnit.MILLISECONDS);
                        });
            } finally {
                t.shutdownNow();
            }
        }
    }

    private Result single(String name, Settings s, String warmupFaults, String faults) throws Exception {
        try (LocalModelServer server = LocalModelServer.startLocal(Faults.parse(warmupFaults))) {
            return run(name, s, endpoint("local", server, s, 1.0), List.of(server),
                    () -> server.setFaults(Faults.parse(faults)));
        }
    }
}
