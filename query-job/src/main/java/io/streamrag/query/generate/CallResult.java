package io.streamrag.query.generate;

/** The text and token usage of one successful model call (after {@code attempts} attempts). */
public class CallResult {
    public final String text;
    public final long tokensIn;
    public final long tokensOut;
    public final int attempts;

    public CallResult(String text, long tokensIn, long tokensOut, int attempts) {
        this.text = text;
        this.tokensIn = tokensIn;
        this.tokensOut = tokensOut;
        this.attempts = attempts;
    }
}
