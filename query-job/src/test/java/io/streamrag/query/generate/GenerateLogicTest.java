package io.streamrag.query.generate;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Endpoint specs, completion parsing and Retry-After parsing. */
class GenerateLogicTest {

    @Test
    void parsesEndpointSpecs() {
        List<EndpointSpec> specs = EndpointSpec.parseAll(
                "local=openai,http://127.0.0.1:8090/v1,extractive; big=ollama,http://h:11434,llama3,2,2.5,30000,KEY");
        assertThat(specs).hasSize(2);
        assertThat(specs.get(0).maxConcurrency).isEqualTo(4);
        assertThat(specs.get(1).provider).isEqualTo(EndpointSpec.Provider.OLLAMA);
        assertThat(specs.get(1).weight).isEqualTo(2.5);
        assertThat(specs.get(1).timeoutMs).isEqualTo(30000);
        assertThat(specs.get(1).apiKeyEnv).isEqualTo("KEY");
        assertThat(EndpointSpec.maxWeight(specs)).isEqualTo(2.5);
        assertThatThrownBy(() -> EndpointSpec.parse("x=grpc,u,m")).hasMessageContaining("provider");
        assertThatThrownBy(() -> EndpointSpec.parse("x")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void parsesCompletions() {
        String text = "Reasoning: source [2] says so.\n**Answer:** 8443\nSources: [2, 3]";
        assertThat(CompletionParser.answer(text)).isEqualTo("8443");
        assertThat(CompletionParser.sources(text)).containsExactly(2, 3);
        assertThat(CompletionParser.answer("just this.")).isEqualTo("just this");
        assertThat(CompletionParser.followUps("Follow up: A?\nFollow up: B?\nFollow up: C?", 2))
                .containsExactly("A?", "B?");
        assertThat(CompletionParser.followUps("Follow up: none", 2)).isEmpty();
    }

    /**
     * The prompt shows each source's document id and page, so a model may echo them: an id holding an epoch timestamp
     * made {@code Integer.parseInt} throw and the candidate an ERROR (every candidate: the question FAILED).
     */
    @Test
    void sourceNumbersPassOverLongDigitRunsAndStopAtTheirBound() {
        assertThat(CompletionParser.sources("Answer: 8443\nSources: [1] (upload-1764460800000, p. 17), [3]"))
                .containsExactly(1, 17, 3);
        assertThat(CompletionParser.sources("Sources: [" + "9".repeat(10) + "] [2] [999999999]")).containsExactly(2, 999999999);
        StringBuilder many = new StringBuilder("Sources:");
        for (int i = 1; i <= 100_000; i++) {
            many.append(" [").append(i).append(']');
        }
        assertThat(CompletionParser.sources(many.toString())).hasSize(CompletionParser.MAX_SOURCES).startsWith(1, 2, 3);
    }

    /** A server that ignores its token limit: the answer is repeated per vote and candidate, so it is clipped. */
    @Test
    void anOverlongAnswerLineIsClippedSayingHowLongItWas() {
        String answer = CompletionParser.answer("Answer: " + "x".repeat(200_000));
        assertThat(answer).startsWith("x".repeat(CompletionParser.MAX_ANSWER_CHARS)).endsWith("(200000 characters)");
        assertThat(answer.length()).isLessThan(CompletionParser.MAX_ANSWER_CHARS + 40);
    }

    @Test
    void parsesRetryAfter() {
        assertThat(RetryAfterHttpClient.parseRetryAfter("2")).isEqualTo(2000);
        assertThat(RetryAfterHttpClient.parseRetryAfter("soon")).isEqualTo(-1);
        assertThat(RetryAfterHttpClient.parseRetryAfter("NaN")).isEqualTo(-1);
        assertThat(RetryAfterHttpClient.parseRetryAfter("-3")).isZero();
        // Absurd values are clamped (a day, past any deadline), not turned into about Long.MAX_VALUE.
        assertThat(RetryAfterHttpClient.parseRetryAfter("Infinity")).isEqualTo(RetryAfterHttpClient.MAX_RETRY_AFTER_MS);
        assertThat(RetryAfterHttpClient.parseRetryAfter("1e16")).isEqualTo(RetryAfterHttpClient.MAX_RETRY_AFTER_MS);
        assertThat(RetryAfterHttpClient.parseRetryAfter("Fri, 31 Dec 9999 23:59:59 GMT"))
                .isEqualTo(RetryAfterHttpClient.MAX_RETRY_AFTER_MS);
        RetryPolicy p = new RetryPolicy(2, 200, 5000);
        assertThat(p.backoffMs(0, -1)).isBetween(100L, 200L);
        assertThat(p.backoffMs(3, -1)).isBetween(800L, 1600L);
        assertThat(p.backoffMs(0, 3000)).isEqualTo(3000);
    }

    @Test
    void bundledDemonstrationsLoad() {
        assertThat(Demonstrations.load(null)).hasSizeGreaterThanOrEqualTo(2);
    }
}
