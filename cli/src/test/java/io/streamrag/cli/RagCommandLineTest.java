package io.streamrag.cli;

import io.streamrag.cli.commands.Connection;
import io.streamrag.common.json.Json;
import io.streamrag.common.records.Answer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.ParseResult;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** The conventions of {@code bin/rag}: option spellings, environment defaults, durations, version, help footers, completion. */
class RagCommandLineTest {

    @TempDir
    Path dir;

    private static CommandLine rag(Map<String, String> env) {
        return Rag.commandLine(new EnvironmentDefaults(env));
    }

    /** The connection mixin of the subcommand that parsed the arguments. */
    private static Connection connection(Map<String, String> env, String... args) {
        ParseResult result = rag(env).parseArgs(args);
        ParseResult sub = result.subcommand();
        return (Connection) sub.commandSpec().mixins().get("connection").userObject();
    }

    @Test
    void kafkaToolsSpellingTheShortFlagAndTheOldSpellingAllSetTheBootstrapServers() {
        assertThat(connection(Map.of(), "status", "-b", "127.0.0.1:19092").bootstrap).isEqualTo("127.0.0.1:19092");
        assertThat(connection(Map.of(), "status", "--bootstrap-server", "127.0.0.1:19093").bootstrap).isEqualTo("127.0.0.1:19093");
        assertThat(connection(Map.of(), "ask", "--bootstrap-servers", "127.0.0.1:19094", "q?").kafka())
                .containsEntry("bootstrap.servers", "127.0.0.1:19094");
        assertThat(connection(Map.of(), "status").bootstrap).isEqualTo("127.0.0.1:9092");
    }

    @Test
    void environmentVariablesGiveTheConnectionDefaultsAndFlagsWin() throws Exception {
        Path file = Files.writeString(dir.resolve("client.properties"), "kafka.security.protocol=PLAINTEXT\n");
        Map<String, String> env = Map.of(
                "STREAMRAG_BOOTSTRAP_SERVER", "127.0.0.1:29092",
                "STREAMRAG_OPENSEARCH", "http://127.0.0.1:29200",
                "STREAMRAG_INDEX", "chunks-env",
                "STREAMRAG_CLIENT_CONFIG", file.toString(),
                "STREAMRAG_TENANT", "acme",
                "STREAMRAG_ANSWERS_TOPIC", "answers-env",
                // Not a connection option: never read from the environment.
                "STREAMRAG_TIMEOUT", "1ms");
        Connection c = connection(env, "status");
        assertThat(c.bootstrap).isEqualTo("127.0.0.1:29092");
        assertThat(c.opensearch).isEqualTo("http://127.0.0.1:29200");
        assertThat(c.index).isEqualTo("chunks-env");
        assertThat(c.clientConfig).isEqualTo(file);
        assertThat(c.answersTopic).isEqualTo("answers-env");
        assertThat(c.configuration().getString("topics.answers", null)).isEqualTo("answers-env");
        assertThat(connection(env, "status", "--answers-topic", "answers-flag").answersTopic).isEqualTo("answers-flag");
        assertThat(c.configuration().getString("opensearch.url", null)).isEqualTo("http://127.0.0.1:29200");

        assertThat(connection(env, "status", "-b", "127.0.0.1:39092").bootstrap).isEqualTo("127.0.0.1:39092");

        ParseResult ask = rag(env).parseArgs("ask", "q?").subcommand();
        assertThat(ask.commandSpec().findOption("--timeout").<Duration>getValue()).isEqualTo(Duration.ofMinutes(2));
        assertThat(ask.commandSpec().findOption("--tenant").<String>getValue()).isEqualTo("acme");
        assertThat(EnvironmentDefaults.variable("--bootstrap-server")).isEqualTo("STREAMRAG_BOOTSTRAP_SERVER");
    }

    @Test
    void precedenceIsFlagThenEnvironmentThenFileThenDefault() throws Exception {
        Path file = Files.writeString(dir.resolve("client.properties"), "kafka.bootstrap-servers=10.9.9.9:9094\nopensearch.index=chunks-file\n");
        // The variable equals the built-in default: it is still given, so it wins over the file.
        Map<String, String> env = Map.of("STREAMRAG_CLIENT_CONFIG", file.toString(), "STREAMRAG_BOOTSTRAP_SERVER", "127.0.0.1:9092");
        assertThat(connection(env, "status").resolve().bootstrap).isEqualTo("127.0.0.1:9092");
        assertThat(connection(env, "status", "-b", "127.0.0.1:19092").resolve().bootstrap).isEqualTo("127.0.0.1:19092");
        assertThat(connection(env, "status").resolve().index).isEqualTo("chunks-file");
        assertThat(connection(env, "status", "--index", "rag-chunks").resolve().index).isEqualTo("rag-chunks");
        assertThat(connection(Map.of("STREAMRAG_CLIENT_CONFIG", file.toString()), "status").resolve().bootstrap).isEqualTo("10.9.9.9:9094");
    }

    @Test
    void durationsAreHumanAndIsoStillWorks() {
        assertThat(timeout("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(timeout("2m")).isEqualTo(Duration.ofMinutes(2));
        assertThat(timeout("90 s")).isEqualTo(Duration.ofSeconds(90));
        assertThat(timeout("1h")).isEqualTo(Duration.ofHours(1));
        assertThat(timeout("PT2M")).isEqualTo(Duration.ofMinutes(2));

        StringWriter err = new StringWriter();
        CommandLine cl = rag(Map.of());
        cl.setErr(new PrintWriter(err));
        assertThat(cl.execute("ask", "--timeout", "soon", "q?")).isEqualTo(ExitCodes.USAGE);
        assertThat(err.toString()).contains("'soon' is not a duration");
    }

    private static Duration timeout(String value) {
        return rag(Map.of()).parseArgs("ask", "--timeout", value, "q?").subcommand().commandSpec().findOption("--timeout").getValue();
    }

    @Test
    void versionComesFromTheBuild() {
        StringWriter out = new StringWriter();
        CommandLine cl = rag(Map.of());
        cl.setOut(new PrintWriter(out));
        assertThat(cl.execute("--version")).isEqualTo(ExitCodes.OK);
        assertThat(out.toString()).containsPattern("^streamrag \\d+\\.\\d+\\.\\d+").doesNotContain("${project.version}");
        assertThat(BuildVersion.version()).isNotEqualTo("unknown");
    }

    @Test
    void helpFootersListTheExitCodesEachCommandCanReturn() {
        String ask = help("ask");
        assertThat(ask).contains("Exit codes:", "3   ask: the answer is FAILED.", "4   ask: the answer is NO_CONTEXT.")
                .doesNotContain("dead-lettered");
        assertThat(help("ingest")).contains("5   ingest --wait, backfill: at least one document was dead-lettered.", "6   ask, ingest --wait")
                .doesNotContain("NO_CONTEXT");
        assertThat(help("backfill")).contains("5   ingest --wait, backfill").doesNotContain("  6   ");
        assertThat(help("status")).contains("Exit codes:", "0   Success", "1   Error", "2   Bad usage").doesNotContain("FAILED");
        assertThat(help(null)).contains("0   Success", "6   ask, ingest --wait");
    }

    @Test
    void helpNeedsNoReadableClientConfig() {
        StringWriter out = new StringWriter();
        CommandLine cl = rag(Map.of("STREAMRAG_CLIENT_CONFIG", dir.resolve("missing.properties").toString()));
        cl.setOut(new PrintWriter(out));
        assertThat(cl.execute("ask", "--help")).isEqualTo(ExitCodes.OK);
        assertThat(out.toString()).contains("Usage: rag ask");
        // A command that runs reads it first, and says so: one line, no stack trace, and its --json document.
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err));
        out.getBuffer().setLength(0);
        assertThat(cl.execute("status", "--json")).isEqualTo(ExitCodes.ERROR);
        assertThat(err.toString()).doesNotContain("\tat ");
        assertThat(err.toString().lines()).hasSize(1).first().asString()
                .startsWith("rag status: Cannot read --client-config " + dir.resolve("missing.properties"));
        assertThat(out.toString().lines()).hasSize(1);
        assertThat(Json.fromString(out.toString(), Map.class))
                .containsEntry("exitCode", ExitCodes.ERROR).extractingByKey("error").asString().startsWith("Cannot read --client-config");
    }

    @Test
    void streamragDebugAddsTheStackTraceAfterTheOneLine() {
        for (String value : new String[] {"1", "true"}) {
            StringWriter err = new StringWriter();
            CommandLine cl = rag(Map.of("STREAMRAG_CLIENT_CONFIG", dir.resolve("missing.properties").toString(), "STREAMRAG_DEBUG", value));
            cl.setErr(new PrintWriter(err));
            cl.setOut(new PrintWriter(new StringWriter()));
            assertThat(cl.execute("status")).isEqualTo(ExitCodes.ERROR);
            assertThat(err.toString().lines().findFirst()).hasValueSatisfying(first -> assertThat(first).startsWith("rag status: Cannot read --client-config"));
            assertThat(err.toString()).contains("\tat io.streamrag.cli.");
        }
        for (String off : new String[] {"0", "false", ""}) {
            StringWriter err = new StringWriter();
            CommandLine cl = rag(Map.of("STREAMRAG_CLIENT_CONFIG", dir.resolve("missing.properties").toString(), "STREAMRAG_DEBUG", off));
            cl.setErr(new PrintWriter(err));
            assertThat(cl.execute("status")).isEqualTo(ExitCodes.ERROR);
            assertThat(err.toString().lines()).as("STREAMRAG_DEBUG=" + off).hasSize(1);
        }
    }

    private static String help(String command) {
        StringWriter out = new StringWriter();
        CommandLine cl = rag(Map.of());
        cl.setOut(new PrintWriter(out));
        cl.execute(command == null ? new String[] {"--help"} : new String[] {command, "--help"});
        return out.toString();
    }

    @Test
    void exitCodesAreDistinctAndMapAnswersAndDocumentOutcomes() {
        Set<Integer> codes = new HashSet<>(ExitCodes.all().keySet());
        assertThat(codes).hasSize(7).contains(ExitCodes.OK, ExitCodes.USAGE);
        assertThat(CommandLine.ExitCode.USAGE).isEqualTo(ExitCodes.USAGE);
        assertThat(CommandLine.ExitCode.SOFTWARE).isEqualTo(ExitCodes.ERROR);

        assertThat(ExitCodes.forAnswer(Answer.Status.ANSWERED)).isEqualTo(ExitCodes.OK);
        assertThat(ExitCodes.forAnswer(Answer.Status.FAILED)).isEqualTo(ExitCodes.ANSWER_FAILED).isNotZero();
        assertThat(ExitCodes.forAnswer(Answer.Status.NO_CONTEXT)).isEqualTo(ExitCodes.NO_CONTEXT)
                .isNotEqualTo(ExitCodes.ANSWER_FAILED).isNotZero();
        assertThat(ExitCodes.forAnswer(null)).isEqualTo(ExitCodes.ERROR);

        assertThat(ExitCodes.forDocuments(0, true)).isEqualTo(ExitCodes.OK);
        assertThat(ExitCodes.forDocuments(1, true)).isEqualTo(ExitCodes.DEAD_LETTERS);
        assertThat(ExitCodes.forDocuments(0, false)).isEqualTo(ExitCodes.TIMEOUT);
        assertThat(ExitCodes.forDocuments(2, false)).isEqualTo(ExitCodes.DEAD_LETTERS);
    }

    @Test
    void theReadmeTableMatchesTheCodes() throws Exception {
        String readme = Files.readString(Path.of("..", "README.md"));
        for (Map.Entry<Integer, String> code : ExitCodes.all().entrySet()) {
            assertThat(readme).as("README exit code %d", code.getKey()).contains("| " + code.getKey() + " | " + code.getValue() + " |");
        }
        for (String option : EnvironmentDefaults.OPTIONS) {
            assertThat(readme).contains("`" + EnvironmentDefaults.variable(option) + "`");
        }
    }

    @Test
    void completionPrintsABashScriptForEveryCommand() {
        StringWriter out = new StringWriter();
        CommandLine cl = rag(Map.of());
        cl.setOut(new PrintWriter(out));
        assertThat(cl.execute("completion")).isEqualTo(ExitCodes.OK);
        assertThat(out.toString()).contains("complete -F", "rag", "ingest", "backfill", "--bootstrap-server", "--json");
    }
}
