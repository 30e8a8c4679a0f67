package io.streamrag.cli.commands;

import io.streamrag.cli.ExitCodes;
import io.streamrag.cli.FlinkRest;
import io.streamrag.common.json.Json;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/** {@code rag status}: exit 1 when a service cannot be reached, as the exit table says, with the JSON's exitCode the same. */
class StatusCommandTest {

    @Test
    void everythingDownExits1AndTheJsonSaysWhy() throws Exception {
        StatusCommand status = new StatusCommand();
        status.flink = new FlinkRest("http://127.0.0.1:1");
        status.servicesScript = false; // the machine's own services are not this test's
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream stdout = System.out;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        int exit;
        try {
            // Before, it exited 0 with Flink, OpenSearch and Kafka all unreachable.
            exit = assertTimeoutPreemptively(Duration.ofSeconds(90), () -> new CommandLine(status).execute(
                    "--json", "-b", "127.0.0.1:1", "--opensearch", "http://127.0.0.1:1"));
        } finally {
            System.setOut(stdout);
        }
        assertThat(exit).isEqualTo(ExitCodes.ERROR);
        // The test classpath's logging writes Kafka's warnings to stdout too (bin/rag's goes to stderr): the JSON lines only.
        List<String> documents = out.toString(StandardCharsets.UTF_8).lines().filter(l -> l.startsWith("{")).collect(Collectors.toList());
        assertThat(documents).hasSize(1);
        JsonNode report = Json.tree(documents.get(0).getBytes(StandardCharsets.UTF_8));
        assertThat(report.path("exitCode").asInt()).isEqualTo(ExitCodes.ERROR);
        assertThat(report.path("flink").asText()).isEqualTo("not running");
        assertThat(report.path("errors").has("flink")).isTrue();
        assertThat(report.path("errors").has("opensearch")).isTrue();
        assertThat(report.path("errors").has("kafka")).isTrue();
    }

    @Test
    void onlyAllAnsweringIsSuccess() {
        assertThat(StatusCommand.exitCode(0, List.of(), Map.of())).isEqualTo(ExitCodes.OK);
        assertThat(StatusCommand.exitCode(1, List.of(), Map.of())).isEqualTo(ExitCodes.ERROR);
        assertThat(StatusCommand.exitCode(0, List.of(), Map.of("kafka", "timeout"))).isEqualTo(ExitCodes.ERROR);
    }

    /** services.sh exits 3 for any stopped service, the secured pair included, which is usually stopped. */
    @Test
    void aStoppedServiceOfTheStackIsAnErrorTheSecuredPairIsNot() {
        String healthy = String.join("\n",
                "kafka       running    pid 6504     rss 392 MiB   listening 127.0.0.1:9092 127.0.0.1:9093",
                "opensearch  running    pid 6950     rss 1285 MiB  listening 127.0.0.1:9200 127.0.0.1:9300",
                "            health green",
                "model       running    pid 7687     rss 205 MiB   listening 127.0.0.1:8090",
                "flink       running    pid 7879     rss 862 MiB   listening 127.0.0.1:8081",
                "flink-tm-1  running    pid 8186     rss 1344 MiB  listening 127.0.0.1:35611",
                "flink-tm-2  running    pid 8209     rss 1397 MiB  listening 127.0.0.1:39237",
                "            taskmanagers registered 2",
                "kafka-secure stopped    (ports 9094 9095)",
                "opensearch-secure stopped    (ports 9201 9301)");
        assertThat(StatusCommand.exitCode(3, Services.parseStatus(healthy), Map.of())).isEqualTo(ExitCodes.OK);
        // Before, a stopped model endpoint or TaskManager exited 0: only services.sh's 1 (a non-loopback listener) counted.
        for (String service : List.of("model", "flink-tm-2", "kafka")) {
            String down = healthy.lines()
                    .map(l -> l.startsWith(service + " ") ? String.format("%-11s stopped    (ports 1)", service) : l)
                    .collect(Collectors.joining("\n"));
            assertThat(StatusCommand.exitCode(3, Services.parseStatus(down), Map.of())).as(service).isEqualTo(ExitCodes.ERROR);
        }
    }
}
