package io.streamrag.cli.eval;

import com.fasterxml.jackson.databind.JsonNode;
import io.streamrag.cli.commands.SweepCommand;
import io.streamrag.common.config.StreamRagOptions;
import io.streamrag.common.embedding.EmbeddingModels;
import io.streamrag.common.json.Json;
import io.streamrag.common.opensearch.OpenSearchClients;
import io.streamrag.common.records.ChunkRef;
import io.streamrag.ingest.IngestJob;
import io.streamrag.ingest.IngestOptions;
import io.streamrag.model.Faults;
import io.streamrag.model.LocalModelServer;
import io.streamrag.query.generate.CallListener;
import io.streamrag.query.generate.CallResult;
import io.streamrag.query.generate.ChatEndpoint;
import io.streamrag.query.generate.CompletionParser;
import io.streamrag.query.generate.Demonstrations;
import io.streamrag.query.generate.DragStrategy;
import io.streamrag.query.generate.EndpointSpec;
import io.streamrag.query.generate.IterDragStrategy;
import io.streamrag.query.generate.RagStrategy;
import io.streamrag.query.generate.RetryPolicy;
import io.streamrag.query.generate.Strategy;
import io.streamrag.query.records.CandidateResult;
import io.streamrag.query.records.CandidateResult.Status;
import io.streamrag.query.records.RetrievedChunk;
import io.streamrag.query.retrieve.HybridRetriever;
import io.streamrag.query.vote.Answers;
import io.streamrag.query.vote.VoteTally;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.opensearch.client.opensearch.OpenSearchClient;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;

/**
 * Cited-right-page and answer accuracy on an evaluation set, per strategy, per kind and per half of the set:
 * backfills DOCS_DIR into a fresh index with the ingest job (bounded files source), then per question retrieves k
 * chunks, runs the strategy N times against the local {@code extractive} model, votes, and checks whether the
 * winners' citations hold the right page, once with the sources the model named (before) and once with what the
 * strategy cites ({@link io.streamrag.query.generate.Citations}, after), on the same completions; beside it the
 * fraction whose first reported citation is on the page, the fraction whose answer is right and cited on its page
 * (a wrong answer may be cited on the right page too) and the mean number of citations per answer (so a higher
 * figure cannot come from citing more), and with {@code CITATION_EVAL_VERBOSE} the cause of each miss (1: one line
 * per question, 2: also the first completion). Questions on odd
 * lines of the file are the development half, even lines the held-out half (answerer rules are written looking at
 * the development half only). Needs the local Kafka and OpenSearch; removes its own index and topics at the end
 * unless an existing index is given to reuse.
 * {@code CitationEval DOCS_DIR QUESTIONS.jsonl [N] [k] [RAG,DRAG,ITERDRAG] [EXISTING_INDEX|keep]}; the environment
 * may override the retrieval pool and RRF constant ({@code CITATION_EVAL_POOL}, {@code CITATION_EVAL_RRF_K}).
 */
public final class CitationEval {

    private CitationEval() {}

    public static void main(String[] args) throws Exception {
        Path docs = Path.of(args[0]);
        Path questionsFile = Path.of(args[1]);
        int n = args.length > 2 ? Integer.parseInt(args[2]) : 5;
        int k = args.length > 3 ? Integer.parseInt(args[3]) : 5;
        String[] strategies = (args.length > 4 ? args[4] : "RAG").split(",");
        String reuse = args.length > 5 ? args[5] : null;
        Configuration conf = new Configuration();
        conf.set(StreamRagOptions.OPENSEARCH_URL, "http://127.0.0.1:9200");
        conf.set(StreamRagOptions.KAFKA_BOOTSTRAP_SERVERS, "127.0.0.1:9092");
        if (reuse != null && !"keep".equals(reuse)) {
            conf.set(StreamRagOptions.OPENSEARCH_INDEX, reuse);
            OpenSearchClient client = OpenSearchClients.create(conf);
            try {
                compare(client, reuse, questionsFile, n, k, strategies);
            } finally {
                OpenSearchClients.close(client);
            }
            return;
        }
        String alias = "citation-eval-" + UUID.randomUUID().toString().substring(0, 8);
        String dlq = alias + "-dlq";
        String outcomes = alias + "-outcomes";
        conf.set(StreamRagOptions.OPENSEARCH_INDEX, alias);
        conf.set(StreamRagOptions.DEAD_LETTER_TOPIC, dlq);
        // Own topics and transactional ids: the shared broker may run other ingest jobs with the defaults.
        conf.set(StreamRagOptions.OUTCOMES_TOPIC, outcomes);
        conf.set(IngestOptions.SINK_TRANSACTIONAL_ID_PREFIX, alias);
        conf.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
        conf.set(IngestOptions.SOURCE, IngestOptions.SourceKind.FILES);
        conf.set(IngestOptions.PATH, docs.toString());
        conf.set(IngestOptions.TENANT, "eval");
        OpenSearchClient client = OpenSearchClients.create(conf);
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", "127.0.0.1:9092"))) {
            admin.createTopics(List.of(new NewTopic(dlq, 1, (short) 1), new NewTopic(outcomes, 1, (short) 1))).all().get();
            try {
                long start = System.nanoTime();
                conf.set(IngestOptions.PARALLELISM, 2);
                conf.set(IngestOptions.CHECKPOINT_INTERVAL, Duration.ofSeconds(2));
                StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
                IngestJob.configure(env, conf);
                IngestJob.fromConfiguration(conf).execute(env); // bounded: returns when the folder is indexed
                client.indices().refresh(r -> r.index(alias));
                System.out.printf("backfilled %s into %s in %.0f s%n", docs, alias, (System.nanoTime() - start) / 1e9);
                compare(client, alias, questionsFile, n, k, strategies);
            } finally {
                if ("keep".equals(reuse)) {
                    System.out.println("kept index " + alias + " (delete it with curl -XDELETE 127.0.0.1:9200/" + alias + "-*)");
                } else {
                    client.indices().delete(d -> d.index(alias + "-*"));
                }
                admin.deleteTopics(List.of(dlq, outcomes)).all().get();
                OpenSearchClients.close(client);
            }
        }
    }

    /** Counts of one slice of the set (a strategy, kind or half). */
    private static final class Tally {
        int questions;
        int hit;
        int correct;
        int before;
        int after;
        int first;
        int rightAndCited;
        int citations;

        String line() {
            double q = Math.max(1, questions);
            return String.format("%3d questions: hit@k %.2f, accuracy %.2f, cited-right-page before %.2f, after %.2f"
                            + " (first citation %.2f, right answer cited on its page %.2f, %.2f citations per answer)",
                    questions, hit / q, correct / q, before / q, after / q, first / q, rightAndCited / q, citations / q);
        }
    }

    private static void compare(OpenSearchClient client, String alias, Path questionsFile, int n, int k,
                                String[] strategies) throws Exception {
        // The query job's defaults (query.retrieve.pool-size, query.retrieve.rrf-k); the environment may override them.
        HybridRetriever retriever = new HybridRetriever(client, EmbeddingModels.create(new Configuration()), alias,
                Integer.parseInt(System.getenv().getOrDefault("CITATION_EVAL_POOL", "20")),
                Integer.parseInt(System.getenv().getOrDefault("CITATION_EVAL_RRF_K", "60")));
        List<String> lines = Files.readAllLines(questionsFile);
        try (LocalModelServer server = LocalModelServer.startLocal(new Faults());
             ChatEndpoint endpoint = new ChatEndpoint(
                     EndpointSpec.parse("local=openai," + server.baseUrl() + ",extractive,4"),
                     new RetryPolicy(2, 100, 1000), 256, CallListener.NONE)) {
            for (String name : strategies) {
                Strategy strategy = strategy(name.strip());
                Map<String, Tally> tallies = new TreeMap<>();
                Map<String, List<Integer>> causes = new TreeMap<>();
                int lineNo = 0;
                for (String line : lines) {
                    lineNo++;
                    if (line.isBlank()) {
                        continue;
                    }
                    JsonNode q = Json.MAPPER.readTree(line);
                    String doc = q.path("documentId").asText();
                    String question = q.path("question").asText();
                    Set<Integer> pages = new HashSet<>();
                    pages.add(q.path("page").asInt());
                    q.path("alsoOn").forEach(p -> pages.add(p.asInt()));
                    List<RetrievedChunk> chunks = retriever.retrieve("eval", question, k);
                    List<CandidateResult> named = new ArrayList<>();
                    List<CandidateResult> supporting = new ArrayList<>();
                    String firstCompletion = null;
                    for (int i = 0; i < n; i++) {
                        double temperature = Math.max(0.0, 0.7 + 0.1 * ((i % 3) - 1)); // as FanOut spreads them
                        long seed = 1000L + i;
                        List<RetrievedChunk> last = new ArrayList<>(chunks);
                        String[] lastText = {""};
                        Strategy.Outcome outcome = strategy.run(question, "eval", chunks, new Strategy.Session() {
                            @Override
                            public CallResult call(String prompt) {
                                CallResult r = endpoint.call(prompt, temperature, seed, System.currentTimeMillis() + 60_000);
                                lastText[0] = r.text();
                                return r;
                            }

                            @Override
                            public List<RetrievedChunk> retrieve(String tenant, String followUp) {
                                List<RetrievedChunk> found = retriever.retrieve(tenant, followUp, k);
                                last.addAll(found);
                                return found;
                            }
                        });
                        // "Before": the sources the model named in its final completion, as numbered in its prompt.
                        List<RetrievedChunk> prompted = strategy instanceof IterDragStrategy
                                ? iterSources(chunks, last) : chunks;
                        List<ChunkRef> refs = new ArrayList<>();
                        for (int s : CompletionParser.sources(lastText[0])) {
                            if (s >= 1 && s <= prompted.size()) {
                                // Named sources as the model gave them: the chunk's first page, as prompts show it.
                                refs.add(prompted.get(s - 1).refOn(prompted.get(s - 1).page));
                            }
                        }
                        firstCompletion = firstCompletion == null ? lastText[0] : firstCompletion;
                        named.add(candidate(outcome.answer, refs, i));
                        supporting.add(candidate(outcome.answer, outcome.cited, i));
                    }
                    VoteTally.Group leader = VoteTally.of(supporting).leader();
                    boolean hit = chunks.stream().anyMatch(c -> onPage(c.ref(), doc, pages));
                    boolean correct = leader != null && SweepCommand.matches(leader.display, q.path("expected").asText());
                    boolean before = citesPage(VoteTally.of(named).leader(), doc, pages);
                    boolean after = citesPage(leader, doc, pages);
                    // What the answer reports: the winners' citations, most cited first (Answers.citations).
                    List<ChunkRef> reported = leader == null ? List.of()
                            : Answers.citations(leader, chunks.stream().map(RetrievedChunk::ref).toList());
                    boolean first = !reported.isEmpty() && onPage(reported.get(0), doc, pages);
                    String cause = after ? "cited" : cause(chunks, doc, pages, correct, q.path("expected").asText());
                    for (String slice : List.of("all", "kind " + q.path("kind").asText(),
                            lineNo % 2 == 1 ? "half development" : "half held-out")) {
                        Tally t = tallies.computeIfAbsent(slice, s -> new Tally());
                        t.questions++;
                        t.hit += hit ? 1 : 0;
                        t.correct += correct ? 1 : 0;
                        t.before += before ? 1 : 0;
                        t.after += after ? 1 : 0;
                        t.first += first ? 1 : 0;
                        t.rightAndCited += correct && after ? 1 : 0;
                        t.citations += reported.size();
                    }
                    causes.computeIfAbsent(name + " " + cause, c -> new ArrayList<>()).add(lineNo);
                    if (System.getenv("CITATION_EVAL_VERBOSE") != null) {
                        System.out.printf("  %s line %d %-5s hit=%s right=%s cited=%s answer=%s expected=%s cause=%s"
                                        + " retrieved=%s cited=%s%n", name, lineNo,
                                q.path("kind").asText(), hit ? 1 : 0, correct ? 1 : 0, after ? 1 : 0,
                                leader == null ? null : leader.display, q.path("expected").asText(), cause,
                                describe(chunks, doc, pages, q.path("expected").asText()),
                                reported.stream().map(r -> r.page + "").toList());
                        if (System.getenv("CITATION_EVAL_VERBOSE").equals("2")) {
                            System.out.println("    first completion: " + firstCompletion.replace("\n", " / "));
                        }
                    }
                }
                System.out.printf("%s, N=%d, k=%d:%n", name, n, k);
                tallies.forEach((slice, t) -> System.out.printf("  %-17s %s%n", slice, t.line()));
                causes.forEach((c, l) -> System.out.printf("  %-40s %2d lines %s%n", c, l.size(), l));
            }
        }
    }

    /**
     * Why a question's citations miss its page: {@code retrieval} (no retrieved chunk on the page),
     * {@code page-lacks-answer} (chunks on the page retrieved, none holds the expected text), {@code wrong-answer}
     * (the answerer took another span, from another page), {@code right-answer-cited-elsewhere} (a citation problem).
     */
    private static String cause(List<RetrievedChunk> chunks, String doc, Set<Integer> pages, boolean correct,
                                String expected) {
        if (chunks.stream().noneMatch(c -> onPage(c.ref(), doc, pages))) {
            return "retrieval";
        }
        if (correct) {
            return "right-answer-cited-elsewhere";
        }
        boolean holds = chunks.stream().anyMatch(c -> onPage(c.ref(), doc, pages)
                && SweepCommand.matches(c.text, expected));
        return holds ? "wrong-answer" : "page-lacks-answer";
    }

    /** Retrieved chunks as page(-pageEnd)/kind, {@code *} on the expected page, {@code +} holding the expected text. */
    private static List<String> describe(List<RetrievedChunk> chunks, String doc, Set<Integer> pages, String expected) {
        return chunks.stream().map(c -> c.page + (c.pageEnd > c.page ? "-" + c.pageEnd : "") + "/" + c.kind
                + (onPage(c.ref(), doc, pages) ? "*" : "")
                + (SweepCommand.matches(c.text, expected) ? "+" : "")).toList();
    }

    private static Strategy strategy(String name) {
        switch (name) {
            case "RAG":
                return new RagStrategy();
            case "DRAG":
                return new DragStrategy(Demonstrations.load(null), 2);
            case "ITERDRAG":
                return new IterDragStrategy(2);
            default:
                throw new IllegalArgumentException("Unknown strategy " + name);
        }
    }

    /** The sources of ITERDRAG's final prompt, merged as {@link IterDragStrategy} merges them. */
    private static List<RetrievedChunk> iterSources(List<RetrievedChunk> chunks, List<RetrievedChunk> all) {
        Map<String, RetrievedChunk> merged = new java.util.LinkedHashMap<>();
        all.forEach(c -> merged.putIfAbsent(c.chunkId, c));
        return new ArrayList<>(merged.values()).subList(0, Math.min(merged.size(), Math.max(chunks.size(), 1) * 2));
    }

    private static CandidateResult candidate(String answer, List<ChunkRef> cited, int arrival) {
        CandidateResult r = new CandidateResult();
        r.status = Status.OK.name();
        r.answer = answer;
        r.arrival = arrival;
        r.weight = 1.0;
        r.cited.addAll(cited);
        return r;
    }

    private static boolean citesPage(VoteTally.Group leader, String doc, Set<Integer> pages) {
        return leader != null
                && leader.members.stream().anyMatch(c -> c.cited.stream().anyMatch(r -> onPage(r, doc, pages)));
    }

    /** The sweep's rule ({@link SweepCommand#onPage}), so both tools count the same page as right. */
    private static boolean onPage(ChunkRef r, String doc, Set<Integer> pages) {
        return SweepCommand.onPage(r, doc, pages);
    }
}
