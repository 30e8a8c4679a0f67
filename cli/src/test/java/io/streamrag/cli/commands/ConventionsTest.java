package io.streamrag.cli.commands;

import io.streamrag.cli.EnvironmentDefaults;
import io.streamrag.cli.ExitCodes;
import io.streamrag.cli.Rag;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.BiPredicate;

import static org.assertj.core.api.Assertions.assertThat;

/** Exit statuses and plain output of the commands that need no running services to decide them. */
class ConventionsTest {

    @TempDir
    Path dir;

    @Test
    void backfillFinishedWithDeadLettersIsNonZeroAndAFailedJobIsAnError() {
        assertThat(BackfillCommand.exitCode("FINISHED", 0)).isEqualTo(ExitCodes.OK);
        assertThat(BackfillCommand.exitCode("FINISHED", 3)).isEqualTo(ExitCodes.DEAD_LETTERS);
        assertThat(BackfillCommand.exitCode("FAILED", 3)).isEqualTo(ExitCodes.ERROR);
        assertThat(BackfillCommand.exitCode("CANCELED", 0)).isEqualTo(ExitCodes.ERROR);
    }

    @Test
    void theProgressLineCarriesNoCarriageReturn() {
        String line = BackfillCommand.progressLine(Map.of(BackfillCommand.TOTAL, 10.0, BackfillCommand.DONE, 5.0,
                BackfillCommand.PAGES, 40.0), 10);
        assertThat(line).doesNotContain("\r").contains("[###############...............] 5/10 documents", "40 pages", "ETA 10s");
    }

    @Test
    void ingestWithNothingIngestibleIsAUsageError() throws Exception {
        Files.writeString(dir.resolve("data.bin"), "not a document");
        StringWriter err = new StringWriter();
        CommandLine cl = Rag.commandLine(new EnvironmentDefaults(Map.of()));
        cl.setErr(new PrintWriter(err));
        assertThat(cl.execute("ingest", "--json", dir.toString())).isEqualTo(ExitCodes.USAGE);
        assertThat(cl.execute("backfill", dir.resolve("data.bin").toString())).isEqualTo(ExitCodes.USAGE);
    }

    @Test
    void anUnknownBenchmarkIsAUsageErrorThatNamesTheKnownOnes() {
        StringWriter err = new StringWriter();
        CommandLine cl = Rag.commandLine(new EnvironmentDefaults(Map.of()));
        cl.setErr(new PrintWriter(err));
        assertThat(cl.execute("bench", "nosuch")).isEqualTo(ExitCodes.USAGE);
        assertThat(err.toString()).contains("'nosuch'", "ingest, ocr, fanout, throughput, adaptive, isolation, tenants, cluster");
    }

    @Test
    void servicesStatusLinesBecomeRecordsWithTheirIndentedNotes() {
        String out = String.join("\n",
                "kafka       running    pid 2704     rss 519 MiB   listening 127.0.0.1:9092 127.0.0.1:9093",
                "opensearch  running    pid 3158     rss 1317 MiB  listening 127.0.0.1:9200",
                "            health green",
                "            plugins opensearch-knn 2.19.1.0",
                "model       stopped",
                "kafka-secure running    pid 7826");
        List<Map<String, Object>> services = Services.parseStatus(out);
        assertThat(services).extracting(s -> s.get("name")).containsExactly("kafka", "opensearch", "model", "kafka-secure");
        assertThat(services).extracting(s -> s.get("state")).containsExactly("running", "running", "stopped", "running");
        assertThat(services.get(0).get("detail")).isEqualTo("pid 2704 rss 519 MiB listening 127.0.0.1:9092 127.0.0.1:9093");
        assertThat(services.get(1).get("notes")).isEqualTo(List.of("health green", "plugins opensearch-knn 2.19.1.0"));
        assertThat(services.get(2).get("notes")).isEqualTo(List.of());
    }

    /** Times are Durations ("30s", "500ms"); a former "-ms" spelling survives only as an alias of such an option. */
    @Test
    void timeOptionsAreDurationsWithTheirMillisecondSpellingAsAnAlias() {
        assertThat(optionsWhere((cl, o) -> {
            boolean ms = Arrays.stream(o.names()).anyMatch(n -> n.endsWith("-ms"));
            boolean plain = Arrays.stream(o.names()).anyMatch(n -> !n.endsWith("-ms"));
            return ms && !(o.type() == Duration.class && plain);
        })).isEmpty();
    }

    /** Help shows defaults as written; an ISO-8601 default ("PT2M") would be the one odd spelling among 2m, 30s. */
    @Test
    void durationDefaultsAreSpelledTheWayUsersTypeThem() {
        assertThat(optionsWhere((cl, o) -> o.type() == Duration.class && o.defaultValue() != null
                && o.defaultValue().toUpperCase().startsWith("P"))).isEmpty();
    }

    /** "command --option" for every option of every command of {@code rag} that matches. */
    private static List<String> optionsWhere(BiPredicate<CommandLine, OptionSpec> match) {
        List<String> found = new ArrayList<>();
        ArrayDeque<CommandLine> todo = new ArrayDeque<>(List.of(Rag.commandLine(name -> null)));
        while (!todo.isEmpty()) {
            CommandLine cl = todo.pop();
            todo.addAll(cl.getSubcommands().values());
            for (OptionSpec o : cl.getCommandSpec().options()) {
                if (match.test(cl, o)) {
                    found.add(cl.getCommandName() + " " + String.join("|", o.names()) + "=" + o.defaultValue());
                }
            }
        }
        return found;
    }
}
