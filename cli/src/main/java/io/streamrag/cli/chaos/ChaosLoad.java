package io.streamrag.cli.chaos;

import io.streamrag.cli.KafkaTools;
import io.streamrag.common.config.StreamRagOptions;
import io.streamrag.common.json.Json;
import io.streamrag.common.kafka.KafkaClientSettings;
import io.streamrag.common.net.Loopback;
import io.streamrag.common.opensearch.ChunkIndex;
import io.streamrag.common.opensearch.OpenSearchClients;
import io.streamrag.common.records.DocumentEvent;
import io.streamrag.common.records.Question;

import org.apache.flink.configuration.Configuration;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.opensearch.client.opensearch.OpenSearchClient;
import org.opensearch.client.opensearch._types.FieldValue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A known load for a fault drill: {@code documents} one-chunk text documents of a fresh tenant and {@code questions}
 * questions, sent at a steady pace; then counts of what came out: documents and chunks in the index, answers per
 * question (read_committed), so that lost and duplicated outcomes are numbers.
 */
public final class ChaosLoad implements AutoCloseable {

    /** Outcome counts of one drill. */
    public record Counts(long documentsIndexed, long chunksIndexed, int questionsAnswered, int answersTotal,
                         int documentsExpected, int questionsExpected) {

        public long documentsLost() {
            return documentsExpected - documentsIndexed;
        }

        /** Each document is one chunk: chunks beyond the indexed documents would be duplicates (ids are stable, so 0). */
        public long chunkDuplicates() {
            return Math.max(0, chunksIndexed - documentsIndexed);
        }

        public int answersLost() {
            return questionsExpected - questionsAnswered;
        }

        public int answerDuplicates() {
            return answersTotal - questionsAnswered;
        }

        public boolean exact() {
            return documentsLost() == 0 && chunkDuplicates() == 0 && answersLost() == 0 && answerDuplicates() == 0;
        }
    }

    /** How long the drill's producer waits for the broker (metadata, delivery) before the drill fails. */
    static final Duration PRODUCER_PATIENCE = Duration.ofMinutes(10);

    /** The client configuration: Kafka and OpenSearch addresses with their security options, the index and topics. */
    private final Configuration conf;
    private final Properties kafka;
    private final String index;
    private final String documentsTopic;
    private final String questionsTopic;
    private final int documents;
    private final int questions;
    public final String tenant;
    private final Map<String, Integer> answers = new HashMap<>();
    private final KafkaConsumer<String, String> answerConsumer;
    private final AtomicInteger sent = new AtomicInteger();
    private Thread sender;
    private volatile Exception sendFailure;

    /** A load of {@code documents} and {@code questions} on the clients, index and topics {@code conf} names. */
    public ChaosLoad(Configuration conf, int documents, int questions) {
        // Synthetic load and counts against whatever -b/--opensearch (or STREAMRAG_*) name: loopback only.
        Loopback.require("--bootstrap-server", conf.get(StreamRagOptions.KAFKA_BOOTSTRAP_SERVERS));
        Loopback.require("--opensearch", conf.get(StreamRagOptions.OPENSEARCH_URL));
        this.conf = conf;
        this.kafka = KafkaClientSettings.properties(conf);
        this.index = conf.get(StreamRagOptions.OPENSEARCH_INDEX);
        this.documentsTopic = conf.get(StreamRagOptions.DOCUMENTS_TOPIC);
        this.questionsTopic = conf.get(StreamRagOptions.QUESTIONS_TOPIC);
        this.documents = documents;
        this.questions = questions;
        this.tenant = "chaos-" + UUID.randomUUID().toString().substring(0, 8);
        // Positioned at the end before anything is sent: every answer of this drill is read.
        this.answerConsumer = KafkaTools.committedConsumer(kafka, conf.get(StreamRagOptions.ANSWERS_TOPIC), true);
    }

    /** Starts sending documents and questions interleaved, evenly over {@code duration}, on a background thread. */
    public void startSending(Duration duration) {
        int total = documents + questions;
        long pauseNanos = duration.toNanos() / Math.max(1, total);
        sender = new Thread(() -> {
            // Waits out a broker outage the drill makes (the default 60 s left a longer Kafka outage the drill's failure).
            Properties patient = new Properties();
            patient.putAll(kafka);
            patient.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, String.valueOf(PRODUCER_PATIENCE.toMillis()));
            patient.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, String.valueOf(PRODUCER_PATIENCE.toMillis()));
            try (KafkaProducer<String, String> producer = KafkaTools.producer(patient)) {
                long next = System.nanoTime();
                for (int i = 0; i < total; i++) {
                    // Spread questions through the document stream.
                    boolean question = questions > 0 && (long) i * questions / total != (long) (i + 1) * questions / total;
                    int n = sent.getAndIncrement();
                    if (question) {
                        Question q = question(n);
                        producer.send(new ProducerRecord<>(questionsTopic, q.questionId, Json.toString(q)), this::sent);
                    } else {
                        DocumentEvent e = document(n);
                        producer.send(new ProducerRecord<>(documentsTopic, e.documentId, Json.toString(e)), this::sent); // key per CONTRACT.md
                    }
                    next += pauseNanos;
                    long wait = next - System.nanoTime();
                    if (wait > 0) {
                        Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                    }
                }
                producer.flush();
            } catch (Exception e) {
                sendFailure = e;
            }
        }, "chaos-sender");
        sender.setDaemon(true);
        sender.start();
    }

    /**
     * A send's acknowledgement: a record the drill's own producer could not deliver is the drill's failure, reported by
     * {@link #awaitSent}, not a record the system lost.
     */
    private void sent(RecordMetadata metadata, Exception error) {
        if (error != null && sendFailure == null) {
            sendFailure = new IllegalStateException("The drill's producer could not send a record (" + error
                    + "); its counts would blame the jobs for it", error);
        }
    }

    /** Records sent so far (documents and questions). */
    public int sent() {
        return sent.get();
    }

    /**
     * Throws the sender's failure if it had one, or when it ended before sending {@code target} records (it stops only
     * by failing or having sent everything): a drill waiting for a share of the load must not wait for good.
     */
    public void checkSending(int target) throws Exception {
        if (sendFailure != null) {
            throw sendFailure;
        }
        if (!sender.isAlive() && sent.get() < target) {
            throw new IllegalStateException("The drill's sender stopped after " + sent.get() + " of " + target + " records");
        }
    }

    public void awaitSent() throws Exception {
        sender.join();
        if (sendFailure != null) {
            throw sendFailure;
        }
    }

    private DocumentEvent document(int n) {
        DocumentEvent e = new DocumentEvent();
        e.documentId = tenant + "-doc-" + n;
        e.tenant = tenant;
        e.version = 1L;
        e.op = DocumentEvent.Op.UPSERT;
        e.contentType = "text/plain";
        e.title = "Chaos drill note " + n;
        String text = String.format(Locale.ROOT, "Maintenance note %d of drill %s. The pump in bay %d must be serviced every %d days. "
                + "Its filter code is F-%04d and the spare part number is P-%05d.", n, tenant, n % 17, 10 + n % 50, n, 7 * n + 3);
        e.contentBase64 = Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
        return e;
    }

    private Question question(int n) {
        Question q = new Question();
        q.questionId = tenant + "-q-" + n;
        q.tenant = tenant;
        q.text = "How often must the pump in bay " + (n % 17) + " be serviced?";
        return q;
    }

    /** Reads answers of this drill that arrived (read_committed) for up to {@code wait}. */
    public void pollAnswers(Duration wait) {
        long deadline = System.nanoTime() + wait.toNanos();
        do {
            for (ConsumerRecord<String, String> r : answerConsumer.poll(Duration.ofMillis(200))) {
                if (r.key() != null && r.key().startsWith(tenant + "-q-")) {
                    answers.merge(r.key(), 1, Integer::sum);
                }
            }
        } while (System.nanoTime() < deadline);
    }

    /** Counts what came out now: documents and chunks of the drill's tenant in the index, answers read so far. */
    public Counts counts() throws Exception {
        OpenSearchClient client = OpenSearchClients.create(conf);
        try {
            client.indices().refresh(r -> r.index(index));
            var response = client.search(s -> s.index(index).size(0).trackTotalHits(t -> t.enabled(true))
                    .query(q -> q.term(t -> t.field(ChunkIndex.TENANT).value(FieldValue.of(tenant))))
                    .aggregations("documents", a -> a.cardinality(c -> c.field(ChunkIndex.DOCUMENT_ID))), Void.class);
            long docs = response.aggregations().get("documents").cardinality().value();
            long chunks = response.hits().total().value();
            int total = answers.values().stream().mapToInt(Integer::intValue).sum();
            return new Counts(docs, chunks, answers.size(), total, documents, questions);
        } finally {
            OpenSearchClients.close(client);
        }
    }

    /** Polls answers and the index until everything expected came out, or {@code timeout}; returns the counts. */
    public Counts awaitAll(Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        Counts c = counts();
        while (System.nanoTime() < deadline && (c.documentsIndexed() < documents || c.questionsAnswered() < questions)) {
            pollAnswers(Duration.ofSeconds(2));
            c = counts();
        }
        return c;
    }

    @Override
    public void close() {
        answerConsumer.close();
    }
}
