package io.streamrag.cli.commands;

import io.streamrag.cli.ExitCodes;
import io.streamrag.common.json.Json;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code rag ask --json}: every document carries exitCode, an answer's as well as a run that got none. */
class AskCommandTest {

    @Test
    void theAnswerRecordGainsItsExitCode() throws Exception {
        String answer = "{\"questionId\":\"q1\",\"status\":\"NO_CONTEXT\",\"answer\":null}";
        JsonNode printed = Json.tree(AskCommand.withExitCode(answer, ExitCodes.NO_CONTEXT).getBytes(StandardCharsets.UTF_8));
        assertThat(printed.path("questionId").asText()).isEqualTo("q1");
        assertThat(printed.path("status").asText()).isEqualTo("NO_CONTEXT");
        assertThat(printed.path("exitCode").asInt()).isEqualTo(ExitCodes.NO_CONTEXT);
    }

    @Test
    void withoutAnAnswerJsonStillPrintsOneDocumentWithExitCode() throws Exception {
        // Before, stdout stayed empty (a stack trace on stderr here; only a line on stderr after a timeout).
        IngestCommandTest.Run run = IngestCommandTest.rag(Duration.ofSeconds(60),
                "ask", "-b", "127.0.0.1:1", "--json", "--timeout", "1s", "How long are backups kept?");
        assertThat(run.exit()).isEqualTo(ExitCodes.ERROR);
        // The test classpath's logging writes Kafka's warnings to stdout too (bin/rag's goes to stderr): the JSON lines only.
        List<String> documents = run.out().lines().filter(l -> l.startsWith("{")).collect(Collectors.toList());
        assertThat(documents).hasSize(1);
        JsonNode printed = Json.tree(documents.get(0).getBytes(StandardCharsets.UTF_8));
        assertThat(printed.path("exitCode").asInt()).isEqualTo(ExitCodes.ERROR);
        assertThat(printed.path("questionId").asText()).startsWith("cli-");
        assertThat(printed.path("error").asText()).isNotEmpty();
        assertThat(run.err()).startsWith("rag ask: ");
    }
}
