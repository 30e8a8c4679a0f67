package io.streamrag.cli.commands;

import io.streamrag.cli.DurationConverter;
import io.streamrag.cli.Errors;
import io.streamrag.cli.ExitCodes;
import io.streamrag.cli.KafkaTools;
import io.streamrag.common.json.Json;
import io.streamrag.common.records.Answer;
import io.streamrag.common.records.ChunkRef;
import io.streamrag.common.records.Question;
import io.streamrag.query.generate.StrategyName;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.Callable;

/** {@code rag ask}: produce a question, wait for its answer, print it readably (or as JSON). */
@Command(name = "ask", mixinStandardHelpOptions = true,
        description = {"Ask a question and print the answer with agreement, votes, citations, latency and tokens.",
            "The exit status tells ANSWERED (0) from FAILED (3) and NO_CONTEXT (4), so scripts can branch on it."})
public class AskCommand implements Callable<Integer> {

    @Mixin
    Connection connection;

    @Parameters(index = "0", paramLabel = "QUESTION", description = "The question.")
    String text;

    @Option(names = "--tenant", defaultValue = "default", description = "Tenant whose documents are searched (default: ${DEFAULT-VALUE}).")
    String tenant;

    @Option(names = "--n", description = "Number of reasoning candidates (default: the job's).")
    Integer n;

    @Option(names = "--k", description = "Number of retrieved chunks (default: the job's).")
    Integer k;

    @Option(names = "--strategy", description = "${COMPLETION-CANDIDATES} (default: the job's).")
    StrategyName strategy;

    @Option(names = {"--deadline", "--deadline-ms"},
            description = "Answer with what has arrived after this long, e.g. 20s (a plain number is ms; default: the job's).")
    Duration deadline;

    @Option(names = "--budget-tokens", paramLabel = "TOKENS",
            description = "Token budget (in + out, all calls); with a plan loaded (query.plan) the job picks strategy, k and N for it.")
    Long budgetTokens;

    @Option(names = "--budget-latency", paramLabel = "DURATION",
            description = "Latency budget for the plan's choice: 500ms, 2s (the plan's swept p50; not a deadline).")
    Duration budgetLatency;

    @Option(names = "--seed", paramLabel = "N",
            description = "Sampling seed: asking the same question with the same seed and settings gives the same answer (default: a fresh one each time).")
    Long seed;

    @Option(names = "--json", description = "Print the answer record as one JSON document (the answers topic's form, with "
            + "exitCode); without an answer, questionId, error and exitCode.")
    boolean json;

    @Option(names = "--timeout", defaultValue = "2m", description = "How long to wait for the answer: 500ms, 30s, 2m (default: ${DEFAULT-VALUE}).")
    Duration timeout;

    @Override
    public Integer call() throws Exception {
        Question q = new Question();
        q.questionId = "cli-" + UUID.randomUUID();
        q.tenant = tenant;
        q.text = text;
        q.n = n;
        q.k = k;
        q.strategy = strategy == null ? null : strategy.name();
        q.deadlineMs = deadline == null ? null : deadline.toMillis();
        q.seed = seed;
        if (budgetTokens != null || budgetLatency != null) {
            q.budget = new Question.Budget(budgetTokens, budgetLatency == null ? null : budgetLatency.toMillis());
        }
        Map<String, String> answers;
        try {
            answers = askAll(connection, List.of(q), timeout);
        } catch (IOException | RuntimeException e) {
            // Kafka out of reach, or a client it cannot build: the cause says which.
            String error = Errors.oneLine(e);
            System.err.println("rag ask: " + error);
            return fail(q.questionId, error, ExitCodes.ERROR);
        }
        String answer = answers.get(q.questionId);
        if (answer == null) {
            String missing = "No answer within " + DurationConverter.format(timeout);
            System.err.println(missing + " (is the query job running? bin/rag status)");
            return fail(q.questionId, missing, ExitCodes.TIMEOUT);
        }
        Answer parsed = Json.fromString(answer, Answer.class);
        int exit = ExitCodes.forAnswer(parsed.status);
        if (json) {
            System.out.println(withExitCode(answer, exit));
        } else {
            print(parsed, text, System.out);
        }
        return exit;
    }

    /** {@code exit}, after the {@code --json} document for a question without an answer. */
    private int fail(String questionId, String error, int exit) {
        if (json) {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("questionId", questionId);
            r.put("error", error);
            r.put("exitCode", exit);
            System.out.println(Json.toString(r));
        }
        return exit;
    }

    /** The answer record as the answers topic has it, with the command's exit status added (README: every --json document carries it). */
    static String withExitCode(String answer, int exit) throws IOException {
        ObjectNode node = (ObjectNode) Json.tree(answer.getBytes(StandardCharsets.UTF_8));
        node.put("exitCode", exit);
        return node.toString();
    }

    /**
     * Sends questions and collects their answers (raw JSON by questionId) until all arrived or the timeout; throws
     * when a question was not written (a refused write is not waited out as a missing answer).
     */
    public static Map<String, String> askAll(Connection connection, List<Question> questions, Duration timeout) throws IOException {
        Map<String, String> answers = new LinkedHashMap<>();
        List<String> ids = new ArrayList<>();
        questions.forEach(q -> ids.add(q.questionId));
        Properties client = connection.kafka();
        List<ProducerRecord<String, String>> records = new ArrayList<>();
        for (Question q : questions) {
            records.add(new ProducerRecord<>(connection.questionsTopic, q.questionId, Json.toString(q)));
        }
        try (KafkaConsumer<String, String> consumer = KafkaTools.committedConsumer(client, connection.answersTopic, true);
                KafkaProducer<String, String> producer = KafkaTools.producer(client)) {
            KafkaTools.sendAll(producer, connection.bootstrap, records);
            long deadline = System.nanoTime() + timeout.toNanos();
            while (answers.size() < ids.size() && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                    if (ids.contains(r.key())) {
                        answers.put(r.key(), r.value());
                    }
                }
            }
        }
        return answers;
    }

    private static String budget(Answer.Plan p) {
        List<String> parts = new ArrayList<>();
        if (p.budgetTokens != null) {
            parts.add(p.budgetTokens + " tokens");
        }
        if (p.budgetMs != null) {
            parts.add(p.budgetMs + " ms");
        }
        return "budget " + String.join(" and ", parts);
    }

    public static void print(Answer a, String question, PrintStream out) {
        out.println("Q: " + question);
        out.println("A: " + (a.answer == null ? "—" : a.answer) + "   [" + a.status
                + (a.agreement == null ? "" : String.format(", agreement %.2f", a.agreement))
                + (a.strategy == null ? "" : ", " + a.strategy) + "]");
        if (a.error != null) {
            out.println("   error: " + a.error);
        }
        if (a.plan != null) {
            out.printf(Locale.ROOT, "   plan: %s k=%d N=%d for %s (predicted accuracy %.2f, ~%.0f tokens, p50 ~%.0f ms)%s%n",
                    a.plan.strategy, a.plan.k, a.plan.n, budget(a.plan), a.plan.predictedAccuracy, a.plan.predictedTokens,
                    a.plan.predictedMs, a.plan.withinBudget ? "" : ", nothing fits: the cheapest");
        }
        if (!a.votes.isEmpty()) {
            out.println("   votes:");
            for (Answer.Vote v : a.votes) {
                out.printf("     %3d  (weight %.1f)  %s%n", v.count, v.weight, v.answer);
            }
        }
        if (!a.citations.isEmpty()) {
            out.println("   citations:");
            for (ChunkRef c : a.citations) {
                out.printf("     %s  page %d  (%s, score %.3f)%n", c.documentId, c.page, c.kind, c.score);
            }
        }
        Answer.Usage u = a.usage;
        // Candidates that arrive after the vote is decided are not counted (nor their tokens).
        out.printf("   candidates: %d requested, %d counted in the vote%s; tokens in %d / out %d; latency retrieval %s ms, total %s ms%n",
                u.candidatesRequested, u.candidatesSucceeded,
                u.candidatesSaved > 0 ? " (" + u.candidatesSaved + " saved by adaptive sampling)" : "",
                u.tokensIn, u.tokensOut, a.latencyMs.getOrDefault("retrieval", 0L), a.latencyMs.getOrDefault("total", 0L));
    }
}
