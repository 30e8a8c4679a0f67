package io.streamrag.cli.commands;

import io.streamrag.cli.EnvironmentDefaults;
import io.streamrag.cli.ExitCodes;
import io.streamrag.cli.Rag;
import io.streamrag.common.json.Json;
import io.streamrag.common.records.Answer;
import io.streamrag.common.records.DocumentEvent;
import io.streamrag.common.records.IngestOutcome;
import io.streamrag.common.records.IngestOutcome.Outcome;
import io.streamrag.common.records.Question;
import io.streamrag.common.testing.KafkaExtension;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The exit statuses of {@code rag ask} and {@code rag ingest --wait} against the real broker, on topics of their own
 * (the topic options); the test answers and reports outcomes in the jobs' place, on the same records they write.
 */
class ExitCodesITCase {

    @RegisterExtension
    static final KafkaExtension KAFKA = new KafkaExtension();

    @TempDir
    Path dir;

    @Test
    void askExitsNonZeroOnFailedAndDistinctOnNoContextWithOneJsonDocument() throws Exception {
        for (Answer.Status status : List.of(Answer.Status.FAILED, Answer.Status.NO_CONTEXT, Answer.Status.ANSWERED)) {
            String questions = KAFKA.createTopic("cli-exit-questions", 1);
            String answers = KAFKA.createTopic("cli-exit-answers", 1);
            CompletableFuture<Void> queryJob = respondTo(questions, 1, records -> {
                Question q = Json.fromString(records.get(0).value(), Question.class);
                Answer a = new Answer();
                a.questionId = q.questionId;
                a.tenant = q.tenant;
                a.status = status;
                a.error = status == Answer.Status.FAILED ? "all candidates failed" : null;
                KAFKA.send(answers, q.questionId, Json.toString(a));
            });
            Run run = rag("ask", "-b", KAFKA.bootstrapServers(), "--questions-topic", questions, "--answers-topic", answers,
                    "--timeout", "60s", "--json", "Why?");
            queryJob.get();
            assertThat(run.exit).as(status.name()).isEqualTo(ExitCodes.forAnswer(status));
            assertThat(Json.MAPPER.readTree(run.stdout).get("status").asText()).isEqualTo(status.name());
        }
    }

    @Test
    void ingestWaitExitsWithDeadLettersAndReportsEveryOutcomeAsJson() throws Exception {
        String documents = KAFKA.createTopic("cli-exit-documents", 1);
        String outcomes = KAFKA.createTopic("cli-exit-outcomes", 1);
        Files.writeString(dir.resolve("good.md"), "# Good");
        Files.writeString(dir.resolve("bad.md"), "# Bad");
        CompletableFuture<Void> ingestJob = respondTo(documents, 2, records -> {
            for (ConsumerRecord<String, String> r : records) {
                DocumentEvent e = Json.fromString(r.value(), DocumentEvent.class);
                IngestOutcome o = new IngestOutcome();
                o.documentId = e.documentId;
                o.tenant = e.tenant;
                o.version = e.version;
                boolean bad = e.documentId.equals("bad");
                o.outcome = bad ? Outcome.DEAD_LETTERED : Outcome.INDEXED;
                o.stage = bad ? "extract" : null;
                o.error = bad ? "Unreadable" : null;
                o.chunks = bad ? 0 : 1;
                KAFKA.send(outcomes, r.key(), Json.toString(o));
            }
        });
        Run run = rag("ingest", "-b", KAFKA.bootstrapServers(), "--documents-topic", documents, "--outcomes-topic", outcomes,
                "--tenant", "acme", "--wait", "--timeout", "60s", "--json", dir.toString());
        ingestJob.get();
        assertThat(run.exit).isEqualTo(ExitCodes.DEAD_LETTERS);
        JsonNode report = Json.MAPPER.readTree(run.stdout);
        assertThat(report.get("counts").get(Outcome.INDEXED.toString()).asLong()).isEqualTo(1);
        assertThat(report.get("counts").get(Outcome.DEAD_LETTERED.toString()).asLong()).isEqualTo(1);
        assertThat(report.get("outcomes")).hasSize(2);
        assertThat(report.get("pending")).isEmpty();
        assertThat(report.get("exitCode").asInt()).isEqualTo(ExitCodes.DEAD_LETTERS);
        // The human lines went to stderr, without carriage returns (not a terminal).
        assertThat(run.stderr).contains("✗ bad dead-lettered at extract: Unreadable", "✓ good indexed").doesNotContain("\r");
    }

    @Test
    void ingestWaitExitsWithTimeoutWhenOutcomesAreMissing() throws Exception {
        String documents = KAFKA.createTopic("cli-exit-documents", 1);
        String outcomes = KAFKA.createTopic("cli-exit-outcomes", 1);
        Files.writeString(dir.resolve("lonely.md"), "# Nobody indexes me");
        Run run = rag("ingest", "-b", KAFKA.bootstrapServers(), "--documents-topic", documents, "--outcomes-topic", outcomes,
                "--wait", "--timeout", "1500ms", dir.toString());
        assertThat(run.exit).isEqualTo(ExitCodes.TIMEOUT);
        assertThat(run.stdout).contains("Still pending after 1500 ms: [default/lonely]").doesNotContain("\r");
    }

    /** Plays a job: reads {@code n} records from {@code topic}, then hands them to {@code reply}. */
    private static CompletableFuture<Void> respondTo(String topic, int n, Consumer<List<ConsumerRecord<String, String>>> reply) {
        return CompletableFuture.runAsync(() -> reply.accept(new ArrayList<>(
                KAFKA.readCommitted(topic, r -> r.size() >= n, Duration.ofSeconds(60)))));
    }

    /** Runs bin/rag in-process (no environment defaults) with stdout and stderr captured. */
    private static synchronized Run rag(String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        ByteArrayOutputStream stderr = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(stdout, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(stderr, true, StandardCharsets.UTF_8));
            int exit = Rag.commandLine(new EnvironmentDefaults(Map.of())).execute(args);
            return new Run(exit, stdout.toString(StandardCharsets.UTF_8), stderr.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    /** Exit status and output of one run. */
    private static final class Run {
        final int exit;
        final String stdout;
        final String stderr;

        Run(int exit, String stdout, String stderr) {
            this.exit = exit;
            this.stdout = stdout;
            this.stderr = stderr;
        }
    }
}
