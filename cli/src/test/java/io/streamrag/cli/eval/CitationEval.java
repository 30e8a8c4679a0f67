package io.streamrag.cli.eval;

import com.fasterxml.jackson.databind.JsonNode;
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
import io.streamrag.query.generate.ChatEndpoint;
import io.streamrag.query.generate.Citations;
import io.streamrag.query.generate.CompletionParser;
import io.streamrag.query.generate.EndpointSpec;
import io.streamrag.query.generate.Prompts;
import io.streamrag.query.generate.RetryPolicy;
import io.streamrag.query.records.CandidateResult;
import io.streamrag.query.records.RetrievedChunk;
import io.streamrag.query.retrieve.HybridRetriever;
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
import java.util.UUID;

/**
 * Cited-right-page before and after {@link Citations} on an evaluation set, side by side on the same completions:
 * backfills DOCS_DIR into a fresh index with the ingest job (bounded files source), then per question retrieves k
 * chunks, asks the local {@code extractive} model N times with the RAG prompt, votes, and checks whether the
 * winners' citations hold the right page, once with the sources the model named (before) and once with the chunks
 * that hold the answer (after). Needs the local Kafka and OpenSearch; removes its own index and topic at the end.
 * {@code CitationEval DOCS_DIR QUESTIONS.jsonl [N] [k]}.
 */
public final class CitationEval {

    private CitationEval() {}

    public static void main(String[] args) throws Exception {
        Path docs = Path.of(args[0]);
        Path questionsFile = Path.of(args[1]);
        int n = args.length > 2 ? Integer.parseInt(args[2]) : 5;
        int k = args.length > 3 ? Integer.parseInt(args[3]) : 5;
        String alias = "citation-eval-" + UUID.randomUUID().toString().substring(0, 8);
        String dlq = alias + "-dlq";
        Configuration conf = new Configuration();
        conf.set(StreamRagOptions.OPENSEARCH_URL, "http://127.0.0.1:9200");
        conf.set(StreamRagOptions.OPENSEARCH_INDEX, alias);
        conf.set(StreamRagOptions.KAFKA_BOOTSTRAP_SERVERS, "127.0.0.1:9092");
        conf.set(StreamRagOptions.DEAD_LETTER_TOPIC, dlq);
        conf.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
        conf.set(IngestOptions.SOURCE, IngestOptions.SourceKind.FILES);
        conf.set(IngestOptions.PATH, docs.toString());
        conf.set(IngestOptions.TENANT, "eval");
        OpenSearchClient client = OpenSearchClients.create(conf);
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", "127.0.0.1:9092"))) {
            admin.createTopics(List.of(new NewTopic(dlq, 1, (short) 1))).all().get();
            try {
                long start = System.nanoTime();
                conf.set(IngestOptions.PARALLELISM, 2);
                conf.set(IngestOptions.CHECKPOINT_INTERVAL, Duration.ofSeconds(2));
                StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
                IngestJob.configure(env, conf);
                IngestJob.fromConfiguration(conf).execute(env); // bounded: returns when the folder is indexed
                client.indices().refresh(r -> r.index(alias));
                System.out.printf("backfilled %s in %.0f s%n", docs, (System.nanoTime() - start) / 1e9);
                compare(client, alias, questionsFile, n, k);
            } finally {
                client.indices().delete(d -> d.index(alias + "-*"));
                admin.deleteTopics(List.of(dlq)).all().get();
                OpenSearchClients.close(client);
            }
        }
    }

    private static void compare(OpenSearchClient client, String alias, Path questionsFile, int n, int k)
            throws Exception {
        HybridRetriever retriever = new HybridRetriever(client, EmbeddingModels.create(new Configuration()), alias,
                20, 60);
        try (LocalModelServer server = LocalModelServer.startLocal(new Faults());
             ChatEndpoint endpoint = new ChatEndpoint(
                     EndpointSpec.parse("local=openai," + server.baseUrl() + ",extractive,4"),
                     new RetryPolicy(2, 100, 1000), 256, CallListener.NONE)) {
            int questions = 0;
            int hit = 0;
            int before = 0;
            int after = 0;
            for (String line : Files.readAllLines(questionsFile)) {
                if (line.isBlank()) {
                    continue;
                }
                JsonNode q = Json.MAPPER.readTree(line);
                String doc = q.path("documentId").asText();
                Set<Integer> pages = new HashSet<>();
                pages.add(q.path("page").asInt());
                q.path("alsoOn").forEach(p -> pages.add(p.asInt()));
                List<RetrievedChunk> chunks = retriever.retrieve("eval", q.path("question").asText(), k);
                String prompt = Prompts.rag(chunks, q.path("question").asText());
                List<CandidateResult> named = new ArrayList<>();
                List<CandidateResult> supporting = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    double temperature = Math.max(0.0, 0.7 + 0.1 * ((i % 3) - 1)); // as FanOut spreads them
                    String text = endpoint.call(prompt, temperature, 1000L + i,
                            System.currentTimeMillis() + 60_000).text;
                    String answer = CompletionParser.answer(text);
                    List<ChunkRef> refs = new ArrayList<>();
                    for (int s : CompletionParser.sources(text)) {
                        if (s >= 1 && s <= chunks.size()) {
                            refs.add(chunks.get(s - 1).ref());
                        }
                    }
                    named.add(candidate(answer, refs, i));
                    supporting.add(candidate(answer,
                            Citations.supporting(answer, CompletionParser.sources(text), chunks), i));
                }
                questions++;
                hit += chunks.stream().anyMatch(c -> onPage(c.ref(), doc, pages)) ? 1 : 0;
                before += citesPage(VoteTally.of(named).leader(), doc, pages) ? 1 : 0;
                after += citesPage(VoteTally.of(supporting).leader(), doc, pages) ? 1 : 0;
            }
            System.out.printf("%d questions, RAG, N=%d, k=%d: hit@k %.2f, cited-right-page before %.2f (model-named "
                            + "sources), after %.2f (chunks holding the answer)%n", questions, n, k,
                    (double) hit / questions, (double) before / questions, (double) after / questions);
        }
    }

    private static CandidateResult candidate(String answer, List<ChunkRef> cited, int arrival) {
        CandidateResult r = new CandidateResult();
        r.status = CandidateResult.OK;
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

    /** The files source names a document by its relative path; the set by the file name without extension. */
    private static boolean onPage(ChunkRef r, String doc, Set<Integer> pages) {
        String id = r.documentId == null ? "" : r.documentId.replaceAll("\\.[A-Za-z0-9]+$", "");
        return id.equals(doc) && pages.contains(r.page);
    }
}
