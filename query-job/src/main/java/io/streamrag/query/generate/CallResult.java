package io.streamrag.query.generate;

/** The text and token usage of one successful model call (after {@code attempts} attempts). */
public record CallResult(String text, long tokensIn, long tokensOut, int attempts) {
}
